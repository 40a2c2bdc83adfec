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
    placed = selectors.students_placed_at(site_a)
    assert len(placed) == 2
    matrix = selectors.site_matrix(site_a, selectors.students_by_name(placed))
    names = [p.name for p in matrix.professions]
    assert names == ["Dietetics", "Nursing", "Pharmacy", "Physiotherapy"]
    row = next(r for r in matrix.rows if r["student"].pk == student.pk)
    assert row["student"].user.full_name == student.user.full_name
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
        r["profession"].code: (r["sessions"], r["students"], r["minutes"])
        for r in statement["rows"]
    }
    # The preceptor is a nurse: mentoring nursing students is not interprofessional.
    assert rows == {
        "medicine": (1, 1, 48),
        "pharmacy": (1, 1, 120),  # the shared session, which had a nursing student too
    }
    assert statement["sessions"] == 2
    assert statement["students"] == 2
    assert statement["minutes"] == 48 + 120
    # The three sessions with the nursing student alone are summed apart.
    assert statement["own_profession"] == {"sessions": 3, "minutes": 60 + 30 + 90}


def test_recognition_counts_own_profession_students_as_not_interprofessional(
    placement, preceptor, pharmacist, student
):
    """A nurse mentoring a nursing student is not interprofessional; a pharmacist
    mentoring the same student is."""
    today = timezone.localdate()
    for mentor in (preceptor, pharmacist):
        services.session_log(
            logged_by=mentor,
            site=placement.site,
            held_on=today,
            duration_minutes=95,
            activity=Activity.SHADOWING,
            students=[student],
        )
    period = (today - datetime.timedelta(days=7), today)
    nurse = selectors.mentoring_hours(preceptor, *period)
    assert (nurse["rows"], nurse["sessions"], nurse["minutes"]) == ([], 0, 0)
    assert nurse["own_profession"] == {"sessions": 1, "minutes": 95}
    other = selectors.mentoring_hours(pharmacist, *period)
    assert [(r["profession"].code, r["minutes"]) for r in other["rows"]] == [("nursing", 95)]
    assert (other["sessions"], other["students"], other["minutes"]) == (1, 1, 95)


def test_recognition_ignores_sessions_outside_the_range_and_of_others(record_data, outsider):
    today = timezone.localdate()
    empty = selectors.mentoring_hours(
        record_data, today + datetime.timedelta(days=1), today + datetime.timedelta(days=9)
    )
    assert empty == {
        "rows": [],
        "sessions": 0,
        "students": 0,
        "minutes": 0,
        "own_profession": {"sessions": 0, "minutes": 0},
    }
    assert (
        selectors.mentoring_hours(outsider, today - datetime.timedelta(days=30), today)["sessions"]
        == 0
    )


# --- More shapes ------------------------------------------------------------------------
# Two people of one profession at a session, a session at another site, a student of
# another framework, CIHC domains logged for an IPEC student, a cancelled placement.


@pytest.fixture
def mixed_data(record_data, team, student, site_a, site_b, pharmacy, physiotherapist):
    preceptor, pharmacist = team
    today = timezone.localdate()
    second_pharmacist = UserFactory(preceptor=True, profession=pharmacy)
    MembershipFactory(community=CommunityOfPracticeFactory(site=site_a), person=second_pharmacist)
    ipec = CompetencyFramework.objects.get(code="ipec-2023")
    ipec_student = StudentFactory(
        program=ProgramFactory(framework=ipec, profession=ProfessionFactory(code="optometry"))
    )
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
    return student, ipec_student


def record_numbers(record):
    return {
        "framework": record.framework.code,
        "total": (record.total_sessions, record.total_minutes),
        "activities": [(a["activity"], a["sessions"], a["minutes"]) for a in record.activities],
        "professions": [(p["name"], p["sessions"], p["people"]) for p in record.professions],
        "domains": {c.domain.code: (c.sessions, c.minutes) for c in record.domains if c.sessions},
        "never": [p.name for p in record.never_worked_with],
    }


def test_learning_record_over_sites_frameworks_and_shared_professions(mixed_data):
    student, ipec_student = mixed_data
    assert record_numbers(selectors.learning_record(student)) == {
        "framework": "cihc-2010",
        "total": (5, 60 + 30 + 90 + 75 + 20),  # one of them at site B
        "activities": [
            ("shadowing", 2, 150),
            ("ip_rounds", 1, 75),
            ("case_discussion", 1, 30),
            ("debrief", 1, 20),
        ],
        "professions": [("Nursing", 5, 1), ("Pharmacy", 2, 2), ("Physiotherapy", 2, 1)],
        "domains": {
            "role-clarification": (3, 110),
            "ip-communication": (1, 60),
            "team-functioning": (1, 75),
        },
        "never": ["Dietetics", "Social work"],
    }
    assert record_numbers(selectors.learning_record(ipec_student)) == {
        "framework": "ipec-2023",
        "total": (1, 75),
        "activities": [("ip_rounds", 1, 75)],
        "professions": [("Nursing", 1, 1), ("Pharmacy", 1, 2), ("Physiotherapy", 1, 1)],
        "domains": {"communication": (1, 75)},  # the CIHC domain logged does not count
        "never": ["Dietetics", "Social work"],
    }


