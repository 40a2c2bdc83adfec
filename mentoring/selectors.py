"""Reads of the mentoring app that cross apps: the people at a site, a preceptor's current
students, a student's IP learning record, a site's matrix, a preceptor's hours.

Every aggregate is computed by the database; Python only arranges the few aggregated rows
into tables, so the number of queries of a page does not grow with the number of sessions.
The learning record and the site matrix, the hottest of these pages, each come from one
hand-written PostgreSQL statement (see _LEARNING_RECORD_SQL for why), prepared once per
connection (ipcop.lib.sql.Prepared), which reads counts kept by triggers (SiteProfession,
StudentSiteProfession, StudentSiteDomain; migrations 0005-0007) where it would otherwise
read every session of a site or of the page's students.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.db import connection
from django.db.models import (
    Count,
    Exists,
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
from ipcop.lib.sql import Prepared
from placements.models import Placement, PlacementStatus, Program, Student
from sites.models import CommunityOfPractice, Membership, Site

from .models import (
    Activity,
    CompetencyDomain,
    CompetencyFramework,
    MentorAssignment,
    MentoringSession,
    SessionProfessional,
    SessionStudent,
    SiteProfession,
    StudentSiteDomain,
    StudentSiteProfession,
)


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


# --- The student's IP learning record --------------------------------------------------


@dataclass
class DomainCoverage:
    domain: Named  # a CompetencyDomain's columns
    sessions: int
    minutes: int
    percent: int  # share of the student's sessions that practised the domain

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


@dataclass
class LearningRecord:
    student: Student
    enrolment: dict  # the heading: name, profession, program (as str(Program) shows it)
    framework: Named  # a CompetencyFramework's columns
    total_sessions: int
    total_minutes: int
    professions: list[dict]  # profession, name, sessions, people, is_own
    activities: list[dict]  # activity, label, sessions, minutes, hours
    domains: list[DomainCoverage]
    never_worked_with: list[Named] = field(default_factory=list)  # professions
    sessions: list[dict] = field(default_factory=list)  # a page of them, newest first

    @property
    def total_hours(self) -> float:
        return round(self.total_minutes / 60, 1)

    @property
    def domain_gaps(self) -> list[Named]:
        return [c.domain for c in self.domains if c.sessions == 0]


# The record's parts (framework, activities, professions worked with, domains, professions
# never worked with) and a page of its sessions come from one parametrised statement, not
# from seven queries: building the ORM's (aggregates, nested subqueries, ArraySubquery) cost
# more CPU than PostgreSQL spent answering them (round 2 of the performance work). Each
# part is a JSON column, so one row carries lists of different shapes (PostgreSQL only,
# like the ArraySubquery the record used before). The tests
# check the numbers against hand-computed values and against ORM aggregates
# (mentoring/tests/test_selectors.py). Table names come from the models; every value
# is a parameter.
_TABLES = {
    "session": MentoringSession._meta.db_table,
    "attendance": SessionStudent._meta.db_table,
    "presence": SessionProfessional._meta.db_table,
    "session_domain": MentoringSession.domains.through._meta.db_table,
    "domain": CompetencyDomain._meta.db_table,
    "framework": CompetencyFramework._meta.db_table,
    "profession": Profession._meta.db_table,
    "placement": Placement._meta.db_table,
    "student": Student._meta.db_table,
    "user": User._meta.db_table,
    "program": Program._meta.db_table,
    "site": Site._meta.db_table,
    "membership": Membership._meta.db_table,
    "community": CommunityOfPractice._meta.db_table,
    "assignment": MentorAssignment._meta.db_table,
    "site_profession": SiteProfession._meta.db_table,
    "student_site_profession": StudentSiteProfession._meta.db_table,
    "student_site_domain": StudentSiteDomain._meta.db_table,
}

# The student's attendance rows, newest first, a page at a time: each with its session's
# date, activity, minutes and site name, the names of the professions present and of the
# domains practised (correlated index-only subqueries), and whether the student wrote a
# reflection.
_STUDENT_SESSIONS_SQL = """
    SELECT a.session_id, s.held_on, s.activity, s.duration_minutes AS minutes,
        site.name AS site, a.reflection <> '' AS has_reflection,
        ARRAY(
            SELECT p.name FROM {presence} sp JOIN {profession} p ON p.id = sp.profession_id
            WHERE sp.session_id = a.session_id ORDER BY p.name, sp.id
        ) AS professions,
        ARRAY(
            SELECT d.name FROM {session_domain} sd
            JOIN {domain} d ON d.id = sd.competencydomain_id
            JOIN {framework} f ON f.id = d.framework_id
            WHERE sd.mentoringsession_id = a.session_id
            ORDER BY f.is_default DESC, f.name, d."order", d.name
        ) AS domains
    FROM {attendance} a
    JOIN {session} s ON s.id = a.session_id
    JOIN {site} site ON site.id = s.site_id
    WHERE a.student_id = %(student)s
    ORDER BY s.held_on DESC, a.session_id DESC
    LIMIT %(limit)s OFFSET %(offset)s
