"""Reads of the mentoring app that cross apps: the people at a site, a preceptor's current
students, a student's IP learning record, a site's matrix, a preceptor's hours.

Every aggregate is computed by the database (annotate/values/Count/Sum); Python only
arranges the few aggregated rows into tables, so the number of queries of a page does not
grow with the number of sessions.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone

from accounts.models import Profession, User
from placements.models import Placement, PlacementStatus, Student
from sites.models import Membership

from .models import (
    Activity,
    CompetencyDomain,
    CompetencyFramework,
    MentorAssignment,
    MentoringSession,
    SessionProfessional,
    SessionStudent,
)

if TYPE_CHECKING:
    from sites.models import Site


def default_framework() -> CompetencyFramework:
    """The framework of programs that name none (CIHC 2010, seeded by a migration)."""
    framework = CompetencyFramework.objects.filter(is_default=True).first()
    if framework is None:  # only if an admin removed the default flag
        framework = CompetencyFramework.objects.order_by("year", "pk").first()
    return framework


def framework_of(student: Student, default: CompetencyFramework | None = None):
    """The framework the student's program uses (the default when it names none)."""
    return student.program.framework or default or default_framework()


def site_staff(site: Site, also: QuerySet[User] | None = None) -> QuerySet[User]:
    """Professionals at a site: current members of its CoPs and mentors of its placements,
    with a profession recorded (who can be marked present at a session or join a team);
    `also` adds people to the list (those already recorded on a session being edited)."""
    members = Membership.objects.filter(community__site=site, left_on__isnull=True).values("person")
    mentors = MentorAssignment.objects.filter(placement__site=site).values("mentor")
    condition = Q(pk__in=members) | Q(pk__in=mentors)
    if also is not None:
        condition |= Q(pk__in=also.values("pk"))
    return (
        User.objects.filter(is_active=True, profession__isnull=False)
        .filter(condition)
        .select_related("profession")
        .order_by("full_name", "pk")
    )


def session_candidate_placements(site: Site) -> QuerySet[Placement]:
    """Placements whose students may be marked present at a session at `site` logged now:
    not cancelled, started, and not ended before the edit window (a late log)."""
    today = timezone.localdate()
    return (
        Placement.objects.filter(site=site, start_date__lte=today)
        .filter(end_date__gte=today - settings.SESSION_EDIT_WINDOW)
        .exclude(status=PlacementStatus.CANCELLED)
        .select_related(
            "student__user", "student__program__profession", "student__program__framework"
        )
        .order_by("student__user__full_name", "pk")
    )


def placements_mentored_now(user: User) -> QuerySet[Placement]:
    """Active placements where the person is on the mentoring team, each with the date of
    the student's last session on that placement (`last_session`)."""
    return (
        Placement.objects.active()
        .filter(pk__in=MentorAssignment.objects.filter(mentor=user).values("placement"))
        # Five tables, not seven: planning a seven-table join cost the preceptor's home
        # 9 ms a request. The profession comes from the program (see mentoring/panels.py).
        .select_related("student__user", "site", "unit")
        # A correlated subquery per shown row (index on sessionstudent.placement_id), not a
        # GROUP BY join that reads a million attendance rows before the LIMIT.
        .annotate(
            last_session=Subquery(
                SessionStudent.objects.filter(placement=OuterRef("pk"))
                .order_by()
                .values("placement")
                .annotate(last=Max("session__held_on"))
                .values("last")
            )
        )
        .order_by("site__name", "student__user__full_name", "pk")
    )


# --- Reference data: frameworks and their domains --------------------------------------


def framework_domains(
    framework_ids: Iterable[int],
) -> tuple[CompetencyFramework, dict[int, list[CompetencyDomain]]]:
    """The default framework, and the domains in order of it and of the frameworks named:
    one query over two small reference tables instead of one per framework."""
    frameworks: dict[int, CompetencyFramework] = {}
    domains: dict[int, list[CompetencyDomain]] = {}
    default = None
    for domain in CompetencyDomain.objects.filter(
        Q(framework__in=list(framework_ids)) | Q(framework__is_default=True)
    ).select_related("framework"):
        framework = frameworks.setdefault(domain.framework_id, domain.framework)
        domain.framework = framework
        domains.setdefault(framework.pk, []).append(domain)
        if framework.is_default:
            default = framework
    if default is None:  # no default flag, or a default framework without domains
        default = default_framework()
    return default, domains