def test_learning_record_lists_sessions_newest_first_with_names(mixed_data, site_b):
    student, _ = mixed_data
    rows = selectors.learning_record(student).sessions
    assert [row["minutes"] for row in rows] == [20, 75, 60, 30, 90]  # by date, then id
    latest, shared = rows[0], rows[1]
    assert (latest["site"], latest["activity"], latest["has_reflection"]) == (
        "Site B",
        "Debrief",
        False,
    )
    assert shared["professions"] == ["Nursing", "Pharmacy", "Pharmacy", "Physiotherapy"]
    # The default framework's domains first, then the others by framework name.
    assert shared["domains"] == ["Team Functioning", "Communication"]


def test_site_matrix_over_frameworks_and_cancelled_placements(mixed_data, site_a):
    student, ipec_student = mixed_data
    placed = selectors.students_by_name(selectors.students_placed_at(site_a))
    assert placed.count() == 3  # not the cancelled placement's student
    matrix = selectors.site_matrix(site_a, placed)
    assert [p.name for p in matrix.professions] == [
        "Dietetics",
        "Nursing",
        "Pharmacy",
        "Physiotherapy",
    ]
    assert [f.code for f, _ in matrix.frameworks] == ["cihc-2010", "ipec-2023"]
    (cihc, cihc_domains), (_, ipec_domains) = matrix.frameworks
    rows = {row["student"].pk: row for row in matrix.rows}
    other = next(pk for pk in rows if pk not in (student.pk, ipec_student.pk))

    def cells(pk):
        row = rows[pk]
        domains = [
            {d.code: n for d, n in zip(columns, counts, strict=True) if n}
            if counts[0] is not None
            else None
            for (_, columns), counts in zip(matrix.frameworks, row["domains"], strict=True)
        ]
        return row["framework"].code, row["professions"], domains

    assert cells(student.pk) == (
        "cihc-2010",
        [0, 4, 2, 2],  # the session at site B is not counted here
        [{"role-clarification": 2, "ip-communication": 1, "team-functioning": 1}, None],
    )
    assert cells(ipec_student.pk) == ("ipec-2023", [0, 1, 1, 1], [None, {"communication": 1}])
    assert cells(other) == ("cihc-2010", [1, 1, 0, 0], [{"ip-conflict-resolution": 1}, None])
    assert len(cihc_domains) == 6 and len(ipec_domains) == 4
    # A page of them: the same rows.
    page = selectors.site_matrix(site_a, placed[1:2])
    assert [row["student"].pk for row in page.rows] == [list(placed)[1].pk]
    assert page.rows[0]["professions"] == rows[list(placed)[1].pk]["professions"]


def test_site_matrix_of_a_site_without_students(site_b):
    matrix = selectors.site_matrix(site_b, selectors.students_by_name([]))
    assert (matrix.professions, matrix.frameworks, matrix.rows) == ([], [], [])


# --- The sessions list ------------------------------------------------------------------


def visible_ids(user):
    from ipcop.permissions import sessions_visible_to

    return set(sessions_visible_to(user).values_list("pk", flat=True))


def test_sessions_visible_to_each_persona(record_data, team, student, site_a, site_b, facilitator):
    from mentoring.models import MentoringSession

    preceptor, pharmacist = team
    at_a = set(MentoringSession.objects.filter(site=site_a).values_list("pk", flat=True))
    assert len(at_a) == 4
    # The facilitator of site A logs a session at site B (not theirs), with Sam placed there.
    PlacementFactory(student=student, site=site_b, start_date=timezone.localdate(), active=True)
    facilitator.profession = ProfessionFactory(code="medicine")
    facilitator.save()
    elsewhere = services.session_log(
        logged_by=facilitator,
        site=site_b,
        held_on=timezone.localdate(),
        duration_minutes=30,
        activity=Activity.DEBRIEF,
        students=[student],
    )
    assert visible_ids(facilitator) == at_a | {elsewhere.pk}
    # Sam attended three of site A's and the one at site B; the pharmacist was at one and
    # mentors Sam's placement at site A (so sees its sessions, not the one at site B); the
    # preceptor logged site A's.
    sams = {pk for pk in at_a if MentoringSession.objects.get(pk=pk).students.filter(pk=student.pk)}
    assert len(sams) == 3
    assert visible_ids(student.user) == sams | {elsewhere.pk}
    assert visible_ids(pharmacist) == sams
    assert visible_ids(preceptor) == at_a
    assert visible_ids(UserFactory()) == set()


def test_sessions_page_walks_keyset_pages_newest_first(placement, team, facilitator):
    from django.http import QueryDict

    from ipcop.permissions import sessions_visible_to

    from .conftest import bulk_sessions

    sessions = bulk_sessions(count=60, placements=[placement], logged_by=team[0])
    expected = [s.pk for s in sorted(sessions, key=lambda s: (s.held_on, s.pk), reverse=True)]
    seen, query, number = [], "", 0
    while True:
        page = selectors.sessions_page(
            sessions_visible_to(facilitator), params=QueryDict(query), query=""
        )
        number += 1
        assert page.number == number and page.count == 60
        seen += [row["pk"] for row in page.object_list]
        if not page.has_next:
            break
        query = page.next_query
    assert seen == expected and number == 3
    # Back from the last page: the second.
    back = selectors.sessions_page(
        sessions_visible_to(facilitator), params=QueryDict(page.previous_query)
    )
    assert [row["pk"] for row in back.object_list] == expected[25:50]
    row = back.object_list[0]
    assert set(row) >= {"held_on", "activity", "site_name", "logged_by_name", "student_names"}
    assert row["student_names"] == [placement.student.user.full_name]
