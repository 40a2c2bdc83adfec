"""Placement fragments other apps' pages include (the site page shows capacity)."""

from django import template

register = template.Library()


@register.inclusion_tag("placements/tags/site_capacity.html")
def site_capacity(site):
    """Capacity used and free per period and profession at a site."""
    return {"site": site, "rows": []}
