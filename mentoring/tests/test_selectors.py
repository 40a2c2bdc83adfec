"""The learning record's and the recognition statement's numbers, against hand-computed data."""

import datetime

import pytest
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from mentoring import selectors, services
from mentoring.models import Activity, CompetencyDomain, CompetencyFramework
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory
from sites.tests.factories import CommunityOfPracticeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def domain(code, framework="cihc-2010"):
    return CompetencyDomain.objects.get(framework__code=framework, code=code)


@pytest.fixture
def record_data(placement, team, physiotherapist, student, site_a):
    """Three sessions of the student (hand-computed below) plus noise that must not count."""
    preceptor, pharmacist = team
    today = timezone.localdate()
    role, comms = domain("role-clarification"), domain("ip-communication")
    services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=today,
        duration_minutes=60,
        activity=Activity.SHADOWING,
        students=[student],
        professionals=[pharmacist],
        domains=[role, comms],
    )
    services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=today - datetime.timedelta(days=1),
        duration_minutes=30,
        activity=Activity.CASE_DISCUSSION,
        students=[student],
        professionals=[physiotherapist],
        domains=[role],
    )
    services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=today - datetime.timedelta(days=2),
        duration_minutes=90,
        activity=Activity.SHADOWING,
        students=[student],
    )
    # Noise: another student's session with a dietitian at the same site.
    dietitian = UserFactory(preceptor=True, profession=ProfessionFactory(code="dietetics"))
    medicine = ProgramFactory(profession=ProfessionFactory(code="medicine"))
    other = PlacementFactory(
        site=site_a,
        student=StudentFactory(program=medicine),
        start_date=placement.start_date,
        active=True,
    )
    services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=today,
        duration_minutes=48,
        activity=Activity.DEBRIEF,
        students=[other.student],
        professionals=[dietitian],
        domains=[domain("ip-conflict-resolution")],
    )
    # A social worker in the site's CoP whom the student never met.
    MembershipFactory(
        community=CommunityOfPracticeFactory(site=site_a),
        person=UserFactory(profession=ProfessionFactory(code="social-work")),
    )
    return preceptor


def test_learning_record_numbers_match_hand_computed_values(record_data, student):
    record = selectors.learning_record(student)
    assert record.framework.code == "cihc-2010"
    assert (record.total_sessions, record.total_minutes, record.total_hours) == (3, 180, 3.0)
    assert [(p["name"], p["sessions"], p["people"], p["is_own"]) for p in record.professions] == [
        ("Nursing", 3, 1, True),
        ("Pharmacy", 1, 1, False),
        ("Physiotherapy", 1, 1, False),
    ]
    assert [
        (a["activity"], a["sessions"], a["minutes"], a["hours"]) for a in record.activities
    ] == [
        ("shadowing", 2, 150, 2.5),
        ("case_discussion", 1, 30, 0.5),
    ]
    coverage = {c.domain.code: (c.sessions, c.minutes, c.percent) for c in record.domains}
    assert coverage == {
        "ip-communication": (1, 60, 33),
        "patient-centred-care": (0, 0, 0),
        "role-clarification": (2, 90, 67),
        "team-functioning": (0, 0, 0),
        "collaborative-leadership": (0, 0, 0),
        "ip-conflict-resolution": (0, 0, 0),
    }
    assert [d.name for d in record.domain_gaps] == [
        "Patient/Client/Family/Community-Centred Care",
        "Team Functioning",
        "Collaborative Leadership",
        "Interprofessional Conflict Resolution",
    ]
    assert [p.name for p in record.never_worked_with] == ["Dietetics", "Social work"]


def test_learning_record_follows_the_program_framework(record_data, student):
    program = student.program
    program.framework = CompetencyFramework.objects.get(code="ipec-2023")
    program.save()
    student.refresh_from_db()
    record = selectors.learning_record(student)
    assert record.framework.code == "ipec-2023"
    assert [c.domain.name for c in record.domains] == [
        "Values and Ethics",
        "Roles and Responsibilities",
        "Communication",
        "Teams and Teamwork",
    ]
    # CIHC 2010 domains logged earlier do not count towards IPEC.
    assert all(c.sessions == 0 for c in record.domains)


def test_site_matrix_counts_professions_met_and_domains(record_data, student, site_a):
    matrix = selectors.site_matrix(site_a.pk)
    assert matrix.total_students == 2
    names = [p.name for p in matrix.professions]
    assert names == ["Dietetics", "Nursing", "Pharmacy", "Physiotherapy"]
    row = next(r for r in matrix.rows if r["student"]["id"] == student.pk)
    assert row["student"]["name"] == student.user.full_name
    program = student.program
    assert (row["student"]["program"], row["student"]["institution"]) == (
        program.name,
        program.institution,
    )
    assert row["professions"] == [0, 3, 1, 1]
    ((_framework, domains),) = matrix.frameworks
    counts = dict(zip([d.code for d in domains], row["domains"][0], strict=True))
    assert counts["role-clarification"] == 2
    assert counts["ip-conflict-resolution"] == 0


