"""The counts the database keeps by triggers (migrations 0005 and 0006) against a
recomputation, after every kind of write: services, admin-style saves, bulk_create,
queryset updates, raw SQL in either order under the deferred foreign keys, TRUNCATE."""

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from mentoring import services
from mentoring.models import (
    Activity,
    MentoringSession,
    SessionProfessional,
    SessionStudent,
    SiteProfession,
    StudentSiteDomain,
    StudentSiteProfession,
)
from placements.tests.factories import PlacementFactory

from .conftest import bulk_sessions

pytestmark = pytest.mark.django_db


def _rows(sql):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}


def kept():
    """The site professions kept; checks the student-site counts on the way."""
    assert_student_sites_right()
    return {
        (row.site_id, row.profession_id): row.presences
        for row in SiteProfession.objects.filter(presences__gt=0)
    }


def recomputed():
    return _rows(
        """
        SELECT s.site_id, sp.profession_id, COUNT(*)
        FROM mentoring_sessionprofessional sp
        JOIN mentoring_mentoringsession s ON s.id = sp.session_id
        GROUP BY 1, 2
        """
    )


def assert_student_sites_right():
    professions = {
        (r.site_id, r.student_id, r.profession_id): r.sessions
        for r in StudentSiteProfession.objects.all()
    }
    domains = {
        (r.site_id, r.student_id, r.domain_id): r.sessions for r in StudentSiteDomain.objects.all()
    }
    assert professions == _rows(
        """
        SELECT s.site_id, a.student_id, sp.profession_id, COUNT(DISTINCT s.id)
        FROM mentoring_sessionstudent a
        JOIN mentoring_mentoringsession s ON s.id = a.session_id
        JOIN mentoring_sessionprofessional sp ON sp.session_id = s.id
        GROUP BY 1, 2, 3
        """
    )
    assert domains == _rows(
        """
        SELECT s.site_id, a.student_id, d.competencydomain_id, COUNT(*)
        FROM mentoring_sessionstudent a
        JOIN mentoring_mentoringsession s ON s.id = a.session_id
        JOIN mentoring_mentoringsession_domains d ON d.mentoringsession_id = s.id
        GROUP BY 1, 2, 3
        """
    )
    return professions, domains


@pytest.fixture
def logged(team, placement, physiotherapist, site_a, today):
    preceptor, pharmacist = team
    return services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=today,
        duration_minutes=30,
        activity=Activity.SHADOWING,
        students=[placement.student],
        professionals=[pharmacist, physiotherapist],
    )


def test_site_professions_follow_the_services(logged, team, physiotherapist, site_a):
    preceptor, pharmacist = team
    assert kept() == recomputed()
    assert len(kept()) == 3 and all(key[0] == site_a.pk for key in kept())
    # Edit: the physiotherapist leaves, the pharmacist stays.
    services.session_update(
        session=logged,
        by=preceptor,
        held_on=logged.held_on,
        duration_minutes=30,
        activity=Activity.SHADOWING,
        students=list(logged.students.all()),
        professionals=[pharmacist],
        domains=[],
    )
    assert kept() == recomputed()
    assert (site_a.pk, physiotherapist.profession_id) not in kept()
    services.session_delete(session=logged, by=preceptor)
    assert kept() == recomputed() == {}


def test_site_professions_follow_a_session_to_another_site(logged, site_a, site_b):
    logged.site = site_b
    logged.save()
    assert kept() == recomputed()
    assert {site for site, _ in kept()} == {site_b.pk}
    logged.save()  # saved again unchanged: counted once
    assert kept() == recomputed()


def test_site_professions_follow_presence_rows_moved_and_changed(
    logged, team, site_b, pharmacy, physio
):
    preceptor, _ = team
    other = PlacementFactory(site=site_b, active=True)
    [elsewhere] = bulk_sessions(count=1, placements=[other], logged_by=UserFactory(preceptor=True))
    assert kept() == recomputed()
    row = SessionProfessional.objects.get(session=logged, profession=pharmacy)
    row.session = elsewhere
    row.save()
    assert kept() == recomputed()
    SessionProfessional.objects.filter(session=logged).update(profession=physio)
    assert kept() == recomputed()
    SessionProfessional.objects.filter(session=logged).delete()
    assert kept() == recomputed()


def test_site_professions_follow_bulk_writes(placement, team):
    preceptor, pharmacist = team
    sessions = bulk_sessions(
        count=20, placements=[placement], logged_by=preceptor, professionals=[pharmacist]
    )
    assert kept() == recomputed()
    assert sum(kept().values()) == 40
    MentoringSession.objects.filter(pk__in=[s.pk for s in sessions[:5]]).delete()
    assert kept() == recomputed()
    assert sum(kept().values()) == 30


