"""Reads of the mentoring app that cross apps: the people at a site, a preceptor's current
students, the sessions list, a student's IP learning record, a site's matrix, a
preceptor's hours.

The number of queries of a page does not grow with the number of sessions. Aggregates over
many rows are the database's; Python sums only one person's own rows (a student's
sessions for their record, a preceptor's for their statement), which it reads anyway to
list them. The site matrix and the professions met at a site read the counts the triggers
keep (StudentSiteProfession, StudentSiteDomain: mentoring/triggers.py) instead of every
session of the site or of the page's students.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Avg,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from accounts.models import Profession, User
from ipcop.lib.keyset import COUNT_LIMIT, KeysetPage, keyset_page
from placements.models import Placement, PlacementModel, PlacementStatus, Student
from sites.models import Membership, Site

from .models import (
    FEEDBACK_FIELDS,
    FEEDBACK_ITEMS,
    Activity,
    Agreement,
    CompetencyDomain,
    CompetencyFramework,
    EvaluationStatus,
    MentorAssignment,
    MentoringSession,
    MentorRole,
    SessionProfessional,
    SessionStudent,
    StudentPlacementFeedback,
    StudentSiteDomain,
    StudentSiteProfession,
)

SessionDomain = MentoringSession.domains.through


class _Sum(Func):
    # SUM as a plain function, so a correlated subquery sums without a GROUP BY.
    function = "SUM"
    output_field = IntegerField()


def default_framework() -> CompetencyFramework:
    """The framework of programs that name none (CIHC 2010, seeded by a migration)."""
    framework = CompetencyFramework.objects.filter(is_default=True).first()
    if framework is None:  # only if an admin removed the default flag
        framework = CompetencyFramework.objects.order_by("year", "pk").first()
    if framework is None:  # only with no framework at all: every caller needs one
        raise CompetencyFramework.DoesNotExist("No competency framework (a migration seeds one).")
    return framework


def framework_of(student: Student, default: CompetencyFramework | None = None):
    """The framework the student's program uses (the default when it names none)."""
    return student.program.framework or default or default_framework()


