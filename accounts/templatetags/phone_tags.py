"""Phone numbers as tap-to-call links. Loaded on every template (settings TEMPLATES
builtins): `{{ site.phone|tel_link }}`."""

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ipcop.lib.formats import tel_uri

register = template.Library()


@register.filter
def tel_link(number: str | None) -> SafeString | str:
    """`<a href="tel:+17805550100">780-555-0100</a>`: the number as written (escaped),
    linked to what a phone dials. Text too short to dial stays plain text, escaped."""
    if not number:
        return ""
    uri = tel_uri(str(number), country_code=settings.PHONE_COUNTRY_CODE)
    if not uri:
        return format_html("{}", number)
    return format_html('<a href="{}">{}</a>', uri, number)
