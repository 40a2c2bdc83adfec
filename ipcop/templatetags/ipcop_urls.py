"""`{% fixed_url 'name' %}`: the URL of a view without arguments, resolved once (the
navigation bar's links, on every page). A built-in of the Django templates (settings)."""

from django import template

from ipcop.lib.fragments import fixed_url as _fixed_url

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    return _fixed_url(name)