""".format(**_TABLES)  # noqa: S608  # nosec B608: table names from the models, values as parameters

_LEARNING_RECORD_SQL = """
    WITH attended AS MATERIALIZED (
        SELECT s.id, s.activity, s.duration_minutes
        FROM {attendance} a JOIN {session} s ON s.id = a.session_id
        WHERE a.student_id = %(student)s
    ),
    worked AS MATERIALIZED (
        SELECT profession_id, COUNT(DISTINCT session_id) AS sessions,
            COUNT(DISTINCT person_id) AS people
        FROM {presence} WHERE session_id IN (SELECT id FROM attended)
        GROUP BY profession_id
    ),
    enrolment AS MATERIALIZED (
        -- The student's name, program and profession: the page's heading.
        SELECT u.full_name AS name, pg.name AS program, pg.institution, pg.framework_id,
            pg.profession_id, pr.name AS profession
        FROM {student} st
        JOIN {user} u ON u.id = st.user_id
        JOIN {program} pg ON pg.id = st.program_id
        JOIN {profession} pr ON pr.id = pg.profession_id
        WHERE st.id = %(student)s
    ),
    framework AS (
        -- The program's framework, else the default one (as default_framework() picks it).
        SELECT f.id, f.code, f.name, f.year, f.is_default FROM {framework} f, enrolment e
        WHERE f.id = e.framework_id OR e.framework_id IS NULL
        ORDER BY f.is_default DESC, f.year, f.id
        LIMIT 1
    ),
    covered AS (
        SELECT d.competencydomain_id, COUNT(*) AS sessions, SUM(a.duration_minutes) AS minutes
        FROM {session_domain} d JOIN attended a ON a.id = d.mentoringsession_id
        GROUP BY d.competencydomain_id
    ),
    sites AS (
        SELECT site_id FROM {placement} WHERE student_id = %(student)s AND status <> %(cancelled)s
    )
    SELECT
        (SELECT row_to_json(e) FROM enrolment e) AS enrolment,
        -- The page of sessions asked for (the view checks the page exists once it has
        -- the total, and asks again with student_sessions() only when it does not).
        (SELECT json_agg(x ORDER BY x.held_on DESC, x.session_id DESC) FROM ({sessions}) x)
            AS sessions,
        (SELECT row_to_json(f) FROM framework f) AS framework,
        -- Each session has one activity: these rows also give the totals.
        (SELECT json_agg(x ORDER BY x.minutes DESC, x.activity) FROM (
            SELECT activity, COUNT(*) AS sessions, SUM(duration_minutes) AS minutes
            FROM attended GROUP BY activity
        ) x) AS activities,
        (SELECT json_agg(x ORDER BY x.sessions DESC, x.name) FROM (
            SELECT w.profession_id AS profession, p.name, w.sessions, w.people
            FROM worked w JOIN {profession} p ON p.id = w.profession_id
        ) x) AS professions,
        -- Every domain of the student's framework, practised or not.
        (SELECT json_agg(x ORDER BY x."order", x.name) FROM (
            SELECT d.id, d.framework_id, d.name, d.code, d."order",
                COALESCE(c.sessions, 0) AS sessions, COALESCE(c.minutes, 0) AS minutes
            FROM {domain} d LEFT JOIN covered c ON c.competencydomain_id = d.id
            WHERE d.framework_id = (SELECT id FROM framework)
        ) x) AS domains,
        -- Professions present at the student's sites (at a session there, in a CoP there
        -- now, or mentoring there) that are neither their own nor among those worked
        -- with. Each IN is a hashed subplan run once; the sessions' one reads the counts
        -- the triggers keep (SiteProfession), not every session of the sites.
        (SELECT json_agg(x ORDER BY x.name) FROM (
            SELECT id, name, code FROM {profession}
            WHERE (
                id IN (
                    SELECT profession_id FROM {site_profession}
                    WHERE site_id IN (SELECT site_id FROM sites) AND presences > 0
                )
                OR id IN (
                    SELECT m.profession_id FROM {membership} m
                    JOIN {community} c ON c.id = m.community_id
                    WHERE c.site_id IN (SELECT site_id FROM sites) AND m.left_on IS NULL
                )
                OR id IN (
                    SELECT a.profession_id FROM {assignment} a
                    JOIN {placement} p ON p.id = a.placement_id
                    WHERE p.site_id IN (SELECT site_id FROM sites)
                )
            )
            AND id <> (SELECT profession_id FROM enrolment)
            AND id NOT IN (SELECT profession_id FROM worked)
        ) x) AS never_worked_with