def test_recognition_counts_hours_by_student_profession(record_data, student, pharmacy):
    today = timezone.localdate()
    # A shared session with a pharmacy student counts under both professions, once in total.
    other = StudentFactory(program=ProgramFactory(profession=pharmacy))
    PlacementFactory(
        student=other,
        site=record_data.mentor_assignments.first().placement.site,
        start_date=today - datetime.timedelta(days=5),
        active=True,
    )
    services.session_log(
        logged_by=record_data,
        site=other.placements.get().site,
        held_on=today,
        duration_minutes=120,
        activity=Activity.IP_ROUNDS,
        students=[student, other],
    )
    statement = selectors.mentoring_hours(record_data, today - datetime.timedelta(days=30), today)
    rows = {
        r["profession"].code: (r["sessions"], r["students"], r["hours"]) for r in statement["rows"]
    }
    assert rows == {
        "medicine": (1, 1, 0.8),  # 48 min
        "nursing": (4, 1, 5.0),  # 60 + 30 + 90 + 120 min
        "pharmacy": (1, 1, 2.0),  # the shared 120 min
    }
    assert statement["sessions"] == 5
    assert statement["hours"] == round((60 + 30 + 90 + 48 + 120) / 60, 1)


def test_recognition_ignores_sessions_outside_the_range_and_of_others(record_data, outsider):
    today = timezone.localdate()
    empty = selectors.mentoring_hours(
        record_data, today + datetime.timedelta(days=1), today + datetime.timedelta(days=9)
    )
    assert empty == {"rows": [], "sessions": 0, "hours": 0.0}
    assert (
        selectors.mentoring_hours(outsider, today - datetime.timedelta(days=30), today)["sessions"]
        == 0
    )


# --- The raw SQL statements against the ORM ---------------------------------------------
# learning_record() and site_matrix() each run one hand-written statement (see the comment
# above _LEARNING_RECORD_SQL). These tests compute the same numbers with ORM aggregates
# over a site with more shapes: two people of one profession at a session, a session at
# another site, a student of another framework, CIHC domains logged for an IPEC student,
# a cancelled placement.


@pytest.fixture
def mixed_data(record_data, team, student, site_a, site_b, pharmacy, physiotherapist):
    preceptor, pharmacist = team
    today = timezone.localdate()
    second_pharmacist = UserFactory(preceptor=True, profession=pharmacy)
    MembershipFactory(community=CommunityOfPracticeFactory(site=site_a), person=second_pharmacist)
    ipec = CompetencyFramework.objects.get(code="ipec-2023")
    ipec_student = StudentFactory(program=ProgramFactory(framework=ipec))
    PlacementFactory(student=ipec_student, site=site_a, start_date=today, active=True)
    PlacementFactory(student=StudentFactory(), site=site_a, status="cancelled")
    PlacementFactory(student=student, site=site_b, start_date=today, active=True)
    services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=today,
        duration_minutes=75,
        activity=Activity.IP_ROUNDS,
        students=[student, ipec_student],
        professionals=[pharmacist, second_pharmacist, physiotherapist],
        domains=[domain("team-functioning"), domain("communication", "ipec-2023")],
    )
    services.session_log(
        logged_by=preceptor,
        site=site_b,
        held_on=today,
        duration_minutes=20,
        activity=Activity.DEBRIEF,
        students=[student],
        domains=[domain("role-clarification")],
    )
    return [student, ipec_student]


def orm_learning_record(student):
    """The learning record's numbers as the ORM computed them before the raw statement."""
    from django.db.models import Count, F, Q, Sum

    from accounts.models import Profession
    from mentoring.models import MentorAssignment, MentoringSession, SessionProfessional
    from placements.models import Placement, PlacementStatus
    from sites.models import Membership

    framework = student.program.framework or CompetencyFramework.objects.get(is_default=True)
    sessions = MentoringSession.objects.filter(attendance__student=student)
    activities = list(
        sessions.values("activity")
        .annotate(sessions=Count("pk"), minutes=Sum("duration_minutes"))
        .order_by("-minutes", "activity")
        .values_list("activity", "sessions", "minutes")
    )
    professions = list(
        SessionProfessional.objects.filter(session__attendance__student=student)
        .values("profession", name=F("profession__name"))
        .annotate(sessions=Count("session", distinct=True), people=Count("person", distinct=True))
        .order_by("-sessions", "name")
        .values_list("name", "sessions", "people")
    )
    domains = []
    for d in CompetencyDomain.objects.filter(framework=framework).order_by("order", "name"):
        practised = sessions.filter(domains=d)
        minutes = practised.aggregate(m=Sum("duration_minutes"))["m"] or 0
        domains.append((d.code, practised.count(), minutes))
    sites = Placement.objects.filter(student=student).exclude(status=PlacementStatus.CANCELLED)
    sites = sites.values("site")
    worked = SessionProfessional.objects.filter(session__attendance__student=student)
    never = (
        Profession.objects.filter(
            Q(
                pk__in=SessionProfessional.objects.filter(session__site__in=sites).values(
                    "profession"
                )
            )
            | Q(
                pk__in=Membership.objects.filter(
                    community__site__in=sites, left_on__isnull=True
                ).values("profession")
            )
            | Q(
                pk__in=MentorAssignment.objects.filter(placement__site__in=sites).values(
                    "profession"
                )
            )
        )
        .exclude(pk=student.program.profession_id)
        .exclude(pk__in=worked.values("profession"))
        .order_by("name")
    )
    return {
        "framework": framework.code,
        "activities": activities,
        "professions": professions,
        "domains": domains,
        "never": [p.name for p in never],
    }


