"""The trigger-kept follow-up counts per site and status (migration 0006), and the tab
counts read from them: always what counting the follow-ups gives."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.http import QueryDict
from django.utils import timezone

from interviews import selectors
from interviews.models import FollowUp, FollowUpCount, FollowUpStatus
from interviews.selectors import (
    DUE_WINDOW_DAYS,
    followup_counts,
    followup_counts_in_scope,
    followup_due_q,
    followup_list,
)
from interviews.tests.factories import FollowUpFactory
from ipcop import permissions
from ipcop.lib import keyset
from placements.tests.factories import PlacementFactory
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db


def kept() -> Counter:
    return Counter(
        {(row.site_id, row.status): row.total for row in FollowUpCount.objects.all() if row.total}
    )


def recounted() -> Counter:
    return Counter(
        {
            (row["site_id"], row["status"]): row["n"]
            for row in FollowUp.objects.values("site_id", "status").annotate(n=Count("id"))
        }
    )


def test_counts_follow_inserts_updates_moves_and_deletes(site_a, site_b):
    first = FollowUpFactory(placement=PlacementFactory(site=site_a))
    second = FollowUpFactory(placement=PlacementFactory(site=site_a))
    FollowUpFactory(placement=PlacementFactory(site=site_b), completed=True)
    assert (
        kept() == recounted() == Counter({(site_a.pk, "pending"): 2, (site_b.pk, "completed"): 1})
    )
    FollowUp.objects.filter(pk=first.pk).update(status=FollowUpStatus.DECLINED)
    assert kept() == recounted()
    FollowUp.objects.filter(pk=second.pk).update(site=site_b)  # moved between sites
    assert kept() == recounted()
    FollowUp.objects.filter(pk=second.pk).update(site=site_a, status=FollowUpStatus.MISSED)
    assert kept() == recounted()
    FollowUp.objects.update(due_on=timezone.localdate())  # no site or status changes
    assert kept() == recounted()
    FollowUp.objects.filter(pk=first.pk).delete()
    assert kept() == recounted()
    FollowUp.objects.all().delete()
    assert kept() == Counter()


def test_counts_follow_bulk_writes_and_a_recount_agrees(site_a, site_b):
    template = FollowUpFactory(placement=PlacementFactory(site=site_a))
    placements = [PlacementFactory(site=site) for site in (site_a, site_b, site_b)]
    FollowUp.objects.bulk_create(
        FollowUp(
            participant_id=template.participant_id,
            placement=placement,
            site=placement.site,
            due_on=template.due_on,
        )
        for placement in placements
    )
    FollowUp.objects.filter(site=site_b).update(status=FollowUpStatus.COMPLETED)
    assert kept() == recounted()
    before = kept()
    with connection.cursor() as cursor:
        cursor.execute("SELECT interviews_followupcount_refill()")
    assert kept() == before


def test_a_site_without_follow_ups_can_still_be_deleted(site_a):
    site = SiteFactory()
    followup = FollowUpFactory(placement=PlacementFactory(site=site))
    placement = followup.placement
    followup.delete()
    placement.delete()
    site.delete()
    assert not FollowUpCount.objects.filter(site_id=site.pk).exists()


@pytest.fixture
def every_kind(site_a, site_b, facilitator):
    """One follow-up of each status on each side of the due windows' edges, at site A and
    at site B; two of site B's are the facilitator's (one interviewed, one their own)."""
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


@pytest.mark.parametrize("persona", ["facilitator", "outsider", "admin_user"])
def test_scope_counts_are_the_counts_of_the_visible_follow_ups(
    request, every_kind, site_a, site_b, persona
):
    user = request.getfixturevalue(persona)
    scope = permissions.followup_list_scope(user)
    assert scope is not None
    visible = permissions.followups_visible_to(user)
    for site in (None, site_a.pk, site_b.pk):
        shown = visible if site is None else visible.filter(site_id=site)
        assert followup_counts_in_scope(scope, site=site, today=every_kind) == followup_counts(
            shown, today=every_kind
        )


def test_scope_of_the_facilitator_names_follow_ups_elsewhere(every_kind, facilitator):
    scope = permissions.followup_list_scope(facilitator)
    assert scope.facilitator == facilitator.pk
    assert len(scope.elsewhere) == 2


def test_no_scope_beyond_the_by_id_limit_or_without_facilitation(
    every_kind, facilitator, monkeypatch
):
    monkeypatch.setattr(permissions, "_FOLLOWUPS_ELSEWHERE_BY_ID", 1)
    assert permissions.followup_list_scope(facilitator) is None
    student = FollowUp.objects.filter(participant__is_facilitator=False).first().participant
    assert permissions.followup_list_scope(student) is None


def _page_fields(page):
    return (
        [tuple(row) for row in page.object_list],
        page.number,
        page.has_next,
        page.has_previous,
        page.next_query,
        page.previous_query,
        page.count,
        page.count_is_lower_bound,
    )


@pytest.mark.parametrize("persona", ["facilitator", "admin_user"])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"status": "pending"},
        {"due": "next30"},
        {"due": "overdue"},
        {"status": "scheduled", "due": "next30"},
        {"site": "b"},
        {"site": "b", "status": "pending", "due": "overdue"},
    ],
)
@pytest.mark.parametrize("few_sites", [10, 0], ids=["by-site", "walk"])
def test_the_list_statement_counts_and_pages_as_the_querysets_do(
    request, every_kind, site_a, site_b, persona, filters, few_sites, monkeypatch
):
    """Walking forwards by Next and back by Previous, every page of `followup_list_page`
    is the page `keyset_page` makes of `followup_list` (counting the rows itself), and
    its tab counts are `followup_counts` of the scope at the site; in both forms of a
    facilitator's page (each site's first rows for few sites, the index walk for many)."""
    monkeypatch.setattr(selectors, "FEW_SITES", few_sites)
    monkeypatch.setattr(keyset, "COUNT_LIMIT", 10)
    monkeypatch.setattr(selectors, "COUNT_LIMIT", 10)
    user = request.getfixturevalue(persona)
    scope = permissions.followup_list_scope(user)
    site = {"b": site_b.pk}.get(filters.get("site"))
    status, due = filters.get("status"), filters.get("due")
    rows = permissions.followups_in_scope(user, scope)
    if site:
        rows = rows.filter(site_id=site)
    counts = followup_counts(rows, today=every_kind)
    if status:
        rows = rows.filter(status=status)
    if due:
        rows = rows.filter(followup_due_q(due, every_kind))

    def both(params):
        common = {"params": params, "per_page": 4, "query": "x=1"}
        tabs, ours = selectors.followup_list_page(
            scope, site=site, status=status, due=due, today=every_kind, **common
        )
        reference = keyset.keyset_page(
            followup_list(rows), field="due_on", descending=False, count=None, **common
        )
        assert tabs == counts
        assert _page_fields(ours) == _page_fields(reference)
        return ours

    def params_of(link):
        return QueryDict(link)

    page, pages = both(QueryDict()), 1
    while page.has_next:
        page, pages = both(params_of(page.next_query)), pages + 1
    assert pages > 2 or filters
    while page.has_previous:
        page = both(params_of(page.previous_query))
    assert page.number == 1


def test_the_list_statement_gives_counts_for_an_empty_page(every_kind, facilitator, site_a):
    """A filter that keeps no row: the statement's one row still carries the counts."""
    scope = permissions.followup_list_scope(facilitator)
    tabs, page = selectors.followup_list_page(
        scope,
        site=site_a.pk,
        status="completed",
        due="overdue",
        params=QueryDict(),
        per_page=4,
        query="",
        today=every_kind,
    )
    shown = permissions.followups_in_scope(facilitator, scope).filter(site_id=site_a.pk)
    assert tabs == followup_counts(shown, today=every_kind)
    assert list(page.object_list) == [] and page.count == 0