""".format(**_TABLES, sessions=_STUDENT_SESSIONS_SQL)  # noqa: S608  # nosec B608: table names from the models, values as parameters


_LEARNING_RECORD = Prepared("learning_record", _LEARNING_RECORD_SQL)


class Named(SimpleNamespace):
    """A framework, domain or profession read by a hand-written statement: its columns as
    attributes, printed as its name like the model. Building a model instance costs ~40
    Python calls; the learning record and the matrix built ~20 of them a page to read
    their names and codes."""

    def __str__(self) -> str:
        return self.name


def _json(value):
    """A json column's value: psycopg2 decodes it, psycopg 3 may hand over the text."""
    if isinstance(value, str | bytes):
        return json.loads(value)
    return value


def learning_record(student: Student, *, offset: int = 0, limit: int = 25) -> LearningRecord:
    """A student's IP learning record: professions worked with and how often, hours by
    activity, sessions per domain of their program's framework, and the gaps; with the
    student's name, profession and program for the heading, and `limit` of their
    sessions from `offset` (as student_sessions() gives them). One query (the student's
    user and program need not be loaded)."""
    (row,) = _LEARNING_RECORD.fetch_dicts(
        {
            "student": student.pk,
            "cancelled": PlacementStatus.CANCELLED,
            "offset": offset,
            "limit": limit,
        }
    )
    enrolment = _json(row["enrolment"])
    enrolment["program"] = str(
        Program(name=enrolment["program"], institution=enrolment["institution"])
    )
    own = enrolment["profession_id"]
    framework = _json(row["framework"])
    framework = Named(**framework) if framework else None

    labels = dict(Activity.choices)
    activities = [
        {
            **activity,
            "label": labels.get(activity["activity"], activity["activity"]),
            "hours": round(activity["minutes"] / 60, 1),
        }
        for activity in _json(row["activities"]) or []
    ]
    total = sum(activity["sessions"] for activity in activities)
    total_minutes = sum(activity["minutes"] for activity in activities)

    professions = [
        {**profession, "is_own": profession["profession"] == own}
        for profession in _json(row["professions"]) or []
    ]
    domains = []
    for covered in _json(row["domains"]) or []:
        sessions, minutes = covered.pop("sessions"), covered.pop("minutes")
        domain = Named(**covered, framework=framework)
        percent = round(100 * sessions / total) if total else 0
        domains.append(DomainCoverage(domain, sessions, minutes, percent))
    page = _json(row["sessions"]) or []
    for session in page:
        session["held_on"] = datetime.date.fromisoformat(session["held_on"])
        session["activity"] = labels.get(session["activity"], session["activity"])
    return LearningRecord(
        student=student,
        enrolment=enrolment,
        sessions=page,
        framework=framework,
        total_sessions=total,
        total_minutes=total_minutes,
        professions=professions,
        activities=activities,
        domains=domains,
        never_worked_with=[Named(**p) for p in _json(row["never_worked_with"]) or []],
    )


_STUDENT_SESSIONS = Prepared("student_sessions", _STUDENT_SESSIONS_SQL)


def student_sessions(student: Student, *, offset: int, limit: int) -> list[dict]:
    """A page of the student's attendance rows, newest first, as dicts ready to list
    (`activity` is the activity's label). One query."""
    labels = dict(Activity.choices)
    with connection.cursor() as cursor:
        _STUDENT_SESSIONS.execute(cursor, {"student": student.pk, "offset": offset, "limit": limit})
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        row["activity"] = labels.get(row["activity"], row["activity"])
    return rows


# --- A site's matrix -------------------------------------------------------------------


@dataclass
class SiteMatrix:
    total_students: int  # placed at the site (not cancelled), on every page
    professions: list[Named]  # present at a session at the site
    frameworks: list[tuple[Named, list[Named]]]  # the page's students', with their domains
    # student (dict: id, name, profession, program, institution, framework_id; by name),
    # framework (theirs), professions [counts], domains [[count or None] per framework]
    rows: list[dict]