def session_professions_at(site_ids) -> QuerySet[SessionProfessional]:
    """The professions (ids) of the professionals present at sessions at the sites given
    (ids, or a values() subquery). Served by two index-only scans: the sessions' (site,
    held_on, id) index, then each session's (session, profession, person) index; DISTINCT
    makes PostgreSQL aggregate these few thousand rows before any join."""
    return (
        SessionProfessional.objects.filter(session__site__in=site_ids)
        .order_by()
        .values("profession")
        .distinct()
    )


# --- The student's IP learning record --------------------------------------------------


@dataclass
class DomainCoverage:
    domain: CompetencyDomain
    sessions: int
    minutes: int
    percent: int  # share of the student's sessions that practised the domain

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class LearningRecord:
    student: Student
    framework: CompetencyFramework
    total_sessions: int
    total_minutes: int
    professions: list[dict]  # profession, name, sessions, people, is_own
    activities: list[dict]  # activity, label, sessions, minutes, hours
    domains: list[DomainCoverage]
    never_worked_with: list[Profession] = field(default_factory=list)

    @property
    def total_hours(self) -> float:
        return round(self.total_minutes / 60, 1)

    @property
    def domain_gaps(self) -> list[CompetencyDomain]:
        return [c.domain for c in self.domains if c.sessions == 0]


# Professions present at the student's sites (at a session there, in a CoP there now, or
# mentoring there) that are neither the student's own nor among those worked with. The
# same statement as Q(pk__in=...) | Q(pk__in=...) | Q(pk__in=...) in the ORM, whose three
# nested subqueries took ~2 ms of CPU to compile on every request; each IN is a hashed
# subplan run once, the sessions' one served by two index-only scans (session_site_held_id_idx,
# sessionprof_session_prof_idx).
_NEVER_WORKED_WITH_SQL = """
    WITH sites AS (
        SELECT site_id FROM placements_placement
        WHERE student_id = %(student)s AND status <> %(cancelled)s
    )
    SELECT id, name, code FROM accounts_profession
    WHERE (
        id IN (
            SELECT sp.profession_id FROM mentoring_sessionprofessional sp
            JOIN mentoring_mentoringsession s ON s.id = sp.session_id
            WHERE s.site_id IN (SELECT site_id FROM sites)
        )
        OR id IN (
            SELECT m.profession_id FROM sites_membership m
            JOIN sites_communityofpractice c ON c.id = m.community_id
            WHERE c.site_id IN (SELECT site_id FROM sites) AND m.left_on IS NULL
        )
        OR id IN (
            SELECT a.profession_id FROM mentoring_mentorassignment a
            JOIN placements_placement p ON p.id = a.placement_id
            WHERE p.site_id IN (SELECT site_id FROM sites)
        )
    )
    AND id <> %(own)s AND NOT (id = ANY(%(worked)s::bigint[]))
    ORDER BY name
"""