def test_site_professions_whatever_the_order_of_raw_writes(logged, team, site_a):
    """The foreign keys are deferred: a session may go before its presence rows, and
    presence rows may come before their session."""
    preceptor, _ = team
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM mentoring_mentoringsession_domains")
        cursor.execute("DELETE FROM mentoring_sessionstudent")
        cursor.execute("DELETE FROM mentoring_mentoringsession WHERE id = %s", [logged.pk])
        assert kept() == {}
        cursor.execute(
            "DELETE FROM mentoring_sessionprofessional WHERE session_id = %s", [logged.pk]
        )
        assert kept() == recomputed() == {}

        cursor.execute(
            "INSERT INTO mentoring_sessionprofessional (session_id, person_id, profession_id) "
            "VALUES (%s, %s, %s)",
            [logged.pk, preceptor.pk, preceptor.profession_id],
        )
        assert kept() == {}  # no session yet: nowhere to count it
        cursor.execute(
            "INSERT INTO mentoring_mentoringsession (id, site_id, logged_by_id, held_on, "
            "duration_minutes, activity, notes, created_at, updated_at) "
            "VALUES (%s, %s, %s, current_date, 30, 'debrief', '', now(), now())",
            [logged.pk, site_a.pk, preceptor.pk],
        )
        assert kept() == recomputed() == {(site_a.pk, preceptor.profession_id): 1}


@pytest.mark.parametrize(
    "table",
    [
        "mentoring_sessionprofessional",
        "mentoring_sessionstudent",
        "mentoring_mentoringsession_domains",
    ],
)
def test_counts_emptied_by_truncate(logged, table):
    from mentoring.models import CompetencyDomain

    logged.domains.set(CompetencyDomain.objects.filter(framework__is_default=True)[:2])
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key checks pending
        cursor.execute(f"TRUNCATE {table}")
    assert kept() == recomputed()


def test_student_site_counts_count_a_session_once_per_profession(
    placement, team, site_a, today, pharmacy
):
    preceptor, pharmacist = team
    second = UserFactory(preceptor=True, profession=pharmacy)
    services.session_log(
        logged_by=preceptor,
        site=site_a,
        held_on=today,
        duration_minutes=30,
        activity=Activity.SHADOWING,
        students=[placement.student],
        professionals=[pharmacist, second],
    )
    professions, _ = assert_student_sites_right()
    assert professions[(site_a.pk, placement.student_id, pharmacy.pk)] == 1
    # One of the two pharmacists removed, then the other: counted until the last goes.
    SessionProfessional.objects.filter(person=second).delete()
    professions, _ = assert_student_sites_right()
    assert professions[(site_a.pk, placement.student_id, pharmacy.pk)] == 1
    SessionProfessional.objects.filter(person=pharmacist).delete()
    professions, _ = assert_student_sites_right()
    assert (site_a.pk, placement.student_id, pharmacy.pk) not in professions


def test_student_site_counts_follow_attendance_and_domains(
    logged, placement, team, site_a, site_b, today
):
    from mentoring.models import CompetencyDomain

    preceptor, _ = team
    domains = list(CompetencyDomain.objects.filter(framework__is_default=True)[:3])
    logged.domains.set(domains[:2])
    assert_student_sites_right()
    logged.domains.set(domains[1:])
    _, covered = assert_student_sites_right()
    assert len(covered) == 2
    # A reflection written changes nothing; the attendance moved to another student or
    # to a session at another site moves the counts.
    row = SessionStudent.objects.get(session=logged)
    row.reflection = "Learnt a lot."
    row.save()
    assert_student_sites_right()
    other = PlacementFactory(site=site_a, active=True)
    SessionStudent.objects.filter(pk=row.pk).update(student=other.student)
    assert_student_sites_right()
    [elsewhere] = bulk_sessions(
        count=1, placements=[PlacementFactory(site=site_b, active=True)], logged_by=preceptor
    )
    SessionStudent.objects.filter(pk=row.pk).update(session=elsewhere)
    professions, covered = assert_student_sites_right()
    assert {key[0] for key in professions} == {site_b.pk} and covered == {}
    SessionStudent.objects.filter(pk=row.pk).delete()
    logged.domains.clear()
    professions, covered = assert_student_sites_right()
    assert {key[0] for key in professions} == {site_b.pk} and covered == {}
