"""The follow-ups' reads: who sees which follow-ups, the list's tab counts (what counting
the visible follow-ups gives, for every persona and site), its keyset pages in due date
order with every filter, the names on its rows, the home panel's counts and the calendar
feed's interviews."""

from datetime import timedelta

import pytest
from django.http import QueryDict
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from interviews.models import OPEN_FOLLOWUP_STATUSES, FollowUp, FollowUpStatus
from interviews.selectors import followups as selectors
from interviews.selectors.followups import (
    DUE_FILTERS,
    DUE_WINDOW_DAYS,
    calendar_followups,
    followup_counts,
    followup_page,
    followup_panel_counts,
    week_of,
)
from interviews.tests.factories import FollowUpFactory
from ipcop import permissions
from ipcop.lib import keyset
from placements.tests.factories import PlacementFactory

pytestmark = pytest.mark.django_db


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


@pytest.fixture
def spread(site_a, site_b):
    """Follow-ups at site A (the facilitator's) and site B (the outsider's)."""
    return {
        "a": [FollowUpFactory(placement=PlacementFactory(site=site_a)) for _ in range(3)],
        "b": [FollowUpFactory(placement=PlacementFactory(site=site_b)) for _ in range(3)],
    }


def test_a_facilitator_sees_their_sites_and_what_they_take_part_in_elsewhere(facilitator, spread):
    assert ids(permissions.followups_visible_to(facilitator)) == {f.pk for f in spread["a"]}
    interviewed = spread["b"][0]
    FollowUp.objects.filter(pk=interviewed.pk).update(
        interviewer=facilitator,
        status=FollowUpStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=3),
    )
    own = FollowUpFactory(
        placement=PlacementFactory(site=spread["b"][1].site), participant=facilitator
    )
    assert ids(permissions.followups_visible_to(facilitator)) == {f.pk for f in spread["a"]} | {
        interviewed.pk,
        own.pk,
    }
    # Managing stays with the site's facilitators.
    assert ids(permissions.followups_manageable_by(facilitator)) == {f.pk for f in spread["a"]}


def test_students_see_their_own_admins_all_strangers_none(admin_user, spread):
    student = spread["a"][0].participant
    assert ids(permissions.followups_visible_to(student)) == {spread["a"][0].pk}
    assert ids(permissions.followups_visible_to(admin_user)) == {
        f.pk for f in spread["a"] + spread["b"]
    }
    assert ids(permissions.followups_visible_to(UserFactory())) == set()


@pytest.fixture
def every_kind(site_a, site_b, facilitator):
    """One follow-up of each status on each side of the due windows' edges, at site A and
    at site B; two of site B's are the facilitator's (one interviewed, one their own).
    Returns today."""
    today = timezone.localdate()
    offsets = (-400, -1, 0, 1, DUE_WINDOW_DAYS, DUE_WINDOW_DAYS + 1, 400)
    for site in (site_a, site_b):
        for status in FollowUpStatus.values:
            trait = {"scheduled": True} if status == FollowUpStatus.SCHEDULED else {}
            for days in offsets:
                FollowUpFactory(
                    placement=PlacementFactory(site=site),
                    status=status,
                    due_on=today + timedelta(days=days),
                    **trait,
                )
    at_b = FollowUp.objects.filter(site=site_b, status=FollowUpStatus.PENDING).order_by("pk")
    FollowUp.objects.filter(pk=at_b[0].pk).update(
        interviewer=facilitator,
        status=FollowUpStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=3),
    )
    FollowUp.objects.filter(pk=at_b[1].pk).update(participant=facilitator)
    return today


def counted(followups, today) -> dict:
    """The tab counts, counted one by one in Python."""
    rows = list(followups)
    counts = {status: sum(f.status == status for f in rows) for status in FollowUpStatus.values}
    counts["total"] = len(rows)
    is_open = [f for f in rows if f.status in OPEN_FOLLOWUP_STATUSES]
    end = today + timedelta(days=DUE_WINDOW_DAYS)
    counts["next30"] = sum(today <= f.due_on <= end for f in is_open)
    counts["overdue"] = sum(f.due_on < today for f in is_open)
    _, sunday = week_of(today)
    counts["week"] = sum(today <= f.due_on <= sunday for f in is_open)
    return counts