def test_learning_record_statement_matches_the_orm(mixed_data):
    for student in mixed_data:
        record = selectors.learning_record(student)
        assert {
            "framework": record.framework.code,
            "activities": [(a["activity"], a["sessions"], a["minutes"]) for a in record.activities],
            "professions": [(p["name"], p["sessions"], p["people"]) for p in record.professions],
            "domains": [(c.domain.code, c.sessions, c.minutes) for c in record.domains],
            "never": [p.name for p in record.never_worked_with],
        } == orm_learning_record(student)
        # The page of sessions it brings is student_sessions()'s.
        for offset, limit in [(0, 25), (1, 2), (40, 25)]:
            assert selectors.learning_record(
                student, offset=offset, limit=limit
            ).sessions == selectors.student_sessions(student, offset=offset, limit=limit)
        assert len(record.sessions) == record.total_sessions
        # The heading's facts come from the same statement.
        assert (
            record.enrolment["name"],
            record.enrolment["profession"],
            record.enrolment["program"],
        ) == (student.user.full_name, str(student.program.profession), str(student.program))
    # The shapes the fixture meant to cover are there.
    record = selectors.learning_record(mixed_data[0])
    assert ("Pharmacy", 2, 2) in [
        (p["name"], p["sessions"], p["people"]) for p in record.professions
    ]
    assert record.total_sessions == 5  # one of them at site B


def test_site_matrix_statement_matches_the_orm(mixed_data, site_a):
    from django.db.models import Count

    from mentoring.models import MentoringSession, SessionProfessional
    from placements.models import Student

    students = list(
        Student.objects.filter(placements__site=site_a)
        .exclude(placements__status="cancelled")
        .distinct()
        .order_by("user__full_name", "pk")
    )
    default = CompetencyFramework.objects.get(is_default=True)
    professions = list(
        SessionProfessional.objects.filter(session__site=site_a)
        .values_list("profession__name", flat=True)
        .distinct()
        .order_by("profession__name")
    )
    frameworks = sorted(
        {s.program.framework or default for s in students}, key=lambda f: (not f.is_default, f.name)
    )
    expected = []
    for student in students:
        at_site = MentoringSession.objects.filter(site=site_a, attendance__student=student)
        met = dict(
            SessionProfessional.objects.filter(session__in=at_site)
            .values_list("profession__name")
            .annotate(n=Count("session", distinct=True))
        )
        own = student.program.framework or default
        expected.append(
            (
                student.pk,
                [met.get(name, 0) for name in professions],
                [
                    [
                        at_site.filter(domains=d).count() if f == own else None
                        for d in f.domains.all()
                    ]
                    for f in frameworks
                ],
            )
        )

    matrix = selectors.site_matrix(site_a.pk)
    assert matrix.total_students == len(students) == 3
    assert [p.name for p in matrix.professions] == professions
    assert [f.code for f, _ in matrix.frameworks] == [f.code for f in frameworks]
    assert [
        (row["student"]["id"], row["professions"], row["domains"]) for row in matrix.rows
    ] == expected
    # A page of it: the same rows, the same total.
    page = selectors.site_matrix(site_a.pk, offset=1, limit=1)
    assert page.total_students == 3
    assert [row["student"]["id"] for row in page.rows] == [students[1].pk]


def test_statements_prepared_once_per_connection_survive_rollbacks_and_failures(mixed_data, site_a):
    """The statements run as prepared statements (ipcop.lib.sql.Prepared): the second run
    only EXECUTEs; a rolled-back transaction keeps them; a failed first run (here after
    the PREPARE, at execution) leaves the next run working."""
    from django.db import DatabaseError, connection, transaction
    from django.test.utils import CaptureQueriesContext

    from ipcop.lib.sql import Prepared

    Prepared._prepared.clear()
    with pytest.raises(DatabaseError), transaction.atomic():
        selectors.site_matrix(site_a.pk, limit=-1)  # LIMIT must not be negative
    with transaction.atomic():
        first = selectors.site_matrix(site_a.pk)
        transaction.set_rollback(True)
    with CaptureQueriesContext(connection) as queries:
        again = selectors.site_matrix(site_a.pk)
    assert [q["sql"].split()[0] for q in queries] == ["EXECUTE"]
    assert again == first and again.total_students == 3