def learning_record(student: Student) -> LearningRecord:
    """A student's IP learning record: professions worked with and how often, hours by
    activity, sessions per domain of their program's framework, and the gaps.
    `student` should come with program, its profession and framework selected."""
    own_framework = student.program.framework_id
    default, domains_of = framework_domains([own_framework] if own_framework else [])
    framework = student.program.framework or default
    own_domains = domains_of.get(framework.pk, [])

    # Each session has one activity: the per-activity rows also give the totals.
    labels = dict(Activity.choices)
    activities = [
        {
            **row,
            "label": labels.get(row["activity"], row["activity"]),
            "hours": round(row["minutes"] / 60, 1),
        }
        for row in MentoringSession.objects.filter(attendance__student=student)
        .order_by()
        .values("activity")
        .annotate(sessions=Count("pk"), minutes=Sum("duration_minutes"))
        .order_by("-minutes", "activity")
    ]
    total = sum(row["sessions"] for row in activities)
    total_minutes = sum(row["minutes"] for row in activities)

    professions = [
        {**row, "is_own": row["profession"] == student.program.profession_id}
        for row in SessionProfessional.objects.filter(session__attendance__student=student)
        .values("profession", name=F("profession__name"))
        .annotate(sessions=Count("session", distinct=True), people=Count("person", distinct=True))
        .order_by("-sessions", "name")
    ]

    through = MentoringSession.domains.through
    per_domain = {
        row["competencydomain"]: row
        for row in through.objects.filter(
            mentoringsession__attendance__student=student,
            competencydomain__in=[d.pk for d in own_domains],
        )
        .values("competencydomain")
        .annotate(
            sessions=Count("mentoringsession"), minutes=Sum("mentoringsession__duration_minutes")
        )
    }
    domains = []
    for domain in own_domains:
        row = per_domain.get(domain.pk, {"sessions": 0, "minutes": 0})
        percent = round(100 * row["sessions"] / total) if total else 0
        domains.append(DomainCoverage(domain, row["sessions"], row["minutes"] or 0, percent))

    never = Profession.objects.raw(
        _NEVER_WORKED_WITH_SQL,
        {
            "student": student.pk,
            "cancelled": PlacementStatus.CANCELLED,
            "own": student.program.profession_id,
            "worked": [row["profession"] for row in professions],
        },
    )
    return LearningRecord(
        student=student,
        framework=framework,
        total_sessions=total,
        total_minutes=total_minutes,
        professions=professions,
        activities=activities,
        domains=domains,
        never_worked_with=list(never),
    )


def student_sessions(student: Student) -> QuerySet[SessionStudent]:
    """The student's attendance rows, newest first, as dicts ready to list: each with its
    session's date, activity, minutes and site name, the names of the professions present
    and of the domains practised (correlated index-only subqueries: one query in all), and
    whether the student wrote a reflection."""
    through = MentoringSession.domains.through
    return (
        SessionStudent.objects.filter(student=student)
        .order_by("-session__held_on", "-session_id")
        .values(
            "session_id",
            held_on=F("session__held_on"),
            activity=F("session__activity"),
            minutes=F("session__duration_minutes"),
            site=F("session__site__name"),
        )
        .annotate(
            has_reflection=ExpressionWrapper(~Q(reflection=""), output_field=BooleanField()),
            professions=ArraySubquery(
                SessionProfessional.objects.filter(session=OuterRef("session_id"))
                .order_by("profession__name", "pk")
                .values("profession__name")
            ),
            domains=ArraySubquery(
                through.objects.filter(mentoringsession=OuterRef("session_id"))
                .order_by(
                    "-competencydomain__framework__is_default",
                    "competencydomain__framework__name",
                    "competencydomain__order",
                    "competencydomain__name",
                )
                .values("competencydomain__name")
            ),
        )
    )


def with_activity_labels(rows) -> list[dict]:
    """`student_sessions` rows with their activity's label."""
    labels = dict(Activity.choices)
    return [{**row, "activity": labels.get(row["activity"], row["activity"])} for row in rows]


# --- A site's matrix -------------------------------------------------------------------


@dataclass
class SiteMatrix:
    professions: list[Profession]
    frameworks: list[tuple[CompetencyFramework, list[CompetencyDomain]]]
    # student, framework (theirs), professions [counts], domains [[count or None] per framework]
    rows: list[dict]


