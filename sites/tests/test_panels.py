"""The facilitator's home panel (sites.panels.facilitator): their sites and open CoPs, the
CoPs needing attention, initiatives by theme and status, recent activity of their own CoPs
only, newest first; the CoP part cached until a service changes the sites data."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from placements.tests.factories import PlacementFactory
from sites import services
from sites.models import CoPStatus, InitiativeStatus
from sites.panels import PANEL_ROWS, RECENT_ROWS
from sites.panels import facilitator as facilitator_panel
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


def _days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


def test_recent_activity_merges_meetings_initiatives_and_joins_newest_first(
    cop, facilitator, outsider
):
    meeting = MeetingFactory(community=cop, held_on=_days_ago(3))
    InitiativeFactory(  # updated now: today
        community=cop, title="Joint <huddle>", status=InitiativeStatus.IN_PROGRESS
    )
    MembershipFactory(
        community=cop, person=UserFactory(full_name="Jo Joiner"), joined_on=_days_ago(1)
    )
    MembershipFactory(community=cop, person=UserFactory(full_name=""), joined_on=_days_ago(5))
    MembershipFactory(  # joins tomorrow: not yet activity
        community=cop, person=UserFactory(full_name="Fu Ture"), joined_on=_days_ago(-1)
    )
    other = CommunityOfPracticeFactory(site__facilitators=[outsider], name="Elsewhere CoP")
    MeetingFactory(community=other, held_on=_days_ago(0))

    recent = facilitator_panel(facilitator)["recent"]

    texts = [item["text"] for item in recent]
    assert texts[0] == f"Initiative “Joint <huddle>” (In progress) in {cop.name}"
    assert texts[1] == f"Jo Joiner joined {cop.name}"
    assert texts[2] == f"Meeting of {cop.name}"
    assert texts[3].endswith(f"@example.org joined {cop.name}")  # no name: the email
    assert not any("Fu Ture" in text or "Elsewhere" in text for text in texts)
    assert [item["on"] for item in recent] == sorted((i["on"] for i in recent), reverse=True)
    assert recent[0]["url"] == reverse("sites:cop_detail", args=[cop.pk]) + "#initiatives"
    assert recent[2]["url"] == reverse("sites:meeting_detail", args=[meeting.pk])


def test_recent_activity_keeps_the_newest_rows_only(cop, facilitator):
    for days in range(RECENT_ROWS + 4):
        MeetingFactory(community=cop, held_on=_days_ago(days))
    recent = facilitator_panel(facilitator)["recent"]
    assert len(recent) == RECENT_ROWS
    assert recent[-1]["on"] == _days_ago(RECENT_ROWS - 1)


def test_admins_see_every_cops_activity(admin, cop, outsider):
    other = CommunityOfPracticeFactory(site__facilitators=[outsider], name="Elsewhere CoP")
    MeetingFactory(community=other, held_on=_days_ago(2))
    MeetingFactory(community=cop, held_on=_days_ago(4))
    texts = [item["text"] for item in facilitator_panel(admin)["recent"]]
    assert texts == ["Meeting of Elsewhere CoP", f"Meeting of {cop.name}"]


def test_recent_activity_on_the_same_day_lists_meetings_then_initiatives_then_joins(
    cop, facilitator
):
    # As the merge of the three lists always did: by date, then part, then newest row.
    today = timezone.localdate()
    first = MeetingFactory(community=cop, held_on=today)
    MembershipFactory(community=cop, person=UserFactory(full_name="Jo Joiner"), joined_on=today)
    InitiativeFactory(community=cop, title="Huddle")
    second = MeetingFactory(community=cop, held_on=today)
    recent = facilitator_panel(facilitator)["recent"]
    assert [item["text"] for item in recent] == [
        f"Meeting of {cop.name}",
        f"Meeting of {cop.name}",
        f"Initiative “Huddle” (Idea) in {cop.name}",
        f"Jo Joiner joined {cop.name}",
    ]
    assert [item["url"] for item in recent[:2]] == [
        reverse("sites:meeting_detail", args=[second.pk]),
        reverse("sites:meeting_detail", args=[first.pk]),
    ]


def test_a_facilitator_without_sites_sees_empty_lists():
    panel = facilitator_panel(UserFactory(facilitator=True))
    assert (panel["site_count"], panel["community_count"], panel["attention_count"]) == (0, 0, 0)
    assert panel["sites"] == panel["communities"] == panel["attention"] == panel["recent"] == []
    assert panel["initiatives"]["rows"] == []


def test_the_panel_counts_sites_cops_and_attention_and_lists_the_first_rows(
    facilitator, site_a, outsider
):
    site_c = SiteFactory(name="Site C", facilitators=[facilitator])
    SiteFactory(name="Elsewhere", facilitators=[outsider])
    recent, old = _days_ago(5), _days_ago(90)
    cops = {}
    for name, site, status, met, active in [
        ("Alpha", site_a, CoPStatus.ACTIVE, recent, True),  # fine
        ("Bravo", site_a, CoPStatus.ACTIVE, old, True),  # no recent meeting
        ("Charlie", site_c, CoPStatus.FORMING, recent, False),  # no active initiative
        ("Delta", site_c, CoPStatus.ACTIVE, None, True),  # never met
        ("Echo", site_c, CoPStatus.CLOSED, None, False),  # closed: not listed
    ]:
        cop = cops[name] = CommunityOfPracticeFactory(site=site, name=name, status=status)
        if met:
            MeetingFactory(community=cop, held_on=met)
        InitiativeFactory(community=cop, in_progress=active)
    for n in range(3):
        MembershipFactory(community=cops["Bravo"], left_on=_days_ago(1) if n == 2 else None)
    PlacementFactory(site=site_c, active=True)
    PlacementFactory(site=site_c)  # requested: not active

    panel = facilitator_panel(facilitator)

    assert panel["site_count"] == 2
    assert [
        (s["name"], s["community_count"], s["active_placement_count"]) for s in panel["sites"]
    ] == [
        ("Site A", 2, 0),
        ("Site C", 2, 1),
    ]
    assert panel["community_count"] == 4
    assert [(c["name"], c["site_name"], c["member_count"]) for c in panel["communities"]] == [
        ("Alpha", "Site A", 0),
        ("Bravo", "Site A", 2),
        ("Charlie", "Site C", 0),
        ("Delta", "Site C", 0),
    ]
    assert panel["attention_count"] == 3
    # Longest without a meeting first; never met last.
    assert [c["name"] for c in panel["attention"]] == ["Bravo", "Charlie", "Delta"]
    assert panel["initiatives"]["total"] == 5
    rows = {row["theme"]: row for row in panel["initiatives"]["rows"]}
    assert rows["Communication"]["cells"] == [2, 0, 3, 0, 0, 0]  # idea, …, in progress, …


def test_the_panel_lists_at_most_a_few_rows_but_counts_them_all(admin):
    sites = [SiteFactory(name=f"Site {n:02d}") for n in range(PANEL_ROWS + 3)]
    for site in sites:
        CommunityOfPracticeFactory(site=site)
    panel = facilitator_panel(admin)
    assert panel["site_count"] == len(sites)
    assert [s["name"] for s in panel["sites"]] == [s.name for s in sites[:PANEL_ROWS]]
    assert panel["community_count"] == panel["attention_count"] == len(sites)
    assert len(panel["communities"]) == len(panel["attention"]) == PANEL_ROWS


def test_the_cop_part_is_cached_until_a_service_changes_the_sites_data(
    facilitator, cop, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    facilitator_panel(facilitator)
    with django_assert_max_num_queries(1):  # the sites part only
        cached = facilitator_panel(facilitator)
    assert cached["community_count"] == 1
    CommunityOfPracticeFactory(site=cop.site)  # not through a service: not seen yet
    assert facilitator_panel(facilitator)["community_count"] == 1
    with django_capture_on_commit_callbacks(execute=True):  # bumped once committed
        services.meeting_record(community=cop, held_on=_days_ago(1))
    panel = facilitator_panel(facilitator)
    assert panel["community_count"] == 2
    assert panel["recent"][0]["text"] == f"Meeting of {cop.name}"


def test_active_placements_are_never_read_from_the_cache(facilitator, site_a):
    assert facilitator_panel(facilitator)["sites"][0]["active_placement_count"] == 0
    PlacementFactory(site=site_a, active=True)
    assert facilitator_panel(facilitator)["sites"][0]["active_placement_count"] == 1


def test_admins_share_one_cached_cop_part_and_facilitators_have_their_own(
    admin, facilitator, cop, outsider
):
    CommunityOfPracticeFactory(site__facilitators=[outsider], name="Elsewhere CoP")
    assert facilitator_panel(admin)["community_count"] == 2
    assert facilitator_panel(UserFactory(admin=True))["community_count"] == 2
    assert facilitator_panel(facilitator)["community_count"] == 1
    assert facilitator_panel(outsider)["community_count"] == 1
