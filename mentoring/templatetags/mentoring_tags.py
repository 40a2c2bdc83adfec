"""Mentoring fragments other apps' pages include (the placement page shows its team)."""

from django import template

register = template.Library()


@register.inclusion_tag("mentoring/tags/placement_team.html", takes_context=True)
def placement_team(context, placement):
    """The placement's mentoring team, with management links for those allowed."""
    return {"placement": placement, "mentors": placement.mentors.all(), "user": context.get("user")}
