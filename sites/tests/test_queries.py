"""Page query counts stay the same at 10 and at 200 rows (the same bound for both)."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import Profession
from accounts.tests.factories import UserFactory
from placements.tests.factories import PlacementFactory
from sites import panels
from sites.models import (
    CommunityOfPractice,
    Initiative,
    InitiativeStatus,
    InitiativeTheme,
    Meeting,
    Membership,
    Site,
    Unit,
)

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today()
ROWS = [10, 200]

# Bounds measured; on pages they include the session lookup, the user and the session's
# idle-timeout save in its savepoint (5 queries). The same bound holds at 10 and 200 rows.
SITE_LIST_QUERIES = 7  # the count and the page
SITE_PAGE_QUERIES = 13  # the site and 6 reads, and the capacity fragment of placements (2)
COP_LIST_QUERIES = 8  # the count, the page and the sites to start a CoP at
COP_PAGE_QUERIES = 12  # the CoP and 6 reads
PANEL_QUERIES = 5  # on a cold cache (a warm one: 1, test_panels.py)


def _sites(n, facilitator):
    sites = Site.objects.bulk_create(
        Site(name=f"Bulk site {i:03d}", kind="hospital", zone="edmonton") for i in range(n)
    )
    Site.facilitators.through.objects.bulk_create(
        Site.facilitators.through(site=site, user=facilitator) for site in sites
    )
    return sites


def _communities(n, sites):
    return CommunityOfPractice.objects.bulk_create(
        CommunityOfPractice(
            site=sites[i % len(sites)],
            name=f"Bulk CoP {i:03d}",
            started_on=TODAY - datetime.timedelta(days=400),
        )
        for i in range(n)
    )


def _people(n):
    professions = list(Profession.objects.all())
    return [
        UserFactory.build(
            email=f"bulk{i}@example.org", full_name=f"Bulk {i}", profession=professions[i % 5]
        )
        for i in range(n)
    ]


def _fill_community(community, n):
    """n members (a few past), n meetings each attended by two members, n initiatives."""
    from accounts.models import User

    people = User.objects.bulk_create(_people(n))
    members = Membership.objects.bulk_create(
        Membership(
            community=community,
            person=p,
            profession_id=p.profession_id,
            joined_on=community.started_on,
            left_on=TODAY if i % 7 == 0 else None,
        )
        for i, p in enumerate(people)
    )
    meetings = Meeting.objects.bulk_create(
        Meeting(community=community, held_on=TODAY - datetime.timedelta(days=i), topics=f"T{i}")
        for i in range(n)
    )
    Meeting.attendees.through.objects.bulk_create(
        Meeting.attendees.through(meeting=meeting, membership=members[(i + k) % n])
        for i, meeting in enumerate(meetings)
        for k in (1, 2)
    )
    statuses = InitiativeStatus.values
    themes = InitiativeTheme.values
    Initiative.objects.bulk_create(
        Initiative(
            community=community,
            title=f"Initiative {i}",
            theme=themes[i % len(themes)],
            status=statuses[i % len(statuses)],
        )
        for i in range(n)
    )


@pytest.mark.parametrize("n", ROWS)
def test_site_list_query_count_is_constant(
    client_for, facilitator, django_assert_max_num_queries, n
):
    sites = _sites(n, facilitator)
    _communities(n, sites)
    client = client_for(facilitator)
    with django_assert_max_num_queries(SITE_LIST_QUERIES):
        response = client.get(reverse("sites:list"))
    assert response.context["page_obj"].paginator.count == n


@pytest.mark.parametrize("n", ROWS)
def test_site_page_query_count_is_constant(
    client_for, facilitator, site_a, django_assert_max_num_queries, n
):
    communities = _communities(n, [site_a])
    _fill_community(communities[0], n)
    Unit.objects.bulk_create(Unit(site=site_a, name=f"Unit {i}") for i in range(n))
    for model in ("traditional", "ip_mentoring"):
        PlacementFactory(site=site_a, active=True, model=model)
    client = client_for(facilitator)
    with django_assert_max_num_queries(SITE_PAGE_QUERIES):
        response = client.get(reverse("sites:detail", args=[site_a.pk]))
    assert response.status_code == 200


@pytest.mark.parametrize("n", ROWS)
def test_cop_list_query_count_is_constant(
    client_for, facilitator, site_a, django_assert_max_num_queries, n
):
    _communities(n, [site_a])
    client = client_for(facilitator)
    with django_assert_max_num_queries(COP_LIST_QUERIES):
        response = client.get(reverse("sites:cop_list"))
    assert response.context["page_obj"].paginator.count == n


@pytest.mark.parametrize("n", ROWS)
def test_cop_page_query_count_is_constant(
    client_for, facilitator, cop, django_assert_max_num_queries, n
):
    _fill_community(cop, n)
    client = client_for(facilitator)
    with django_assert_max_num_queries(COP_PAGE_QUERIES):
        response = client.get(reverse("sites:cop_detail", args=[cop.pk]))
    assert len(response.context["current_members"]) + len(response.context["past_members"]) == n


@pytest.mark.parametrize("n", ROWS)
def test_facilitator_panel_query_count_is_constant(facilitator, django_assert_max_num_queries, n):
    sites = _sites(n, facilitator)
    communities = _communities(n, sites)
    _fill_community(communities[0], n)
    with django_assert_max_num_queries(PANEL_QUERIES):
        html = render_to_string(
            "sites/panels/facilitator.html", {"ctx": panels.facilitator(facilitator), "panel_id": 1}
        )
    assert "Communities needing attention" in html
