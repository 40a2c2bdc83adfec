"""Pages whose query count must not grow with the number of sessions (10 vs 200)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from mentoring.models import MentorRole
from mentoring.tests.conftest import add_mentor, bulk_sessions
from mentoring.tests.factories import default_domains
from placements.models import PlacementStatus
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db

# Measured, the same at 10 and 200 sessions (each includes the login session's load and
# save, and in tests the save's SAVEPOINT and RELEASE): the bounds leave no room for a
# per-row query.
HOME_QUERIES = 7
# Includes the audit event of looking at a student's record, and, for a student, whether
# the navigation offers the communities (they are in one).
RECORD_QUERIES = 13
MATRIX_QUERIES = 12
CSV_QUERIES = 12
LIST_QUERIES = 10  # a facilitator's: their sessions elsewhere, the page, names, count


def placements_at(site, count):
    start = timezone.localdate() - datetime.timedelta(days=15)
    return PlacementFactory.create_batch(
        count, site=site, start_date=start, status=PlacementStatus.ACTIVE
    )


@pytest.mark.parametrize("sessions", [10, 200])
def test_preceptor_home_queries_are_constant(
    client, django_assert_max_num_queries, team, site_a, sessions
):
    preceptor, pharmacist = team
    placements = placements_at(site_a, sessions // 4)
    for placement in placements:
        add_mentor(placement, preceptor, MentorRole.IP_MENTOR)
    bulk_sessions(
        count=sessions,
        placements=placements,
        logged_by=preceptor,
        professionals=[pharmacist],
        domains=list(default_domains()[:3]),
    )
    client.force_login(preceptor)
    with django_assert_max_num_queries(HOME_QUERIES):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert len(response.context["panels"][0]["context"]["placements"]) == min(
        len(placements) + 1, 50
    )


@pytest.mark.parametrize("sessions", [10, 200])
def test_learning_record_queries_are_constant(
    client, django_assert_max_num_queries, placement, team, physiotherapist, student, sessions
):
    preceptor, pharmacist = team
    bulk_sessions(
        count=sessions,
        placements=[placement],
        logged_by=preceptor,
        professionals=[pharmacist, physiotherapist],
        domains=list(default_domains()[:4]),
    )
    client.force_login(student.user)
    with django_assert_max_num_queries(RECORD_QUERIES):
        response = client.get(reverse("mentoring:learning_record", args=[student.pk]))
    assert response.context["record"].total_sessions == sessions


@pytest.mark.parametrize("sessions", [10, 200])
def test_site_matrix_queries_are_constant(
    client, django_assert_max_num_queries, team, site_a, facilitator, physiotherapist, sessions
):
    preceptor, pharmacist = team
    placements = placements_at(site_a, 5 if sessions == 10 else 60)
    bulk_sessions(
        count=sessions,
        placements=placements,
        logged_by=preceptor,
        professionals=[pharmacist, physiotherapist],
        domains=list(default_domains()[:2]),
    )
    client.force_login(facilitator)
    with django_assert_max_num_queries(MATRIX_QUERIES):
        response = client.get(reverse("mentoring:site_matrix", args=[site_a.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(CSV_QUERIES):
        response = client.get(reverse("mentoring:site_matrix_csv", args=[site_a.pk]))
    assert len(response.content.decode().splitlines()) == len(placements) + 2  # + header, team's


@pytest.mark.parametrize("sessions", [10, 200])
@pytest.mark.parametrize("who", ["preceptor", "facilitator", "admin"])
def test_session_list_queries_are_constant(
    client, django_assert_max_num_queries, placement, team, facilitator, admin_user, who, sessions
):
    bulk_sessions(count=sessions, placements=[placement], logged_by=team[0])
    client.force_login({"preceptor": team[0], "facilitator": facilitator, "admin": admin_user}[who])
    url = reverse("mentoring:session_list")
    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(url)
    page = response.context["page"]
    assert len(page.object_list) == min(sessions, 25)
    if page.has_next:
        with django_assert_max_num_queries(LIST_QUERIES):
            response = client.get(f"{url}?{page.next_query}")
        assert len(response.context["page"].object_list) == 25


@pytest.mark.parametrize("sessions", [10, 200])
def test_learning_record_read_by_a_facilitator_queries_are_constant(
    client, django_assert_max_num_queries, placement, team, facilitator, student, sessions
):
    bulk_sessions(count=sessions, placements=[placement], logged_by=team[0])
    client.force_login(facilitator)
    # As the student's, less the navigation's question, plus which of the page's sessions
    # the reader may open (their sessions at other sites, read first, then the page's).
    with django_assert_max_num_queries(RECORD_QUERIES + 1):
        response = client.get(reverse("mentoring:learning_record", args=[student.pk]))
    assert response.context["record"].total_sessions == sessions
