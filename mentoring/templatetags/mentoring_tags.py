"""Mentoring fragments other apps' pages include (the placement page shows its team), and
the site matrix's cells."""

from django import template
from django.utils.safestring import SafeString, mark_safe

from ipcop.lib.durations import hours_minutes
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


# Markup without values.
_GAP = mark_safe('<td class="matrix-gap">0</td>')  # nosec
_OTHER_FRAMEWORK = mark_safe(  # nosec
    '<td class="matrix-na"><span class="visually-hidden">not this student\'s framework</span>—</td>'
)


def _cell(n: int | None) -> str:
    if n is None:
        return _OTHER_FRAMEWORK
    return f"<td>{n:d}</td>" if n else _GAP  # a count: nothing to escape


@register.filter
def matrix_cells(row: dict) -> SafeString:
    """A site matrix row's count cells: with each profession met, then on each domain of
    each framework shown (a gap at 0, a dash outside the student's framework). A page has
    a thousand of them: rendered here in one go, not as a template variable and a
    condition each. Counts are integers (`:d` refuses anything else)."""
    cells = [_cell(n) for n in row["professions"]]
    cells += [_cell(n) for counts in row["domains"] for n in counts]
    return mark_safe("".join(cells))  # noqa: S308  # nosec: integers and fixed markup


@register.filter
def hm(minutes: int | None) -> str:
    """Minutes as h:mm, as a statement of hours shows them."""
    return hours_minutes(minutes)