def site_matrix(site: Site, students: list[Student]) -> SiteMatrix:
    """For each student: sessions at `site` with each profession present, and per domain of
    the student's framework. `students` come with user, program, profession, framework."""
    default, domains_of = framework_domains(
        {s.program.framework_id for s in students if s.program.framework_id}
    )
    frameworks = {}
    for student in students:
        framework = student.program.framework or default
        frameworks[framework.pk] = framework

    professions = list(
        Profession.objects.filter(pk__in=session_professions_at([site.pk])).order_by("name")
    )
    student_ids = [s.pk for s in students]
    met = {
        (row["student"], row["profession"]): row["sessions"]
        for row in SessionStudent.objects.filter(session__site=site, student__in=student_ids)
        .values("student", profession=F("session__professional_attendance__profession"))
        .annotate(sessions=Count("session", distinct=True))
    }
    through = MentoringSession.domains.through
    covered = {
        (row["student"], row["competencydomain"]): row["sessions"]
        for row in through.objects.filter(
            mentoringsession__site=site, mentoringsession__attendance__student__in=student_ids
        )
        .values("competencydomain", student=F("mentoringsession__attendance__student"))
        .annotate(sessions=Count("mentoringsession", distinct=True))
    }
    ordered_frameworks = sorted(frameworks.values(), key=lambda f: (not f.is_default, f.name))
    rows = []
    for student in students:
        framework = student.program.framework or default
        own = framework.pk
        rows.append(
            {
                "student": student,
                "framework": framework,
                "professions": [met.get((student.pk, p.pk), 0) for p in professions],
                "domains": [
                    [
                        covered.get((student.pk, d.pk), 0) if f.pk == own else None
                        for d in domains_of.get(f.pk, [])
                    ]
                    for f in ordered_frameworks
                ],
            }
        )
    return SiteMatrix(
        professions=professions,
        frameworks=[(f, domains_of.get(f.pk, [])) for f in ordered_frameworks],
        rows=rows,
    )


_NOT_CANCELLED = [s for s in PlacementStatus.values if s != PlacementStatus.CANCELLED]


def students_at_site(site: Site) -> QuerySet[Student]:
    """Students with a (not cancelled) placement at the site, for the matrix. A join from
    the site's placements (index on placement.site_id), not `pk IN (subquery)`, which the
    planner answered with a sequential scan over every student."""
    return (
        Student.objects.filter(placements__site=site, placements__status__in=_NOT_CANCELLED)
        .select_related("user", "program__profession", "program__framework")
        .order_by("user__full_name", "pk")
        .distinct()
    )


# --- A preceptor's recognition statement -----------------------------------------------


class _Sum(Func):
    # SUM as a plain function, so a correlated subquery sums without a GROUP BY.
    function = "SUM"
    output_field = IntegerField()


def mentoring_hours(user: User, start: datetime.date, end: datetime.date) -> dict:
    """A preceptor's mentoring between two dates (inclusive): sessions they logged or were
    present at, by the students' profession. A session with students of two professions
    counts once under each, and once in the total."""
    sessions = MentoringSession.objects.filter(held_on__gte=start, held_on__lte=end).filter(
        Q(logged_by=user)
        | Q(pk__in=SessionProfessional.objects.filter(person=user).values("session"))
    )
    of_profession = sessions.filter(
        Exists(
            SessionStudent.objects.filter(
                session=OuterRef("pk"), student__program__profession=OuterRef(OuterRef("pk"))
            )
        )
    ).order_by()
    rows = (
        Profession.objects.annotate(
            minutes=Subquery(of_profession.values(total=_Sum("duration_minutes"))),
            sessions=Subquery(of_profession.values(n=Func(F("pk"), function="COUNT"))),
            students=Subquery(
                SessionStudent.objects.filter(
                    session__in=sessions.values("pk"), student__program__profession=OuterRef("pk")
                )
                .order_by()
                .values(
                    n=Func(
                        F("student"), function="COUNT", template="COUNT(DISTINCT %(expressions)s)"
                    )
                )
            ),
        )
        .filter(minutes__isnull=False)
        .order_by("name")
    )
    rows = [
        {
            "profession": p,
            "sessions": p.sessions,
            "students": p.students,
            "hours": round(p.minutes / 60, 1),
        }
        for p in rows
    ]
    totals = sessions.aggregate(sessions=Count("pk"), minutes=Sum("duration_minutes"))
    return {
        "rows": rows,
        "sessions": totals["sessions"] or 0,
        "hours": round((totals["minutes"] or 0) / 60, 1),
    }