# The matrix of a page of the site's students in one statement (see _LEARNING_RECORD_SQL
# for why raw SQL and JSON columns): it replaced seven ORM queries (count, students,
# frameworks, professions, professions met, domains covered). Its columns and cells are
# read from counts kept by triggers (mentoring migrations 0005 and 0006).
_SITE_MATRIX_SQL = """
    WITH placed AS MATERIALIZED (
        -- Served by placement_site_status_idx.
        SELECT DISTINCT student_id AS id FROM {placement}
        WHERE site_id = %(site)s AND status <> %(cancelled)s
    ),
    page AS MATERIALIZED (
        SELECT st.id, u.full_name AS name, pr.name AS profession, pg.name AS program,
            pg.institution, pg.framework_id
        FROM placed
        JOIN {student} st ON st.id = placed.id
        JOIN {user} u ON u.id = st.user_id
        JOIN {program} pg ON pg.id = st.program_id
        JOIN {profession} pr ON pr.id = pg.profession_id
        ORDER BY u.full_name, st.id
        LIMIT %(limit)s OFFSET %(offset)s
    ),
    default_framework AS (
        -- The framework of programs that name none, as default_framework() picks it.
        SELECT id FROM {framework} ORDER BY is_default DESC, year, id LIMIT 1
    ),
    present AS (
        -- The counts the triggers keep (SiteProfession), not every session of the site.
        SELECT profession_id AS id FROM {site_profession}
        WHERE site_id = %(site)s AND presences > 0
    )
    SELECT
        (SELECT COUNT(*) FROM placed) AS total_students,
        (SELECT json_agg(p ORDER BY p.name, p.id) FROM page p) AS students,
        (SELECT id FROM default_framework) AS default_framework,
        -- The frameworks of the students shown, default first, each with its domains.
        (SELECT json_agg(x ORDER BY x.is_default DESC, x.name) FROM (
            SELECT f.id, f.code, f.name, f.year, f.is_default,
                (SELECT json_agg(d ORDER BY d."order", d.name) FROM (
                    SELECT id, framework_id, name, code, "order" FROM {domain}
                    WHERE framework_id = f.id
                ) d) AS domains
            FROM {framework} f
            WHERE f.id IN (
                SELECT COALESCE(framework_id, (SELECT id FROM default_framework)) FROM page
            )
        ) x) AS frameworks,
        -- The columns: professions present at any session at the site.
        (SELECT json_agg(x ORDER BY x.name) FROM (
            SELECT id, name, code FROM {profession} WHERE id IN (SELECT id FROM present)
        ) x) AS professions,
        -- [student, profession, sessions at the site with someone of that profession]
        -- and [student, domain, sessions at the site that practised it]: the counts the
        -- triggers keep (StudentSiteProfession, StudentSiteDomain), not the page's
        -- students' every attendance, presence and domain row.
        (SELECT json_agg(json_build_array(student_id, profession_id, sessions))
            FROM {student_site_profession}
            WHERE site_id = %(site)s AND student_id IN (SELECT id FROM page)
        ) AS met,
        (SELECT json_agg(json_build_array(student_id, domain_id, sessions))
            FROM {student_site_domain}
            WHERE site_id = %(site)s AND student_id IN (SELECT id FROM page)
        ) AS covered
""".format(**_TABLES)  # noqa: S608  # nosec B608: table names from the models, values as parameters
_SITE_MATRIX = Prepared("site_matrix", _SITE_MATRIX_SQL)


def site_matrix(site_id: int, *, offset: int = 0, limit: int | None = None) -> SiteMatrix:
    """The students placed at a site (not cancelled), by name, `limit` of them from
    `offset` (all when `limit` is None), each with their sessions at the site with each
    profession present there, and per domain of their framework. One query."""
    (row,) = _SITE_MATRIX.fetch_dicts(
        {
            "site": site_id,
            "cancelled": PlacementStatus.CANCELLED,
            "offset": offset,
            "limit": limit,
        }
    )
    frameworks = {}
    domains_of = {}
    for framework in _json(row["frameworks"]) or []:
        domains = framework.pop("domains") or []
        framework = Named(**framework)
        frameworks[framework.id] = framework
        domains_of[framework.id] = [Named(**d, framework=framework) for d in domains]
    professions = [Named(**p) for p in _json(row["professions"]) or []]
    met = {(student, profession): n for student, profession, n in _json(row["met"]) or []}
    covered = {(student, domain): n for student, domain, n in _json(row["covered"]) or []}

    # Plain ids in the loops below: they run for every cell of the page.
    profession_ids = [p.id for p in professions]
    domain_ids = {f: [d.id for d in domains] for f, domains in domains_of.items()}
    rows = []
    for student in _json(row["students"]) or []:
        pk = student["id"]
        own = student["framework_id"] or row["default_framework"]
        rows.append(
            {
                "student": student,
                "framework": frameworks[own],
                "professions": [met.get((pk, p), 0) for p in profession_ids],
                "domains": [
                    [covered.get((pk, d), 0) for d in ids] if f == own else [None] * len(ids)
                    for f, ids in domain_ids.items()
                ],
            }
        )
    return SiteMatrix(
        total_students=row["total_students"],
        professions=professions,
        frameworks=[(f, domains_of[f.id]) for f in frameworks.values()],
        rows=rows,
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
