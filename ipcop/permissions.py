"""The one module that decides who may see and change what.

Every view fetches objects *through* these querysets, so an object outside them answers
404 (its existence is not leaked), and a person who may see an object but lacks the role to
change it answers 403 (`require_role`, `PermissionDenied`).

- Admins (staff) see and change everything.
- Facilitators see and change everything at the sites they facilitate.
- Preceptors see the placements and students they mentor, the sessions they logged or
  took part in, and the CoPs they are members of; they change only their own sessions.
- Students see only their own placements, sessions and follow-ups.

Interview records are confidential: only the site's facilitators and admins see them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet

from interviews.models import FollowUp, InterviewRecord
from mentoring.models import MentorAssignment, MentoringSession, SessionProfessional, SessionStudent
from placements.models import Placement, Student
from sites.models import CommunityOfPractice, Membership, Site

if TYPE_CHECKING:
    from accounts.models import User

ROLES = ("admin", "facilitator", "preceptor", "student")


def has_role(user: User, role: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if role == "admin":
        return user.is_admin
    return bool(getattr(user, f"is_{role}", False))


def require_role(user: User, *roles: str) -> None:
    """403 unless the person holds at least one of `roles` (admin always passes)."""
    if user.is_admin:
        return
    if not any(has_role(user, role) for role in roles):
        raise PermissionDenied("Your role does not allow this.")


def _names(model, *fields: str) -> dict[str, str]:
    quote = connection.ops.quote_name
    names = {"table": quote(model._meta.db_table)}
    names.update({field: quote(model._meta.get_field(field).column) for field in fields})
    return names


def _none(model):
    return model.objects.none()


def _facilitated_site_ids(user: User) -> QuerySet:
    # A subquery, not a join: filters stay free of duplicates without DISTINCT.
    return Site.facilitators.through.objects.filter(user=user).values("site")


# --- Sites and communities of practice -------------------------------------------------


def sites_facilitated_by(user: User) -> QuerySet[Site]:
    """The sites a person may manage: all for admins, their own for facilitators."""
    if user.is_admin:
        return Site.objects.all()
    if has_role(user, "facilitator"):
        return Site.objects.filter(pk__in=_facilitated_site_ids(user))
    return _none(Site)


def sites_visible_to(user: User) -> QuerySet[Site]:
    """Sites a person may read: managed sites, plus sites where they are a CoP member,
    mentor a student or are placed."""
    if not user.is_authenticated:
        return _none(Site)
    if user.is_admin:
        return Site.objects.all()
    condition = Q(pk__in=Membership.objects.filter(person=user).values("community__site"))
    if has_role(user, "facilitator"):
        condition |= Q(pk__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        condition |= Q(
            pk__in=MentorAssignment.objects.filter(mentor=user).values("placement__site")
        )
    if has_role(user, "student"):
        condition |= Q(pk__in=Placement.objects.filter(student__user=user).values("site"))
    return Site.objects.filter(condition)


def communities_manageable_by(user: User) -> QuerySet[CommunityOfPractice]:
    """CoPs a person may change: those at their facilitated sites (all for admins)."""
    if user.is_admin:
        return CommunityOfPractice.objects.all()
    if has_role(user, "facilitator"):
        # The site ids straight from the through table: one subquery level less to plan.
        return CommunityOfPractice.objects.filter(site__in=_facilitated_site_ids(user))
    return _none(CommunityOfPractice)


def communities_visible_to(user: User) -> QuerySet[CommunityOfPractice]:
    """CoPs a person may read: manageable ones plus those they are a member of."""
    if not user.is_authenticated:
        return _none(CommunityOfPractice)
    if user.is_admin:
        return CommunityOfPractice.objects.all()
    condition = Q(pk__in=Membership.objects.filter(person=user).values("community"))
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    return CommunityOfPractice.objects.filter(condition)


# --- Placements and students -----------------------------------------------------------


def placements_manageable_by(user: User) -> QuerySet[Placement]:
    if user.is_admin:
        return Placement.objects.all()
    return Placement.objects.filter(site__in=sites_facilitated_by(user))


def placements_visible_to(user: User) -> QuerySet[Placement]:
    """Facilitators: placements at their sites. Preceptors: placements they mentor.
    Students: their own."""
    if not user.is_authenticated:
        return _none(Placement)
    if user.is_admin:
        return Placement.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        condition |= Q(pk__in=MentorAssignment.objects.filter(mentor=user).values("placement"))
    if has_role(user, "student"):
        condition |= Q(student__user=user)
    return Placement.objects.filter(condition)


def students_visible_to(user: User) -> QuerySet[Student]:
    """Students whose records (learning record, placements) a person may read."""
    if not user.is_authenticated:
        return _none(Student)
    if user.is_admin:
        return Student.objects.all()
    condition = Q(user=user)
    if has_role(user, "facilitator"):
        condition |= Q(
            pk__in=Placement.objects.filter(site__in=_facilitated_site_ids(user)).values("student")
        )
    if has_role(user, "preceptor"):
        condition |= Q(
            pk__in=MentorAssignment.objects.filter(mentor=user).values("placement__student")
        )
    return Student.objects.filter(condition)


# --- Mentoring sessions ----------------------------------------------------------------


def sessions_visible_to(user: User) -> QuerySet[MentoringSession]:
    """Facilitators: sessions at their sites. Preceptors: sessions they logged or attended,
    and sessions of the students they mentor. Students: sessions they attended."""
    if not user.is_authenticated:
        return _none(MentoringSession)
    if user.is_admin:
        return MentoringSession.objects.all()
    condition = Q(logged_by=user) | Q(
        pk__in=SessionProfessional.objects.filter(person=user).values("session")
    )
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        mentored = MentorAssignment.objects.filter(mentor=user).values("placement")
        condition |= Q(
            pk__in=SessionStudent.objects.filter(placement__in=mentored).values("session")
        )
    if has_role(user, "student"):
        condition |= Q(pk__in=SessionStudent.objects.filter(student__user=user).values("session"))
    return MentoringSession.objects.filter(condition)


def sessions_manageable_by(user: User) -> QuerySet[MentoringSession]:
    """Sessions a person may edit or delete at all; the 14-day window for the preceptor
    who logged a session is a rule of the mentoring services."""
    if user.is_admin:
        return MentoringSession.objects.all()
    condition = Q(logged_by=user)
    if has_role(user, "facilitator"):
        condition |= Q(site__in=_facilitated_site_ids(user))
    return MentoringSession.objects.filter(condition)


# --- Follow-ups and interview records --------------------------------------------------


def followups_visible_to(user: User) -> QuerySet[FollowUp]:
    """The follow-ups a person manages (`followups_manageable_by`: every one at their sites
    for facilitators, all for admins) and those they take part in, as participant or
    interviewer (`FollowUpQuerySet.involving`; never the record's content, see
    `interview_records_visible_to`). Lists count the first part from the counts kept per
    site and read only the second one row by row (interviews.selectors.followups)."""
    if not user.is_authenticated:
        return _none(FollowUp)
    if user.is_admin:
        return FollowUp.objects.all()
    visible = FollowUp.objects.involving(user)
    if has_role(user, "facilitator"):
        visible |= followups_manageable_by(user)
    return visible


def followups_manageable_by(user: User) -> QuerySet[FollowUp]:
    """Every follow-up at the sites a person manages (`sites_facilitated_by`)."""
    if user.is_admin:
        return FollowUp.objects.all()
    return FollowUp.objects.filter(site__in=sites_facilitated_by(user))


def interview_records_visible_to(user: User) -> QuerySet[InterviewRecord]:
    """Confidential: only the site's facilitators and admins."""
    if user.is_admin:
        return InterviewRecord.objects.all()
    return InterviewRecord.objects.filter(followup__site__in=sites_facilitated_by(user))


