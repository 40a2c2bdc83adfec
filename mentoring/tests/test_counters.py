"""The counts the triggers keep (StudentSiteProfession, StudentSiteDomain) against a
recount, after every kind of write: the services, admin-style saves, bulk_create,
queryset updates and deletes, raw SQL in either order under the deferred foreign keys; and
under 16 threads logging sessions at one site at once."""

import datetime
import threading

import pytest
from django.db import connection, connections, transaction

from accounts.tests.factories import UserFactory
from mentoring import services
from mentoring.models import (
    Activity,
    CompetencyDomain,
    MentoringSession,
    SessionProfessional,
    SessionStudent,
    StudentSiteDomain,
    StudentSiteProfession,
)
from placements.models import PlacementStatus
from placements.tests.factories import PlacementFactory

from .conftest import bulk_sessions

pytestmark = pytest.mark.django_db


def professions_met():
    return {
        (r.site_id, r.student_id, r.profession_id): r.sessions
        for r in StudentSiteProfession.objects.all()
    }


def domains_covered():
    return {
        (r.site_id, r.student_id, r.domain_id): r.sessions for r in StudentSiteDomain.objects.all()
    }


def assert_counts_right():
    assert services.counters_check() == []


def cihc_domains(count):
    return list(CompetencyDomain.objects.filter(framework__is_default=True)[:count])


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
        domains=cihc_domains(2),
    )


def test_counts_follow_the_services(logged, team, physiotherapist, site_a, placement):
    preceptor, pharmacist = team
    student = placement.student_id
    assert_counts_right()
    assert professions_met() == {
        (site_a.pk, student, preceptor.profession_id): 1,
        (site_a.pk, student, pharmacist.profession_id): 1,
        (site_a.pk, student, physiotherapist.profession_id): 1,
    }
    assert sorted(domains_covered().values()) == [1, 1]
    # Edit: the physiotherapist leaves, another domain is practised.
    services.session_update(
        session=logged,
        held_on=logged.held_on,
        duration_minutes=30,
        activity=Activity.SHADOWING,
        students=[placement.student],
        professionals=[pharmacist],
        domains=cihc_domains(3),
    )
    assert_counts_right()
    assert (site_a.pk, student, physiotherapist.profession_id) not in professions_met()
    assert len(domains_covered()) == 3
    services.session_delete(session=logged)
    assert_counts_right()
    assert professions_met() == {} and domains_covered() == {}


def test_a_session_counts_once_per_profession(placement, team, site_a, today, pharmacy):
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
    key = (site_a.pk, placement.student_id, pharmacy.pk)
    assert professions_met()[key] == 1
    # One of the two pharmacists removed, then the other: counted until the last goes.
    SessionProfessional.objects.filter(person=second).delete()
    assert professions_met()[key] == 1
    SessionProfessional.objects.filter(person=pharmacist).delete()
    assert key not in professions_met()
    assert_counts_right()


def test_counts_follow_admin_style_saves(logged, site_a, site_b, placement, pharmacy, physio):
    # A session moved to another site, then saved again unchanged.
    logged.site = site_b
    logged.save()
    assert_counts_right()
    assert {site for site, _, _ in professions_met()} == {site_b.pk}
    logged.save()
    assert_counts_right()
    # A presence row moved to another profession, an attendance row to another student.
    row = SessionProfessional.objects.get(session=logged, profession=pharmacy)
    row.profession = physio
    row.save()
    assert_counts_right()
    attendance = SessionStudent.objects.get(session=logged)
    attendance.reflection = "Learnt a lot."  # counts nothing
    attendance.save()
    other = PlacementFactory(site=site_b, status=PlacementStatus.ACTIVE)
    attendance.student = other.student
    attendance.placement = other
    attendance.save()
    assert_counts_right()
    assert {student for _, student, _ in professions_met()} == {other.student_id}
    logged.domains.clear()
    assert_counts_right()
    assert domains_covered() == {}


