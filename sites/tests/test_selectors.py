"""The site page's statement (selectors.site_page) gives what the querysets it replaced
gave: the site's units, facilitators and CoPs in order, and active placements per model."""

import datetime

import pytest
from django.db.models import Count

from accounts.tests.factories import UserFactory
from placements.models import PlacementModel, PlacementStatus
from placements.tests.factories import PlacementFactory
from sites.models import CoPStatus
from sites.selectors import cop_page, site_page
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def test_site_page_agrees_with_the_querysets():
    people = [UserFactory(full_name=name, is_facilitator=True) for name in ("Zoe", "Al", "Mo")]
    site = SiteFactory(facilitators=people[:2])
    other = SiteFactory(facilitators=people[2:])
    for name in ("Ward B", "Ward A", "ICU"):
        UnitFactory(site=site, name=name, description=f"The {name} <unit>")
    UnitFactory(site=other, name="Elsewhere")
    for n, status in enumerate([CoPStatus.ACTIVE, CoPStatus.CLOSED, CoPStatus.FORMING]):
        cop = CommunityOfPracticeFactory(site=site, name=f"CoP {3 - n}", status=status)
        for _ in range(n):
            MembershipFactory(community=cop)
        if n:
            MeetingFactory(community=cop)
    CommunityOfPracticeFactory(site=other, name="Not here")
    models = list(PlacementModel.values)
    for n in range(7):
        PlacementFactory(site=site, model=models[n % 2], status=PlacementStatus.ACTIVE)
    PlacementFactory(site=site, status=PlacementStatus.COMPLETED)
    PlacementFactory(site=other, status=PlacementStatus.ACTIVE)

    from sites.models import Initiative
    from sites.tests.factories import InitiativeFactory

    cops = list(site.communities.all())
    for n in range(7):
        InitiativeFactory(community=cops[n % 3], title=f"Initiative {6 - n}")
    InitiativeFactory(community=CommunityOfPracticeFactory(site=other))

    page = site_page(site.pk, initiatives_offset=5, initiatives_per_page=5)

    assert [(u.pk, u.name, u.description) for u in page.units] == list(
        site.units.order_by("name", "pk").values_list("pk", "name", "description")
    )
    assert [(f.pk, f.full_name, f.email) for f in page.facilitators] == list(
        site.facilitators.order_by("full_name", "pk").values_list("pk", "full_name", "email")
    )
    assert [
        (
            c.pk,
            c.name,
            c.status,
            c.status_label,
            c.member_count,
            c.last_meeting_on,
            c.active_initiative_count,
        )
        for c in page.communities
    ] == [
        (
            c.pk,
            c.name,
            c.status,
            c.get_status_display(),
            c.member_count,
            c.last_meeting_on,
            c.active_initiative_count,
        )
        for c in site.communities.order_by("name", "pk")
    ]
    counts = dict(
        site.placements.filter(status=PlacementStatus.ACTIVE)
        .order_by()
        .values_list("model")
        .annotate(n=Count("pk"))
    )
    assert page.active_placements_by_model == [
        {"model": model, "label": label, "count": counts.get(model, 0)}
        for model, label in PlacementModel.choices
    ]
    assert sum(row["count"] for row in page.active_placements_by_model) == 7
    assert any(c.last_meeting_on for c in page.communities)
    initiatives = Initiative.objects.filter(community__site=site).order_by(
        "community__name", "title", "pk"
    )
    assert page.initiative_count == 7
    assert [
        (i.pk, i.title, i.community, i.community_id, i.theme_label, i.status_label)
        for i in page.initiatives
    ] == [
        (
            i.pk,
            i.title,
            i.community.name,
            i.community_id,
            i.get_theme_display(),
            i.get_status_display(),
        )
        for i in initiatives[5:]
    ]
    beyond = site_page(site.pk, initiatives_offset=50, initiatives_per_page=5)
    assert [i.pk for i in beyond.initiatives] == [i.pk for i in page.initiatives]


def _cop_with_history():
    from sites.models import Membership
    from sites.tests.factories import InitiativeFactory

    people = [UserFactory(full_name=name, is_facilitator=True) for name in ("Uma", "", "Bo")]
    cop = CommunityOfPracticeFactory(facilitators=people)
    members = [MembershipFactory(community=cop, person=UserFactory(full_name=n)) for n in "ZAMQ"]
    Membership.objects.filter(pk=members[1].pk).update(left_on=members[1].joined_on)
    for n in range(13):
        meeting = MeetingFactory(
            community=cop,
            held_on=cop.started_on + datetime.timedelta(days=n % 7),
            topics=f"Topic {n}",
        )
        meeting.attendees.set(members[: n % 4])
    for title in ("Huddles", "Board", "Audit"):
        InitiativeFactory(community=cop, title=title)
    CommunityOfPracticeFactory(site=cop.site)  # another CoP of the site
    return cop


