"""Placement fragments other apps' pages include (the site page shows capacity)."""

from django import template

from ipcop.lib.fragments import render_rows
from placements.selectors import site_capacity as _site_capacity
from placements.selectors import status_badge as _status_badge

register = template.Library()


@register.simple_tag
def site_capacity(site):
    """Capacity used and free per period and profession at a site, in one query; the
    table is a Jinja2 fragment (a site offers a dozen rows or more: ipcop/jinja2.py)."""
    return render_rows(
        "placements/_site_capacity.html", {"site": site, "rows": _site_capacity(site.pk)}
    )


@register.filter
def free_places(capacity) -> int:
    """Places not yet held (never below zero, though a capacity can be over-held if it
    was lowered before the rule existed)."""
    return max(capacity.places - capacity.used, 0)


@register.filter
def status_badge(status: str) -> str:
    """The badge colour class of a placement status (the list's rows use the same)."""
    return _status_badge(status)
