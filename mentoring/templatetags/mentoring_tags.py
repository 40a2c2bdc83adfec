"""Mentoring fragments other apps' pages include (the placement page shows its team)."""

from django import template

from ipcop.permissions import placements_manageable_by
from mentoring.services import team_problems

register = template.Library()


@register.inclusion_tag("mentoring/tags/placement_team.html", takes_context=True)
def placement_team(context, placement):
    """The placement's mentoring team, what it lacks under the rules, and links to manage
    it for the site's facilitators and admins (3 queries)."""
    user = context.get("user")
    mentors = list(placement.mentors.select_related("mentor", "profession"))
    can_manage = bool(
        user
        and user.is_authenticated
        and placements_manageable_by(user).filter(pk=placement.pk).exists()
    )
    return {
        "placement": placement,
        "mentors": mentors,
        "problems": team_problems(
            placement=placement, members=[(a.mentor, a.role) for a in mentors]
        ),
        "can_manage": can_manage,
        "can_log": bool(user and (user.is_preceptor or user.is_admin or user.is_facilitator)),
        "user": user,
    }
