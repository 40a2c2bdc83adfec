"""Mentoring fragments other apps' pages include (the placement page shows its team), and
the site matrix's cells."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from ipcop.lib.durations import hours_minutes
from ipcop.permissions import (
    evaluations_visible_to,
    evaluations_writable_by,
    placements_manageable_by,
    placements_open_to_feedback_from,
)
from mentoring.selectors import SiteMatrix
from mentoring.services import team_problems

register = template.Library()


@register.inclusion_tag("mentoring/tags/placement_evaluations.html", takes_context=True)
def placement_evaluations(context, placement):
    """The placement's evaluations the person may see, each linked to its page (or its
    form, for the preceptor who writes it), and the student's link to their feedback
    form while it is open (3 queries)."""
    user = context.get("user")
    if not user or not user.is_authenticated:
        return {"evaluations": [], "writable": set(), "feedback_open": False}
    evaluations = list(
        evaluations_visible_to(user).filter(placement=placement).order_by("due_on", "pk")
    )
    return {
        "placement": placement,
        "evaluations": evaluations,
        "writable": set(
            evaluations_writable_by(user).filter(placement=placement).values_list("pk", flat=True)
        ),
        "feedback_open": placement.student.user_id == user.pk
        and placements_open_to_feedback_from(user).filter(pk=placement.pk).exists(),
    }


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
_GAP = '<td class="matrix-gap"{label}>0</td>'
_OTHER_FRAMEWORK = (
    '<td class="matrix-na"{label}><span class="visually-hidden">not this student\'s framework'
    "</span>—</td>"
)


def _cell(n: int | None, label: str) -> str:
    if n is None:
        return _OTHER_FRAMEWORK.format(label=label)
    return f"<td{label}>{n:d}</td>" if n else _GAP.format(label=label)  # a count: no escaping


def _column_labels(matrix: SiteMatrix | None) -> list[str]:
    """Each count column's ` data-label="…"` attribute (escaped), which names the column
    when a phone shows a student's row as a card; empty strings without the matrix."""
    if not matrix:
        return []
    names = [f"With {profession.name}" for profession in matrix.professions]
    names += [domain.name for _, domains in matrix.frameworks for domain in domains]
    return [format_html(' data-label="{}"', name) for name in names]


@register.filter
def matrix_cells(row: dict, matrix: SiteMatrix | None = None) -> SafeString:
    """A site matrix row's count cells: with each profession met, then on each domain of
    each framework shown (a gap at 0, a dash outside the student's framework), each cell
    labelled with its column's name when the matrix is given. A page has a thousand of
    them: rendered here in one go, not as a template variable and a condition each.
    Counts are integers (`:d` refuses anything else); the labels are escaped."""
    counts = list(row["professions"])
    counts += [n for domain_counts in row["domains"] for n in domain_counts]
    labels = _column_labels(matrix)
    labels += [""] * (len(counts) - len(labels))
    cells = [_cell(n, label) for n, label in zip(counts, labels, strict=False)]
    return mark_safe("".join(cells))  # noqa: S308  # nosec: integers, fixed markup, escaped labels


@register.filter
def hm(minutes: int | None) -> str:
    """Minutes as h:mm, as a statement of hours shows them."""
    return hours_minutes(minutes)
