"""The reads of the site list, the site page and the CoP page (sites.selectors): what each
shows, in which order, with which counts."""

import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory
from ipcop.permissions import sites_facilitated_by
from placements.models import Placement, PlacementStatus
from placements.tests.factories import PlacementFactory
from sites import selectors
from sites.models import CoPStatus, Membership
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
    UnitFactory,
)

pytestmark = pytest.mark.django_db


def test_site_list_counts_open_cops_and_active_placements_of_the_persons_sites():
    mine = UserFactory(is_facilitator=True)
    sites = [SiteFactory(name=f"Site {n:02d}", facilitators=[mine]) for n in range(5)]
    SiteFactory(name="Someone else's")
    for n, site in enumerate(sites):
        for status in (CoPStatus.ACTIVE, CoPStatus.CLOSED, CoPStatus.FORMING)[: n % 4]:
            CommunityOfPracticeFactory(site=site, status=status)
        for _ in range(n % 3):
            PlacementFactory(site=site, status=PlacementStatus.ACTIVE)
        PlacementFactory(site=site, status=PlacementStatus.COMPLETED)

    rows = selectors.site_list(
        sites_facilitated_by(mine).exclude(name="Site 03"),
        active_placements=Placement.objects.active(),
    )

    assert [(s.name, s.community_count, s.active_placement_count) for s in rows] == [
        ("Site 00", 0, 0),
        ("Site 01", 1, 1),
        ("Site 02", 1, 2),
        ("Site 04", 0, 1),
    ]


def test_site_list_filters_by_name_zone_and_kind(facilitator):
    SiteFactory(name="Foothills Rehab", zone="calgary", kind="rehab", facilitators=[facilitator])
    SiteFactory(
        name="Foothills Clinic", zone="calgary", kind="community", facilitators=[facilitator]
    )
    SiteFactory(name="Red Deer Rehab", zone="central", kind="rehab", facilitators=[facilitator])
    sites = sites_facilitated_by(facilitator)

    def names(**filters):
        rows = selectors.site_list(
            sites.search(**filters), active_placements=Placement.objects.active()
        )
        return [s.name for s in rows]

    assert names(q="foothills", kind="rehab") == ["Foothills Rehab"]
    assert names(zone="central") == ["Red Deer Rehab"]
    assert names(q="rehab") == ["Foothills Rehab", "Red Deer Rehab"]


def test_site_page_reads_units_facilitators_and_cops_in_order():
    people = [UserFactory(full_name=name, is_facilitator=True) for name in ("Zoe", "Al", "Mo")]
    site = SiteFactory(facilitators=people[:2])
    other = SiteFactory(facilitators=people[2:])
    for name in ("Ward B", "Ward A", "ICU"):
        UnitFactory(site=site, name=name)
    UnitFactory(site=other, name="Elsewhere")
    quiet = CommunityOfPracticeFactory(site=site, name="CoP B", status=CoPStatus.CLOSED)
    busy = CommunityOfPracticeFactory(site=site, name="CoP A")
    CommunityOfPracticeFactory(site=other, name="Not here")
    for left_on in (None, None, datetime.date.today()):
        MembershipFactory(community=busy, left_on=left_on)
    MeetingFactory(community=busy, held_on=busy.started_on)
    InitiativeFactory(community=busy, in_progress=True)

    assert [u.name for u in selectors.site_units(site)] == ["ICU", "Ward A", "Ward B"]
    assert [str(p) for p in selectors.site_facilitators(site)] == ["Al", "Zoe"]
    assert [
        (
            c.name,
            c.get_status_display(),
            c.member_count,
            c.last_meeting_on,
            c.active_initiative_count,
        )
        for c in selectors.site_communities(site)
    ] == [("CoP A", "Active", 2, busy.started_on, 1), ("CoP B", "Closed", 0, None, 0)]
    assert quiet.pk in {c.pk for c in selectors.site_communities(site)}