def test_cop_page_agrees_with_the_querysets():
    cop = _cop_with_history()
    page = cop_page(cop.pk, meetings_offset=10, meetings_per_page=10)

    assert page.site_name == cop.site.name
    assert page.facilitators == [str(u) for u in cop.facilitators.order_by("full_name", "pk")]
    memberships = list(
        cop.memberships.select_related("person", "profession").order_by(
            "left_on", "person__full_name", "pk"
        )
    )
    expected_members = [
        (m.pk, str(m.person), m.profession.name, m.get_role_display(), m.joined_on, m.left_on)
        for m in memberships
    ]
    shown = [
        (m.pk, m.person, m.profession, m.role_label, m.joined_on, m.left_on)
        for m in page.current_members + page.past_members
    ]
    assert sorted(shown, key=lambda m: m[-1] is not None) == sorted(
        expected_members, key=lambda m: m[-1] is not None
    )
    assert len(page.past_members) == 1
    assert [(i.pk, i.title, i.theme_label, i.status_label) for i in page.initiatives] == [
        (i.pk, i.title, i.get_theme_display(), i.get_status_display())
        for i in cop.initiatives.order_by("title")
    ]
    assert page.meeting_count == 13
    meetings = list(cop.meetings.order_by("-held_on", "-pk"))[10:]
    assert [(m.pk, m.held_on, m.topics) for m in page.meetings] == [
        (m.pk, m.held_on, m.topics) for m in meetings
    ]
    assert [[(a.person, a.profession) for a in m.attendees] for m in page.meetings] == [
        [
            (str(a.person), a.profession.name)
            for a in m.attendees.select_related("person", "profession").order_by(
                "person__full_name", "pk"
            )
        ]
        for m in meetings
    ]


@pytest.mark.parametrize(
    ("asked", "expected_first"), [("1", 0), ("2", 10), ("99", 10), ("0", 10), ("-3", 10), ("x", 0)]
)
def test_cop_page_meetings_follow_paginator_get_page(
    client_for, facilitator, asked, expected_first
):
    """Out-of-range and bad page numbers give the page Django's get_page gives."""
    from django.urls import reverse

    cop = _cop_with_history()
    cop.site.facilitators.add(facilitator)
    response = client_for(facilitator).get(
        reverse("sites:cop_detail", args=[cop.pk]), {"meetings_page": asked}
    )
    meetings = list(cop.meetings.order_by("-held_on", "-pk"))
    body = response.content.decode()
    shown = [m for m in meetings if f"/sites/meetings/{m.pk}/" in body]
    assert shown == meetings[expected_first : expected_first + 10]
    assert response.context["meetings"].number == expected_first // 10 + 1


def test_site_list_page_agrees_with_the_querysets():
    from sites.models import Site
    from sites.selectors import site_list_page

    mine = UserFactory(is_facilitator=True)
    sites = [SiteFactory(name=f"Site {n:02d}", facilitators=[mine]) for n in range(7)]
    SiteFactory(name="Someone else's")
    for n, site in enumerate(sites):
        for status in (CoPStatus.ACTIVE, CoPStatus.CLOSED)[: n % 3]:
            CommunityOfPracticeFactory(site=site, status=status)
        for _ in range(n % 4):
            PlacementFactory(site=site, status=PlacementStatus.ACTIVE)
    scope = Site.objects.filter(facilitators=mine).exclude(name="Site 03")

    count, rows = site_list_page(scope, offset=4, per_page=4)

    expected = scope.with_counts().order_by("name", "pk")
    assert count == expected.count() == 6
    assert [
        (r.pk, r.name, r.zone_label, r.kind_label, r.community_count, r.active_placement_count)
        for r in rows
    ] == [
        (
            s.pk,
            s.name,
            s.get_zone_display(),
            s.get_kind_display(),
            s.community_count,
            s.active_placement_count,
        )
        for s in expected[4:]
    ]
    assert sum(r.active_placement_count for r in rows) > 0
    assert site_list_page(scope, offset=40, per_page=4)[1] == rows