# --- Mentoring (owned by the mentoring app) --------------------------------------------


def sites_where_sessions_loggable_by(user: User) -> QuerySet[Site]:
    """Sites where a person may log a mentoring session: admins everywhere, facilitators at
    their sites, preceptors where they mentor a student or are a current CoP member."""
    if not user.is_authenticated or not user.is_active:
        return _none(Site)
    if user.is_admin:
        return Site.objects.all()
    condition = Q(pk__in=[])
    if has_role(user, "facilitator"):
        condition |= Q(pk__in=_facilitated_site_ids(user))
    if has_role(user, "preceptor"):
        condition |= Q(
            pk__in=MentorAssignment.objects.filter(mentor=user).values("placement__site")
        )
        condition |= Q(
            pk__in=Membership.objects.filter(person=user, left_on__isnull=True).values(
                "community__site"
            )
        )
    return Site.objects.filter(condition)


# --- Choices for filters -----------------------------------------------------------------


def site_choices_for(user: User) -> list[tuple[int, str]]:
    """(id, name) of exactly the sites `sites_visible_to(user)` holds, by name: the options
    of a site filter."""
    return list(sites_visible_to(user).order_by("name", "pk").values_list("pk", "name"))


# --- Scopes as SQL conditions --------------------------------------------------------------

# `placements_visible_to` as a condition on a placement row `p`, one part per role: table
# and column names from the models, the person's id the named parameter `%(person)s`.
_PLACEMENT_SCOPE_SQL = {
    "facilitator": "p.{placement[site]} IN"
    " (SELECT f.{through[site]} FROM {through[table]} f WHERE f.{through[user]} = %(person)s)",
    "preceptor": "p.id IN"
    " (SELECT a.{mentor[placement]} FROM {mentor[table]} a WHERE a.{mentor[mentor]} = %(person)s)",
    "student": "p.{placement[student]} IN"
    " (SELECT s.id FROM {student[table]} s WHERE s.{student[user]} = %(person)s)",
}
_PLACEMENT_SCOPE_BY_ROLE = {
    role: sql.format(
        through=_names(Site.facilitators.through, "site", "user"),
        placement=_names(Placement, "site", "student"),
        mentor=_names(MentorAssignment, "placement", "mentor"),
        student=_names(Student, "user"),
    )
    for role, sql in _PLACEMENT_SCOPE_SQL.items()
}


def placement_scope_sql(user: User) -> tuple[str | None, dict]:
    """`placements_visible_to(user)` as a SQL condition on the placements table aliased
    `p`, and its parameters: None for an admin (every placement), "FALSE" for a person
    who may see none. For the hand-written list statement (placements.selectors);
    placements/tests/test_list_page.py checks that it selects the queryset's rows for
    every mix of roles."""
    if not user.is_authenticated:
        return "FALSE", {}
    if user.is_admin:
        return None, {}
    parts = [sql for role, sql in _PLACEMENT_SCOPE_BY_ROLE.items() if has_role(user, role)]
    if not parts:
        return "FALSE", {}
    return "(" + " OR ".join(parts) + ")", {"person": user.pk}