def test_site_initiatives_are_listed_by_cop_and_title_with_the_cops_name():
    site = SiteFactory()
    second = CommunityOfPracticeFactory(site=site, name="Beta CoP")
    first = CommunityOfPracticeFactory(site=site, name="Alpha CoP")
    for title in ("Zebra", "Audit"):
        InitiativeFactory(community=second, title=title)
    InitiativeFactory(community=first, title="Huddles")
    InitiativeFactory(community=CommunityOfPracticeFactory(), title="Elsewhere")

    rows = selectors.site_initiatives(site)

    assert [(i.community_name, i.title, i.get_theme_display()) for i in rows] == [
        ("Alpha CoP", "Huddles", "Communication"),
        ("Beta CoP", "Audit", "Communication"),
        ("Beta CoP", "Zebra", "Communication"),
    ]


def _cop_with_history():
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
    return cop, people


def test_cop_page_reads_members_current_first_initiatives_and_meetings_newest_first():
    cop, people = _cop_with_history()

    assert [str(p) for p in selectors.cop_facilitators(cop)] == [
        str(people[1]),  # no name: sorted first, shown by email
        "Bo",
        "Uma",
    ]
    members = list(selectors.cop_memberships(cop))
    assert [(str(m.person), m.left_on is None) for m in members] == [
        ("M", True),
        ("Q", True),
        ("Z", True),
        ("A", False),
    ]
    assert all(m.profession.name for m in members)
    assert [i.title for i in selectors.cop_initiatives(cop)] == ["Audit", "Board", "Huddles"]
    meetings = list(selectors.cop_meetings(cop))
    assert len(meetings) == 13
    assert [(m.held_on, m.pk) for m in meetings] == sorted(
        ((m.held_on, m.pk) for m in meetings), reverse=True
    )
    attended = next(m for m in meetings if m.topics == "Topic 3")
    assert [str(a.person) for a in attended.attendees.all()] == ["A", "M", "Z"]


@pytest.mark.parametrize(
    ("asked", "expected_first"), [("1", 0), ("2", 10), ("99", 10), ("0", 10), ("-3", 10), ("x", 0)]
)
def test_cop_page_meetings_follow_paginator_get_page(
    client_for, facilitator, asked, expected_first
):
    """Out-of-range and bad page numbers give the page Django's get_page gives."""
    cop, _ = _cop_with_history()
    cop.site.facilitators.add(facilitator)
    response = client_for(facilitator).get(
        reverse("sites:cop_detail", args=[cop.pk]), {"meetings_page": asked}
    )
    meetings = list(cop.meetings.order_by("-held_on", "-pk"))
    body = response.content.decode()
    shown = [m for m in meetings if f"/sites/meetings/{m.pk}/" in body]
    assert shown == meetings[expected_first : expected_first + 10]
    assert response.context["meetings"].number == expected_first // 10 + 1


def test_cop_list_shows_what_each_person_may_read_by_site_and_name(facilitator, site_a, outsider):
    from ipcop.permissions import communities_visible_to

    elsewhere = CommunityOfPracticeFactory(site=outsider.facilitated_sites.get(), name="Elsewhere")
    beta = CommunityOfPracticeFactory(site=site_a, name="Beta")
    alpha = CommunityOfPracticeFactory(site=site_a, name="Alpha", status=CoPStatus.CLOSED)
    member = UserFactory(preceptor=True)
    MembershipFactory(community=elsewhere, person=member)
    MembershipFactory(community=beta, person=member, left_on=datetime.date.today())
    MembershipFactory(community=beta)

    def shown(user):
        return [
            (c.site_name, c.name, c.member_count)
            for c in selectors.cop_list(communities_visible_to(user))
        ]

    assert shown(facilitator) == [("Site A", "Alpha", 0), ("Site A", "Beta", 1)]
    # A member reads the CoPs they belong or belonged to.
    assert shown(member) == [("Site A", "Beta", 1), ("Site B", "Elsewhere", 1)]
    assert shown(outsider) == [("Site B", "Elsewhere", 1)]
    assert alpha.get_status_display() == "Closed"
