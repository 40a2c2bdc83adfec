"""Reads of the mentoring app that cross apps: the people at a site, a preceptor's current
students, a student's IP learning record, a site's matrix, a preceptor's hours.

Every aggregate is computed by the database (annotate/values/Count/Sum); Python only
arranges the few aggregated rows into tables, so the number of queries of a page does not
grow with the number of sessions.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
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
        .select_related("student__user", "student__program__profession", "site", "unit")
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
    professions: list[dict]  # name, sessions, people, is_own
    activities: list[dict]  # label, sessions, minutes, hours
    domains: list[DomainCoverage]
    never_worked_with: list[Profession] = field(default_factory=list)

    @property
    def total_hours(self) -> float:
        return round(self.total_minutes / 60, 1)

    @property
    def domain_gaps(self) -> list[CompetencyDomain]:
        return [c.domain for c in self.domains if c.sessions == 0]


def learning_record(student: Student) -> LearningRecord:
    """A student's IP learning record: professions worked with and how often, hours by
    activity, sessions per domain of their program's framework, and the gaps.
    `student` should come with program, its profession and framework selected."""
    framework = framework_of(student)
    attended = MentoringSession.objects.filter(attendance__student=student)
    totals = attended.aggregate(sessions=Count("pk"), minutes=Sum("duration_minutes"))

    professions = [
        {**row, "is_own": row["profession"] == student.program.profession_id}
        for row in SessionProfessional.objects.filter(session__attendance__student=student)
        .values("profession", name=F("profession__name"))
        .annotate(sessions=Count("session", distinct=True), people=Count("person", distinct=True))
        .order_by("-sessions", "name")
    ]

    labels = dict(Activity.choices)
    activities = [
        {
            **row,
            "label": labels.get(row["activity"], row["activity"]),
            "hours": round(row["minutes"] / 60, 1),
        }
        for row in attended.order_by()
        .values("activity")
        .annotate(sessions=Count("pk"), minutes=Sum("duration_minutes"))
        .order_by("-minutes", "activity")
    ]

    through = MentoringSession.domains.through
    per_domain = {
        row["competencydomain"]: row
        for row in through.objects.filter(
            mentoringsession__attendance__student=student, competencydomain__framework=framework
        )
        .values("competencydomain")
        .annotate(
            sessions=Count("mentoringsession"), minutes=Sum("mentoringsession__duration_minutes")
        )
    }
    total = totals["sessions"] or 0
    domains = []
    for domain in framework.domains.all():
        row = per_domain.get(domain.pk, {"sessions": 0, "minutes": 0})
        percent = round(100 * row["sessions"] / total) if total else 0
        domains.append(DomainCoverage(domain, row["sessions"], row["minutes"] or 0, percent))

    # Professions present at the student's sites that the student has never worked with.
    sites = Placement.objects.filter(student=student).exclude(status=PlacementStatus.CANCELLED)
    site_ids = sites.values("site")
    worked = [row["profession"] for row in professions]
    never = (
        Profession.objects.filter(
            Q(
                pk__in=SessionProfessional.objects.filter(session__site__in=site_ids).values(
                    "profession"
                )
            )
            | Q(
                pk__in=Membership.objects.filter(
                    community__site__in=site_ids, left_on__isnull=True
                ).values("profession")
            )
            | Q(
                pk__in=MentorAssignment.objects.filter(placement__site__in=site_ids).values(
                    "profession"
                )
            )
        )
        .exclude(pk=student.program.profession_id)
        .exclude(pk__in=worked)
        .order_by("name")
    )
    return LearningRecord(
        student=student,
        framework=framework,
        total_sessions=total,
        total_minutes=totals["minutes"] or 0,
        professions=professions,
        activities=activities,
        domains=domains,
        never_worked_with=list(never),
    )


def student_sessions(student: Student) -> QuerySet[SessionStudent]:
    """The student's attendance rows, newest first, ready to list with session details."""
    return (
        SessionStudent.objects.filter(student=student)
        .select_related("session__site", "session__logged_by")
        .prefetch_related(
            "session__domains",
            Prefetch(
                "session__professional_attendance",
                queryset=SessionProfessional.objects.select_related("profession"),
            ),
        )
        .order_by("-session__held_on", "-session_id")
    )


# --- A site's matrix -------------------------------------------------------------------


@dataclass
class SiteMatrix:
    professions: list[Profession]
    frameworks: list[tuple[CompetencyFramework, list[CompetencyDomain]]]
    rows: list[dict]  # student, profession_counts [..], domain_counts {framework_pk: [..]}


def site_matrix(site: Site, students: list[Student]) -> SiteMatrix:
    """For each student: sessions at `site` with each profession present, and per domain of
    the student's framework. `students` come with user, program, profession, framework."""
    default = default_framework()
    frameworks = {}
    for student in students:
        framework = framework_of(student, default)
        frameworks[framework.pk] = framework
    domains_by_framework = {pk: [] for pk in frameworks}
    for domain in CompetencyDomain.objects.filter(framework__in=list(frameworks)):
        domains_by_framework[domain.framework_id].append(domain)

    # Drive from the site's sessions (index on session.site_id), then their attendance:
    # an IN (subquery) let the planner read every profession's million attendance rows.
    # (DISTINCT in the subquery makes PostgreSQL aggregate it first.)
    present = (
        SessionProfessional.objects.filter(session__site=site)
        .order_by()
        .values("profession")
        .distinct()
    )
    professions = list(Profession.objects.filter(pk__in=present).order_by("name"))
    met = {
        (row["student"], row["profession"]): row["sessions"]
        for row in SessionStudent.objects.filter(session__site=site, student__in=students)
        .values("student", profession=F("session__professional_attendance__profession"))
        .annotate(sessions=Count("session", distinct=True))
    }
    through = MentoringSession.domains.through
    covered = {
        (row["student"], row["competencydomain"]): row["sessions"]
        for row in through.objects.filter(
            mentoringsession__site=site, mentoringsession__attendance__student__in=students
        )
        .values("competencydomain", student=F("mentoringsession__attendance__student"))
        .annotate(sessions=Count("mentoringsession", distinct=True))
    }
    ordered_frameworks = sorted(frameworks.values(), key=lambda f: (not f.is_default, f.name))
    rows = []
    for student in students:
        own = framework_of(student, default).pk
        rows.append(
            {
                "student": student,
                "professions": [met.get((student.pk, p.pk), 0) for p in professions],
                "domains": [
                    [
                        covered.get((student.pk, d.pk), 0) if f.pk == own else None
                        for d in domains_by_framework[f.pk]
                    ]
                    for f in ordered_frameworks
                ],
            }
        )
    return SiteMatrix(
        professions=professions,
        frameworks=[(f, domains_by_framework[f.pk]) for f in ordered_frameworks],
        rows=rows,
    )


def students_at_site(site: Site) -> QuerySet[Student]:
    """Students with a (not cancelled) placement at the site, for the matrix."""
    placed = Placement.objects.filter(site=site).exclude(status=PlacementStatus.CANCELLED)
    return (
        Student.objects.filter(pk__in=placed.values("student"))
        .select_related("user", "program__profession", "program__framework")
        .order_by("user__full_name", "pk")
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
