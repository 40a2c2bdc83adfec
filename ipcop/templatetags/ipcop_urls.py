"""Built-ins of the Django templates (settings) for the frame of every page:
`{% fixed_url 'name' %}`, the URL of a view without arguments, resolved once,
`{% pk_url 'name' pk %}`, one whose only argument is a pk,
`{% fixed_static 'path' %}`, `{% static 'path' %}` looked up once per process, and
`{% main_nav %}`, the navigation bar's links for the person (a Jinja2 fragment: eighteen
role tests and links in Django's template language cost ~0.6 ms on every page)."""

from functools import cache, lru_cache
from typing import NamedTuple

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf

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


@register.simple_tag
def fixed_static(path: str) -> str:
    """`{% static path %}` for the assets of every page's frame: the storage's URL of a
    file (a manifest look-up and URL quoting, ~0.1 ms each) is fixed while the process
    runs, so it is read once per path and storage settings."""
    return _static(path, settings.STATIC_URL, id(settings.STORAGES))


@cache
def _static(path: str, static_url: str, storages: int) -> str:
    return static(path)


@register.simple_tag(takes_context=True)
def main_nav(context) -> str:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    here = (match.app_name, match.url_name) if match else ("", "")
    user = context["user"]
    roles = NavRoles(
        bool(user.is_facilitator),
        bool(user.is_admin),
        bool(user.is_preceptor),
        bool(user.is_student),
    )
    return _main_nav(roles, here, get_script_prefix(), get_urlconf())


class NavRoles(NamedTuple):
    """What the navigation bar depends on of the person: their role flags."""

    is_facilitator: bool
    is_admin: bool
    is_preceptor: bool
    is_student: bool


@lru_cache(maxsize=512)
def _main_nav(roles: NavRoles, here: tuple, prefix: str, urlconf) -> str:
    # The bar is the same for everyone with the same roles on the same page: rendered
    # once per process for each (16 mixes of roles, a few dozen pages), ~0.4 ms a page.
    return render_rows("_main_nav.html", {"user": roles, "here": here})