@pytest.fixture
def interviewer(every_kind, site_b):
    """A facilitator of no site who conducts one interview at site B."""
    person = UserFactory(facilitator=True)
    followup = FollowUp.objects.filter(site=site_b, status=FollowUpStatus.SCHEDULED).first()
    FollowUp.objects.filter(pk=followup.pk).update(interviewer=person)
    return person


@pytest.mark.parametrize("persona", ["facilitator", "outsider", "admin_user", "interviewer"])
def test_tab_counts_are_the_counts_of_what_the_person_sees(
    request, every_kind, site_a, site_b, persona
):
    user = request.getfixturevalue(persona)
    visible = permissions.followups_visible_to(user)
    for site in (None, site_a.pk, site_b.pk):
        shown = visible if site is None else visible.filter(site_id=site)
        assert followup_counts(
            user,
            managed_sites=permissions.sites_facilitated_by(user),
            site=site,
            today=every_kind,
        ) == counted(shown, every_kind)
    assert (
        followup_counts(
            user,
            managed_sites=permissions.sites_facilitated_by(user),
            today=every_kind,
        )["total"]
        > 0
    )


def test_a_participants_counts_are_their_own(every_kind, site_a):
    student = FollowUp.objects.filter(site=site_a).first().participant
    counts = followup_counts(
        student,
        managed_sites=permissions.sites_facilitated_by(student),
        today=every_kind,
    )
    assert counts["total"] == 1
    assert counts == counted(permissions.followups_visible_to(student), every_kind)


def test_tab_counts_match_the_list_filters_for_every_status_and_due_window(
    every_kind, facilitator, site_a
):
    counts = followup_counts(
        facilitator,
        managed_sites=permissions.sites_facilitated_by(facilitator),
        site=site_a.pk,
        today=every_kind,
    )
    followups = FollowUp.objects.filter(site=site_a)
    for due in DUE_FILTERS:
        assert counts[due] == followups.filter(selectors.followup_due_q(due, every_kind)).count()
        assert counts[due] > 0
    for status in FollowUpStatus.values:
        assert counts[status] == followups.filter(status=status).count() == 7


@pytest.mark.parametrize("persona", ["facilitator", "admin_user", "interviewer"])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "pending"},
        {"due": "next30"},
        {"due": "overdue"},
        {"due": "week"},
        {"status": "scheduled", "due": "next30"},
        {"site": "b"},
        {"site": "b", "status": "pending", "due": "overdue"},
    ],
)
def test_walking_the_pages_forward_and_back_lists_every_visible_follow_up_in_order(
    request, every_kind, site_b, persona, filters, monkeypatch
):
    monkeypatch.setattr(keyset, "COUNT_LIMIT", 10)
    user = request.getfixturevalue(persona)
    site = site_b.pk if filters.get("site") else None
    status, due = filters.get("status"), filters.get("due")
    expected = permissions.followups_visible_to(user)
    if site:
        expected = expected.filter(site_id=site)
    if status:
        expected = expected.filter(status=status)
    if due:
        expected = expected.filter(selectors.followup_due_q(due, every_kind))
    # Unfiltered, the open follow-ups come first.
    ranked = not status and not due
    expected = sorted(
        expected.values_list("pk", "status", "due_on"),
        key=lambda row: (ranked and row[1] not in OPEN_FOLLOWUP_STATUSES, row[2], row[0]),
    )
    expected = [pk for pk, _, _ in expected]
    counts = followup_counts(
        user,
        managed_sites=permissions.sites_facilitated_by(user),
        site=site,
        today=every_kind,
    )

    def page_at(params):
        return followup_page(
            permissions.followups_visible_to(user),
            site=site,
            status=status,
            due=due,
            counts=counts,
            params=params,
            per_page=4,
            query="x=1",
            today=every_kind,
        )

    page = page_at(QueryDict())
    seen = [row["pk"] for row in page]
    pages = [seen[:]]
    while page.has_next:
        assert page.next_query.startswith("x=1&after=")
        page = page_at(QueryDict(page.next_query))
        pages.append([row["pk"] for row in page])
        seen += pages[-1]
    assert seen == expected
    assert page.count == min(len(expected), 10)
    assert page.count_is_lower_bound == (len(expected) > 10)
    assert page.number == len(pages)
    while page.has_previous:
        page = page_at(QueryDict(page.previous_query))
        assert [row["pk"] for row in page] == pages[page.number - 1]
    assert page.number == 1


