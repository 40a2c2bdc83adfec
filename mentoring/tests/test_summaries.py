"""The counts the database keeps by triggers (migration 0005) against a recomputation,
after every kind of write: services, admin-style saves, bulk_create, queryset updates,
raw SQL in either order under the deferred foreign keys, TRUNCATE."""

import pytest
from django.db import connection, transaction

from accounts.tests.factories import UserFactory
from mentoring import services
from mentoring.models import Activity, MentoringSession, SessionProfessional, SiteProfession
from placements.tests.factories import PlacementFactory

from .conftest import bulk_sessions

pytestmark = pytest.mark.django_db


def kept():
    return {
        (row.site_id, row.profession_id): row.presences
        for row in SiteProfession.objects.filter(presences__gt=0)
    }


def recomputed():
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.site_id, sp.profession_id, COUNT(*)
            FROM mentoring_sessionprofessional sp
            JOIN mentoring_mentoringsession s ON s.id = sp.session_id
            GROUP BY 1, 2
            """
        )
        return {(site, profession): n for site, profession, n in cursor.fetchall()}


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


def test_site_professions_emptied_by_truncate(logged):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key checks pending
        cursor.execute("TRUNCATE mentoring_sessionprofessional")
    assert kept() == recomputed() == {}
