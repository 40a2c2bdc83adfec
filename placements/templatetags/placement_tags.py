"""Placement pieces other pages include (the site page shows its capacity) and the status
badge's colour."""

from django import template

from placements import selectors

register = template.Library()


@register.inclusion_tag("placements/_site_capacity.html")
def site_capacity(site):
    """Capacity used and free per period and profession at a site."""
    return {"site": site, "rows": selectors.site_capacity(site.pk)}


@register.filter
def status_badge(status: str) -> str:
    """The badge colour class of a placement status."""
    return selectors.status_badge(status)