def test_rows_name_people_sites_and_interviews_as_the_page_shows_them(site_a):
    named = FollowUpFactory(placement=PlacementFactory(site=site_a), scheduled=True)
    unnamed = FollowUpFactory(for_membership=True, site=site_a)
    User.objects.filter(pk=unnamed.participant_id).update(full_name="")
    admin = UserFactory(admin=True)
    page = followup_page(
        permissions.followups_visible_to(admin),
        site=None,
        status=None,
        due=None,
        counts={"total": 2},
        params=QueryDict(),
        per_page=5,
    )
    rows = {row["pk"]: row for row in page}
    assert rows[named.pk]["participant"] == named.participant.full_name
    local = timezone.localtime(named.scheduled_at)
    # The appointment in the pages' date style: "Fri 4 Dec 2026, 14:30 with …".
    when = f"{local:%a} {local.day} {local:%b %Y, %H:%M}"
    assert rows[named.pk]["interview"] == f"{when} with {named.interviewer}"
    assert rows[named.pk]["due"] == named.due_on.isoformat()
    assert rows[named.pk]["follows"] == "Placement"
    assert rows[named.pk]["status"] == "Scheduled"
    assert rows[unnamed.pk]["participant"] == unnamed.participant.email
    assert rows[unnamed.pk]["follows"] == "CoP membership"
    assert rows[unnamed.pk]["interview"] == ""
    assert {row["site"] for row in page} == {"Site A"}


def test_panel_counts_cover_the_follow_ups_at_the_persons_sites_only(every_kind, facilitator):
    counts = followup_panel_counts(
        facilitator, managed_sites=permissions.sites_facilitated_by(facilitator), today=every_kind
    )
    assert counts == counted(FollowUp.objects.filter(site__facilitators=facilitator), every_kind)


def test_the_calendar_lists_the_interviews_a_person_conducts_from_a_month_ago(facilitator):
    now = timezone.now()
    coming = FollowUpFactory(
        scheduled=True, interviewer=facilitator, scheduled_at=now + timedelta(1)
    )
    recent = FollowUpFactory(
        scheduled=True, interviewer=facilitator, scheduled_at=now - timedelta(days=29)
    )
    FollowUpFactory(scheduled=True, interviewer=facilitator, scheduled_at=now - timedelta(days=31))
    FollowUpFactory(scheduled=True, scheduled_at=now + timedelta(days=2))  # someone else's
    assert list(
        calendar_followups(facilitator, visible=permissions.followups_visible_to(facilitator))
    ) == [recent, coming]


def test_cached_counts_follow_service_admin_and_facilitator_changes(
    facilitator, site_a, site_b, admin_user, rf, django_capture_on_commit_callbacks
):
    from django.contrib.admin.sites import site as admin_site

    from interviews import services

    first = FollowUpFactory(placement=PlacementFactory(site=site_a))
    FollowUpFactory(placement=PlacementFactory(site=site_b))
    assert (
        followup_counts(facilitator, managed_sites=permissions.sites_facilitated_by(facilitator))[
            "total"
        ]
        == 1
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_cancel(followup=first)
    assert (
        followup_counts(facilitator, managed_sites=permissions.sites_facilitated_by(facilitator))[
            "cancelled"
        ]
        == 1
    )
    assert (
        followup_panel_counts(
            facilitator, managed_sites=permissions.sites_facilitated_by(facilitator)
        )["pending"]
        == 0
    )
    # The admin deletes it.
    request = rf.post("/")
    request.user = admin_user
    with django_capture_on_commit_callbacks(execute=True):
        admin_site._registry[FollowUp].delete_model(request, first)
    assert (
        followup_counts(facilitator, managed_sites=permissions.sites_facilitated_by(facilitator))[
            "total"
        ]
        == 0
    )
    # Given site B, the facilitator sees its follow-ups at once.
    with django_capture_on_commit_callbacks(execute=True):
        site_b.facilitators.add(facilitator)
    assert (
        followup_counts(facilitator, managed_sites=permissions.sites_facilitated_by(facilitator))[
            "total"
        ]
        == 1
    )
    assert (
        followup_panel_counts(
            facilitator, managed_sites=permissions.sites_facilitated_by(facilitator)
        )["pending"]
        == 1
    )
