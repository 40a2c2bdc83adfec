"""The facilitator's dashboard panel: recent activity of their own CoPs only, newest first."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from ipcop.lib.sql import named_subquery
from ipcop.permissions import sites_facilitated_by
from sites import panels
from sites.models import InitiativeStatus
from sites.panels import RECENT_ROWS
from sites.panels import facilitator as facilitator_panel
from sites.tests.factories import (
    CommunityOfPracticeFactory,
    InitiativeFactory,
    MeetingFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db


def _days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture(params=["per CoP", "walking the date indexes"])
def recent_form(request, monkeypatch):
    """Each form of the statement's recent activity (sites.panels.FEW_SITES decides, per
    request, from the number of sites): both must give the same rows."""
    monkeypatch.setattr(panels, "FEW_SITES", 10_000 if request.param == "per CoP" else -1)
    return request.param


def test_recent_activity_merges_meetings_initiatives_and_joins_newest_first(
    cop, facilitator, outsider, recent_form
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


def test_recent_activity_keeps_the_newest_rows_only(cop, facilitator, recent_form):
    for days in range(RECENT_ROWS + 4):
        MeetingFactory(community=cop, held_on=_days_ago(days))
    recent = facilitator_panel(facilitator)["recent"]
    assert len(recent) == RECENT_ROWS
    assert recent[-1]["on"] == _days_ago(RECENT_ROWS - 1)


def test_admins_see_every_cops_activity(admin, cop, outsider, recent_form):
    other = CommunityOfPracticeFactory(site__facilitators=[outsider], name="Elsewhere CoP")
    MeetingFactory(community=other, held_on=_days_ago(2))
    MeetingFactory(community=cop, held_on=_days_ago(4))
    texts = [item["text"] for item in facilitator_panel(admin)["recent"]]
    assert texts == ["Meeting of Elsewhere CoP", f"Meeting of {cop.name}"]


def test_recent_activity_on_the_same_day_lists_meetings_then_initiatives_then_joins(
    cop, facilitator, recent_form
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


def test_the_scope_compiled_once_per_form_binds_each_persons_id(
    facilitator, site_a, outsider, admin
):
    for user in (facilitator, outsider, admin, facilitator, admin):
        assert panels._scope(user) == named_subquery(sites_facilitated_by(user), "site")
    # The second facilitator reuses the first's statement with their own id.
    assert [s.name for s in facilitator_panel(facilitator)["sites"]] == ["Site A"]
    assert [s.name for s in facilitator_panel(outsider)["sites"]] == ["Site B"]


def test_a_facilitator_without_sites_sees_empty_lists(recent_form):
    panel = facilitator_panel(UserFactory(facilitator=True))
    assert (panel["site_count"], panel["community_count"], panel["attention_count"]) == (0, 0, 0)
    assert panel["sites"] == panel["communities"] == panel["attention"] == panel["recent"] == []
    assert panel["initiatives"]["rows"] == []


def _orm_recent(communities, today):
    """Recent activity as the querysets give it: the newest rows of each kind, merged by
    date, then kind, then newest row."""
    from sites.models import Initiative, Meeting, Membership

    rows = [
        (m.held_on, 1, m.pk, f"Meeting of {m.community.name}")
        for m in Meeting.objects.filter(community__in=communities)
        .select_related("community")
        .order_by("-held_on", "-pk")[:RECENT_ROWS]
    ]
    rows += [
        (
            timezone.localdate(i.updated_at),
            2,
            i.pk,
            f"Initiative “{i.title}” ({i.get_status_display()}) in {i.community.name}",
        )
        for i in Initiative.objects.filter(community__in=communities)
        .select_related("community")
        .order_by("-updated_at", "-pk")[:RECENT_ROWS]
    ]
    rows += [
        (ms.joined_on, 3, ms.pk, f"{ms.person} joined {ms.community.name}")
        for ms in Membership.objects.filter(community__in=communities, joined_on__lte=today)
        .select_related("community", "person")
        .order_by("-joined_on", "-pk")[:RECENT_ROWS]
    ]
    rows.sort(key=lambda row: (-row[0].toordinal(), row[1], -row[2]))
    return [(on, text) for on, _, _, text in rows[:RECENT_ROWS]]


def _orm_dashboard(user, today):
    """The dashboard's numbers as the querysets define them (the statement's reference)."""
    from django.db.models import Count

    from ipcop.permissions import communities_manageable_by, sites_facilitated_by
    from sites.models import Initiative

    sites = sites_facilitated_by(user)
    communities = communities_manageable_by(user)
    open_cops = communities.open().select_related("site")
    attention = open_cops.needing_attention(today).order_by("last_meeting_on", "name", "pk")

    def cop(c):
        return (c.pk, c.name, c.site.name, c.last_meeting_on, c.active_initiative_count)

    return {
        "site_count": sites.count(),
        "sites": [
            (s.pk, s.name, s.community_count, s.active_placement_count)
            for s in sites.with_counts().order_by("name", "pk")[:8]
        ],
        "community_count": open_cops.count(),
        "communities": [
            (*cop(c), c.member_count) for c in open_cops.order_by("site__name", "name", "pk")[:8]
        ],
        "attention_count": attention.count(),
        "attention": [cop(c) for c in attention[:8]],
        "themes": {
            (r["theme"], r["status"]): r["n"]
            for r in Initiative.objects.filter(community__in=communities)
            .values("theme", "status")
            .annotate(n=Count("pk"))
            .order_by()
        },
        "recent": _orm_recent(communities, today),
    }


@pytest.mark.parametrize("who", ["facilitator", "admin"])
def test_dashboard_statement_agrees_with_the_querysets(
    who, facilitator, admin, site_a, outsider, recent_form
):
    from placements.tests.factories import PlacementFactory
    from sites.models import CoPStatus, InitiativeTheme
    from sites.tests.factories import SiteFactory

    site_c = SiteFactory(name="Site C", facilitators=[facilitator])
    elsewhere = SiteFactory(name="Elsewhere", facilitators=[outsider])
    statuses = list(InitiativeStatus.values)
    for n, site in enumerate([site_a, site_c, elsewhere] * 4):
        community = CommunityOfPracticeFactory(
            site=site,
            name=f"CoP {n:02d}",
            status=CoPStatus.CLOSED if n % 5 == 4 else CoPStatus.ACTIVE,
        )
        for m in range(n % 3):
            MeetingFactory(community=community, held_on=_days_ago(10 + 40 * m + n))
        for i in range(n % 4):
            InitiativeFactory(
                community=community,
                status=statuses[(n + i) % len(statuses)],
                theme=InitiativeTheme.values[(n * i) % len(InitiativeTheme.values)],
            )
        for k in range(n % 3 + 1):
            MembershipFactory(
                community=community,
                person=UserFactory(full_name="" if k == 1 else f"Member {n}-{k}"),
                joined_on=_days_ago(-1 if n == 5 else 2 * n + k),  # these join tomorrow
                left_on=_days_ago(1) if k == 2 and n != 5 else None,
            )
    for n in range(5):
        PlacementFactory(site=[site_a, site_c, elsewhere][n % 3], status="active")
    PlacementFactory(site=site_a, status="completed")

    user = facilitator if who == "facilitator" else admin
    today = timezone.localdate()
    expected = _orm_dashboard(user, today)
    panel = facilitator_panel(user)

    def cop(c):
        return (c.pk, c.name, c.site.name, c.last_meeting_on, c.active_initiative_count)

    assert panel["site_count"] == expected["site_count"]
    assert [
        (s.pk, s.name, s.community_count, s.active_placement_count) for s in panel["sites"]
    ] == expected["sites"]
    assert panel["community_count"] == expected["community_count"]
    assert [(*cop(c), c.member_count) for c in panel["communities"]] == expected["communities"]
    assert panel["attention_count"] == expected["attention_count"] > 0
    assert [cop(c) for c in panel["attention"]] == expected["attention"]
    table = panel["initiatives"]
    assert table["total"] == sum(expected["themes"].values()) > 0
    for row in table["rows"]:
        theme = next(v for v, label in InitiativeTheme.choices if label == row["theme"])
        assert row["cells"] == [expected["themes"].get((theme, s), 0) for s in statuses]
    assert [(item["on"], item["text"]) for item in panel["recent"]] == expected["recent"]
    assert len(panel["recent"]) == RECENT_ROWS
