"""Placement fragments other apps' pages include (the site page shows capacity)."""

from django import template

from placements.models import Capacity
from placements.selectors import capacities_with_use
from placements.selectors import status_badge as _status_badge

register = template.Library()


@register.inclusion_tag("placements/tags/site_capacity.html")
def site_capacity(site):
    """Capacity used and free per period and profession at a site, in one query."""
    return {"site": site, "rows": list(capacities_with_use(Capacity.objects.filter(site=site)))}


@register.filter
def free_places(capacity) -> int:
    """Places not yet held (never below zero, though a capacity can be over-held if it
    was lowered before the rule existed)."""
    return max(capacity.places - capacity.used, 0)


@register.filter
def status_badge(status: str) -> str:
    """The badge colour class of a placement status (the list's rows use the same)."""
    return _status_badge(status)