def test_counts_follow_bulk_writes_and_queryset_updates(placement, team, site_b):
    preceptor, pharmacist = team
    sessions = bulk_sessions(
        count=20,
        placements=[placement],
        logged_by=preceptor,
        professionals=[pharmacist],
        domains=cihc_domains(2),
    )
    assert_counts_right()
    assert sum(professions_met().values()) == 40  # 20 sessions, two professions
    MentoringSession.objects.filter(pk__in=[s.pk for s in sessions[:5]]).delete()
    assert_counts_right()
    MentoringSession.objects.filter(pk__in=[s.pk for s in sessions[5:10]]).update(site=site_b)
    assert_counts_right()
    SessionStudent.objects.filter(session__in=sessions[10:12]).delete()
    MentoringSession.domains.through.objects.filter(mentoringsession__in=sessions[12:]).delete()
    assert_counts_right()
    assert sum(domains_covered().values()) == 2 * 5  # sessions 5-9: attended, two domains each


def test_counts_whatever_the_order_of_raw_writes(logged, team, site_a, placement):
    """The foreign keys are deferred: a session may go before its rows, and rows may come
    before their session."""
    preceptor, _ = team
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM mentoring_mentoringsession WHERE id = %s", [logged.pk])
        assert professions_met() == {} and domains_covered() == {}
        for table in ("mentoring_sessionprofessional", "mentoring_sessionstudent"):
            cursor.execute(f"DELETE FROM {table} WHERE session_id = %s", [logged.pk])  # noqa: S608
        cursor.execute(
            "DELETE FROM mentoring_mentoringsession_domains WHERE mentoringsession_id = %s",
            [logged.pk],
        )
        cursor.execute(
            "INSERT INTO mentoring_sessionprofessional (session_id, person_id, profession_id) "
            "VALUES (%s, %s, %s)",
            [logged.pk, preceptor.pk, preceptor.profession_id],
        )
        cursor.execute(
            "INSERT INTO mentoring_sessionstudent (session_id, student_id, placement_id, "
            "reflection) VALUES (%s, %s, %s, '')",
            [logged.pk, placement.student_id, placement.pk],
        )
        assert professions_met() == {}  # no session yet: nowhere to count it
        cursor.execute(
            "INSERT INTO mentoring_mentoringsession (id, site_id, logged_by_id, held_on, "
            "duration_minutes, activity, notes, created_at, updated_at) "
            "VALUES (%s, %s, %s, current_date, 30, 'debrief', '', now(), now())",
            [logged.pk, site_a.pk, preceptor.pk],
        )
        assert professions_met() == {(site_a.pk, placement.student_id, preceptor.profession_id): 1}
        assert_counts_right()


def test_recount_repairs_counts_and_check_names_what_differs(logged, site_a, placement):
    StudentSiteProfession.objects.update(sessions=7)
    StudentSiteDomain.objects.all().delete()
    problems = services.counters_check()
    assert len(problems) == 3 + 2
    assert f"site {site_a.pk}, student {placement.student_id}" in problems[0]
    assert "kept 7, counted 1" in " ".join(problems)
    services.counters_recount()
    assert_counts_right()
    assert len(professions_met()) == 3 and len(domains_covered()) == 2


@pytest.mark.django_db(transaction=True)
def test_sixteen_threads_logging_at_one_site_neither_deadlock_nor_miscount(
    site_a, team, physiotherapist, today
):
    """Each thread logs sessions for students shared with the others, with the
    professionals in another order: the row-level work of the triggers would deadlock
    without the site's lock."""
    preceptor, pharmacist = team
    placements = [
        PlacementFactory(
            site=site_a,
            start_date=today - datetime.timedelta(days=10),
            end_date=today + datetime.timedelta(days=10),
            status=PlacementStatus.ACTIVE,
        )
        for _ in range(4)
    ]
    students = [p.student for p in placements]
    people = [pharmacist, physiotherapist]
    domains = cihc_domains(4)
    errors = []
    start = threading.Barrier(16)

    def log(n):
        try:
            start.wait()
            for k in range(3):
                services.session_log(
                    logged_by=preceptor,
                    site=site_a,
                    held_on=today,
                    duration_minutes=30,
                    activity=Activity.DEBRIEF,
                    students=students[n % 4 :] + students[: n % 4],
                    professionals=people if (n + k) % 2 else people[::-1],
                    domains=domains[k:] + domains[:k],
                )
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=log, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert MentoringSession.objects.count() == 48
    assert_counts_right()
    assert set(professions_met().values()) == {48}