def site_staff(site: Site, also: QuerySet[User] | None = None) -> QuerySet[User]:
    """Professionals at a site: current members of its CoPs and mentors of its placements,
    with a profession recorded (who can be marked present at a session or join a team);
    `also` adds people to the list (those already recorded on a session being edited)."""
    members = Membership.objects.filter(community__site=site, left_on__isnull=True)
    mentors = MentorAssignment.objects.filter(placement__site=site)
    ids = members.order_by().values_list("person").union(mentors.order_by().values_list("mentor"))
    if also is not None:
        ids = ids.union(also.order_by().values_list("pk"))
    # The ids are read first: a site has tens of them, and the planner, which cannot know
    # that, would otherwise scan every account to join them.
    return (
        User.objects.filter(is_active=True, profession__isnull=False)
        .filter(pk__in=[pk for (pk,) in ids])
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
    """Active placements where the person is on the mentoring team."""
    return Placement.objects.active().filter(
        pk__in=MentorAssignment.objects.filter(mentor=user).values("placement")
    )


# --- The sessions list -----------------------------------------------------------------

SESSIONS_PER_PAGE = 25


def sessions_page(sessions: QuerySet[MentoringSession], *, params, query: str = "") -> KeysetPage:
    """A keyset page of `sessions` (e.g. `sessions_visible_to(user)`), newest first, as
    dicts: date, activity label, minutes, the site's and logger's names and the students'
    (by name); the count stops at 1,000. The page's ids are read first, from the scope's
    indexes alone; then what the page shows, for those ids only."""

    def rows(page: QuerySet[MentoringSession]) -> QuerySet[MentoringSession, dict[str, Any]]:
        return MentoringSession.objects.filter(pk__in=page.values("pk")).values(
            "pk",
            "held_on",
            "activity",
            "duration_minutes",
            site_name=F("site__name"),
            logged_by_name=F("logged_by__full_name"),
            student_names=ArraySubquery(
                SessionStudent.objects.filter(session=OuterRef("pk"))
                .order_by("student__user__full_name", "pk")
                .values("student__user__full_name")
            ),
        )

    count = None
    if not sessions.query.where:
        # Every session (an admin's list): the first 1,001 are counted from the index of
        # the list's order, not read from the table.
        ordered = sessions.order_by("-held_on", "-pk").values("pk")
        count = ordered[: COUNT_LIMIT + 1].count()
    page = keyset_page(
        sessions.values("pk", "held_on"),
        field="held_on",
        descending=True,
        params=params,
        per_page=SESSIONS_PER_PAGE,
        query=query,
        rows=rows,
        count=count,
    )
    labels = dict(Activity.choices)
    for row in page.object_list:
        row["activity"] = labels.get(row["activity"], row["activity"])
    return page


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
    student: Student  # with user and program (profession, framework)
    framework: CompetencyFramework
    total_sessions: int
    total_minutes: int
    professions: list[dict]  # profession, name, sessions, people, is_own
    activities: list[dict]  # activity, label, sessions, minutes, hours
    domains: list[DomainCoverage]
    never_worked_with: list[Profession] = field(default_factory=list)
    # Every session, newest first: session_id, held_on, activity (its label), minutes,
    # site, has_reflection, professions and domains (names).
    sessions: list[dict] = field(default_factory=list)

    @property
    def total_hours(self) -> float:
        return round(self.total_minutes / 60, 1)

    @property
    def domain_gaps(self) -> list[CompetencyDomain]:
        return [c.domain for c in self.domains if c.sessions == 0]


def learning_record(student: Student) -> LearningRecord:
    """A student's IP learning record: their sessions newest first, professions worked
    with and how often, hours by activity, sessions per domain of their program's
    framework, and the gaps (domains never practised, professions present at their sites
    never worked with). `student` comes with its user and program (profession,
    framework).

    Five plain queries: the student's sessions, the people and the domains at them (each
    read once, for the rows and for the totals, which are summed here from those rows:
    a student's own sessions, tens of them), the framework's domains, and the professions
    at their sites."""
    labels = dict(Activity.choices)
    attended = SessionStudent.objects.filter(student=student)
    sessions: dict[int, dict[str, Any]] = {
        row["session_id"]: {**row, "professions": [], "domains": []}
        for row in attended.order_by("-session__held_on", "-session_id").values(
            "session_id",
            held_on=F("session__held_on"),
            activity=F("session__activity"),
            minutes=F("session__duration_minutes"),
            site=F("session__site__name"),
            has_reflection=ExpressionWrapper(~Q(reflection=""), output_field=BooleanField()),
        )
    }
    activities: dict[str, dict] = {}
    for entry in sessions.values():
        activity = entry["activity"]
        row = activities.setdefault(
            activity, {"label": labels.get(activity, activity), "sessions": 0, "minutes": 0}
        )
        row["sessions"] += 1
        row["minutes"] += entry["minutes"]
        entry["activity"] = row["label"]

    worked: dict[int, dict] = {}
    for session, profession, name, person in (
        SessionProfessional.objects.filter(session__in=attended.values("session"))
        .order_by("profession__name", "pk")
        .values_list("session", "profession", "profession__name", "person")
    ):
        sessions[session]["professions"].append(name)
        row = worked.setdefault(profession, {"name": name, "sessions": set(), "people": set()})
        row["sessions"].add(session)
        row["people"].add(person)

    covered: dict[int, list[int]] = {}
    for session, domain, name in (
        SessionDomain.objects.filter(mentoringsession__in=attended.values("session"))
        .order_by(
            "-competencydomain__framework__is_default",
            "competencydomain__framework__name",
            "competencydomain__order",
            "competencydomain__name",
        )
        .values_list("mentoringsession", "competencydomain", "competencydomain__name")
    ):
        sessions[session]["domains"].append(name)
        covered.setdefault(domain, []).append(sessions[session]["minutes"])

    total = len(sessions)
    framework, framework_domains = _framework_domains(student)
    own = student.program.profession_id
    return LearningRecord(
        student=student,
        framework=framework,
        total_sessions=total,
        total_minutes=sum(session["minutes"] for session in sessions.values()),
        professions=sorted(
            (
                {
                    "profession": profession,
                    "name": row["name"],
                    "sessions": len(row["sessions"]),
                    "people": len(row["people"]),
                    "is_own": profession == own,
                }
                for profession, row in worked.items()
            ),
            key=lambda row: (-row["sessions"], row["name"]),
        ),
        # Each session has one activity: these rows also give the totals.
        activities=sorted(
            (
                {"activity": activity, **row, "hours": round(row["minutes"] / 60, 1)}
                for activity, row in activities.items()
            ),
            key=lambda row: (-row["minutes"], row["activity"]),
        ),
        domains=[
            DomainCoverage(
                domain,
                len(covered.get(domain.pk, ())),
                sum(covered.get(domain.pk, ())),
                round(100 * len(covered.get(domain.pk, ())) / total) if total else 0,
            )
            for domain in framework_domains
        ],
        never_worked_with=list(
            professions_at_sites_of(student)
            .exclude(pk=own)
            .exclude(pk__in=list(worked))
            .order_by("name")
        ),
        sessions=list(sessions.values()),
    )


def _framework_domains(student: Student) -> tuple[CompetencyFramework, list[CompetencyDomain]]:
    """The student's framework (their program's, else the default one) and its domains, in
    one query."""
    all_domains = CompetencyDomain.objects.select_related("framework").order_by("order", "name")
    own = student.program.framework
    if own is not None:
        return own, list(all_domains.filter(framework=own.pk))
    domains = list(all_domains.filter(framework__is_default=True))
    # No framework flagged the default, or it has no domains: default_framework()'s.
    framework = domains[0].framework if domains else default_framework()
    if not domains and framework is not None:
        domains = list(framework.domains.order_by("order", "name"))
    return framework, domains


def professions_at_sites_of(student: Student) -> QuerySet[Profession]:
    """Professions present at the student's sites (not cancelled): met by a student at a
    session there (the counts the triggers keep, one probe per profession), in one of
    its CoPs now, or mentoring there."""
    sites = (
        Placement.objects.filter(student=student)
        .exclude(status=PlacementStatus.CANCELLED)
        .values("site")
    )
    return Profession.objects.filter(
        Exists(StudentSiteProfession.objects.filter(site__in=sites, profession=OuterRef("pk")))
        | Q(
            pk__in=Membership.objects.filter(
                community__site__in=sites, left_on__isnull=True
            ).values("profession")
        )
        | Q(pk__in=MentorAssignment.objects.filter(placement__site__in=sites).values("profession"))
    )


# --- A site's matrix -------------------------------------------------------------------


@dataclass
class SiteMatrix:
    professions: list[Profession]  # met at a session at the site (the columns)
    frameworks: list[tuple[CompetencyFramework, list[CompetencyDomain]]]  # the students'
    # student (with user and program), framework (theirs), professions [counts],
    # domains [[count, or None outside their framework] per framework]
    rows: list[dict]


def students_placed_at(site: Site) -> list[int]:
    """The ids of the students placed at a site (not cancelled), from the site's
    placements. As a list, so that the page of them is read by id (a subquery here had
    PostgreSQL read every student to join them)."""
    return list(
        Placement.objects.filter(site=site)
        .exclude(status=PlacementStatus.CANCELLED)
        .order_by()
        .values_list("student", flat=True)
        .distinct()
    )


def students_by_name(ids: list[int]) -> QuerySet[Student]:
    return Student.objects.filter(pk__in=ids).order_by("user__full_name", "pk")


def site_matrix(site: Site, students) -> SiteMatrix:
    """The matrix at a site of `students` (a page of students_by_name() of those placed
    there): their sessions there with each profession met there, and per domain of their
    framework, from the counts the triggers keep. Five queries (the students among them),
    whatever the number of sessions."""
    students = list(
        students.select_related(
            "user", "program__profession", "program__institution", "program__framework"
        )
    )
    # The domains of the students' frameworks and of the default one (for programs that
    # name none), default first: the columns.
    domains: dict[CompetencyFramework, list[CompetencyDomain]] = {}
    for domain in (
        CompetencyDomain.objects.filter(
            Q(framework__in={s.program.framework_id for s in students})
            | Q(framework__is_default=True)
        )
        .select_related("framework")
        .order_by("-framework__is_default", "framework__name", "framework", "order", "name")
    ):
        domains.setdefault(domain.framework, []).append(domain)
    default = next((f for f in domains if f.is_default), None)
    if default is None and any(s.program.framework_id is None for s in students):
        default = default_framework()  # none is flagged the default, or it has no domains
    own = {s.pk: s.program.framework or default for s in students}
    frameworks = {f.pk: columns for f, columns in domains.items() if f in own.values()}
    professions = list(
        Profession.objects.filter(
            Exists(StudentSiteProfession.objects.filter(site=site, profession=OuterRef("pk")))
        ).order_by("name")
    )
    ids = list(own)
    met = {
        (student, profession): n
        for student, profession, n in StudentSiteProfession.objects.filter(
            site=site, student__in=ids
        ).values_list("student", "profession", "sessions")
    }
    covered = {
        (student, domain): n
        for student, domain, n in StudentSiteDomain.objects.filter(
            site=site, student__in=ids
        ).values_list("student", "domain", "sessions")
    }
    rows: list[dict[str, Any]] = []
    for student in students:
        pk = student.pk
        framework = own[pk]
        rows.append(
            {
                "student": student,
                "framework": framework,
                "professions": [met.get((pk, p.pk), 0) for p in professions],
                "domains": [
                    [covered.get((pk, d.pk), 0) for d in columns]
                    if framework is not None and framework_id == framework.pk
                    else [None] * len(columns)
                    for framework_id, columns in frameworks.items()
                ],
            }
        )
    return SiteMatrix(
        professions=professions,
        frameworks=[(columns[0].framework, columns) for columns in frameworks.values()],
        rows=rows,
    )


# --- A preceptor's recognition statement -----------------------------------------------


def mentoring_hours(user: User, start: datetime.date, end: datetime.date) -> dict:
    """A preceptor's interprofessional mentoring between two dates (inclusive): sessions
    they logged or were present at, by the students' profession, in minutes. Mentoring a
    student of the preceptor's own profession is not interprofessional: those students
    are left out of the rows and the totals, and summed apart (`own_profession`) so the
    statement can say what it left out. A session with students of two other professions
    counts once under each, and once in the totals. The rows are summed here from the
    sessions' attendance (a few hundred rows a year): a session counts once per
    profession however many of its students share it, which one GROUP BY cannot say."""
    # Each part of the UNION read from its index with the dates (an OR, or the dates
    # outside it, would have PostgreSQL read every session of the period).
    own = (
        MentoringSession.objects.filter(logged_by=user, held_on__range=(start, end))
        .values("pk")
        .order_by()
        .union(
            SessionProfessional.objects.filter(person=user, session__held_on__range=(start, end))
            .values("session")
            .order_by()
        )
    )
    by_profession: dict[int, dict] = {}
    ip_sessions: dict[int, int] = {}
    ip_students: set[int] = set()
    same_sessions: dict[int, int] = {}
    sessions = MentoringSession.objects.filter(pk__in=own)
    for session, minutes, student, profession in SessionStudent.objects.filter(
        session__in=sessions.values("pk")
    ).values_list(
        "session", "session__duration_minutes", "student", "student__program__profession"
    ):
        if user.profession_id is not None and profession == user.profession_id:
            same_sessions[session] = minutes
            continue
        row = by_profession.setdefault(profession, {"sessions": {}, "students": set()})
        row["sessions"][session] = minutes
        row["students"].add(student)
        ip_sessions[session] = minutes
        ip_students.add(student)
    rows = [
        {
            "profession": profession,
            "sessions": len(by_profession[profession.pk]["sessions"]),
            "students": len(by_profession[profession.pk]["students"]),
            "minutes": sum(by_profession[profession.pk]["sessions"].values()),
        }
        for profession in Profession.objects.filter(pk__in=list(by_profession)).order_by("name")
    ]
    # A session with students of the own and of another profession is interprofessional.
    only_own = {pk: m for pk, m in same_sessions.items() if pk not in ip_sessions}
    return {
        "rows": rows,
        "sessions": len(ip_sessions),
        "students": len(ip_students),
        "minutes": sum(ip_sessions.values()),
        "own_profession": {"sessions": len(only_own), "minutes": sum(only_own.values())},
    }


def team_complete_q() -> Q:
    """A placement's mentoring team is complete (mentoring.services.team_problems): a
    primary preceptor and, in the IP-mentoring model, a mentor of another profession
    than the student's (Placement.profession)."""
    team = MentorAssignment.objects.filter(placement=OuterRef("pk"))
    primary = Exists(team.filter(role=MentorRole.PRIMARY))
    other_profession = Exists(team.exclude(profession=OuterRef("profession")))
    return Q(primary) & (Q(model=PlacementModel.TRADITIONAL) | Q(other_profession))


# --- Placement evaluations and students' feedback ------------------------------------

EVALUATIONS_PER_PAGE = 25
# The evaluations list's tabs: open ones not yet due, open ones past their due date, and
# those submitted (awaiting the student's acknowledgement or acknowledged).
EVALUATION_TABS = ("due", "overdue", "done")


def evaluation_tab_counts(evaluations, today: datetime.date) -> dict[str, int]:
    """How many of `evaluations` (a QuerySet from ipcop.permissions) each tab holds, in
    one query."""
    open_ = Q(status=EvaluationStatus.DRAFT) & ~Q(placement__status=PlacementStatus.CANCELLED)
    return evaluations.aggregate(
        due=Count("pk", filter=open_ & Q(due_on__gte=today)),
        overdue=Count("pk", filter=open_ & Q(due_on__lt=today)),
        done=Count("pk", filter=~Q(status=EvaluationStatus.DRAFT)),
    )


def evaluations_of_tab(evaluations, tab: str, today: datetime.date):
    """`evaluations` in a tab, in its order (the soonest due first; the latest submitted
    first), with what the list shows."""
    if tab == "overdue":
        rows = evaluations.overdue(today).order_by("due_on", "pk")
    elif tab == "done":
        rows = evaluations.done().order_by("-submitted_at", "-pk")
    else:
        rows = evaluations.due(today).order_by("due_on", "pk")
    return rows.select_related(
        "placement__student__user", "placement__student__program__profession", "placement__site"
    ).only(
        "kind",
        "due_on",
        "status",
        "evaluator_id",
        "submitted_at",
        "acknowledged_at",
        "placement__start_date",
        "placement__end_date",
        "placement__status",
        "placement__site__name",
        "placement__student__user__full_name",
        "placement__student__user__email",
        "placement__student__program__profession__name",
    )


# Fewer answers than this at a site are not shown: a facilitator could tell whose they are.
FEEDBACK_MIN_SHOWN = 5
FEEDBACK_COMMENTS_SHOWN = 200


@dataclass
class FeedbackItem:
    statement: str
    answers: int
    mean: float | None
    # (label, count) for each point of the scale; count None when below FEEDBACK_MIN_SHOWN.
    cells: list[tuple[str, int | None]]


@dataclass
class SiteFeedback:
    responses: int
    shown: bool
    groups: list[tuple[str, list[FeedbackItem]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    min_shown: int = FEEDBACK_MIN_SHOWN


def site_feedback_summary(site: Site) -> SiteFeedback:
    """The students' feedback on their placements at `site`, aggregated: for each
    statement, the mean and how many chose each answer; nothing at all when fewer than
    FEEDBACK_MIN_SHOWN students answered, and any answer chosen by fewer than that many
    (but some) hidden. Comments are shown without names or dates, in an order that says
    nothing of who wrote them. Two queries, whatever the number of answers."""
    feedback = StudentPlacementFeedback.objects.filter(site=site)
    aggregates: dict[str, Any] = {"responses": Count("pk")}
    for name in FEEDBACK_FIELDS:
        aggregates[f"{name}__mean"] = Avg(name)
        for value in Agreement.values:
            aggregates[f"{name}__{value}"] = Count("pk", filter=Q(**{name: value}))
    totals = feedback.aggregate(**aggregates)
    responses = totals["responses"]
    if responses < FEEDBACK_MIN_SHOWN:
        return SiteFeedback(responses=responses, shown=False)
    groups = []
    for group, items in FEEDBACK_ITEMS:
        summaries = []
        for name, statement in items:
            cells = []
            for value, label in Agreement.choices:
                count = totals[f"{name}__{value}"]
                cells.append((label, None if 0 < count < FEEDBACK_MIN_SHOWN else count))
            summaries.append(
                FeedbackItem(
                    statement=statement,
                    answers=responses,
                    mean=totals[f"{name}__mean"],
                    cells=cells,
                )
            )
        groups.append((group, summaries))
    comments = list(
        feedback.exclude(comments="")
        .order_by("comments")
        .values_list("comments", flat=True)[:FEEDBACK_COMMENTS_SHOWN]
    )
    return SiteFeedback(responses=responses, shown=True, groups=groups, comments=comments)
