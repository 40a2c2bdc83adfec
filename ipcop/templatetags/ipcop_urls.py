"""Built-ins of the Django templates (settings) for the frame of every page:
`{% fixed_url 'name' %}`, the URL of a view without arguments, resolved once,
`{% pk_url 'name' pk %}`, one whose only argument is a pk, and
`{% main_nav %}`, the navigation bar's links for the person (a Jinja2 fragment: eighteen
role tests and links in Django's template language cost ~0.6 ms on every page)."""

from django import template

from ipcop.lib.fragments import fixed_url as _fixed_url
from ipcop.lib.fragments import pk_url as _pk_url
from ipcop.lib.fragments import render_rows

register = template.Library()


@register.simple_tag
def fixed_url(name: str) -> str:
    return _fixed_url(name)


@register.simple_tag
def pk_url(name: str, pk) -> str:
    """`{% url name pk %}` for a URL whose only argument is an integer pk, without
    resolving the pattern again each time (ipcop.lib.fragments.pk_url)."""
    return _pk_url(name, pk)


@register.simple_tag(takes_context=True)
def main_nav(context) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    here = (match.app_name, match.url_name) if match else ("", "")
    return render_rows("_main_nav.html", {"user": context["user"], "here": here})
