"""The kept follow-up counts per site and status (triggers on FollowUp) agree with a
recount after writes through the services and after plain ORM writes, as the admin or a
bulk load makes them; the recount repairs them; concurrent writers do not deadlock."""

import threading
from collections import Counter
from datetime import timedelta

import pgtrigger
import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from interviews import services
from interviews.models import FollowUp, FollowUpCount, FollowUpStatus
from interviews.tests.factories import FollowUpFactory
from placements.tests.factories import PlacementFactory
from sites.tests.factories import MembershipFactory, SiteFactory


def kept() -> Counter:
    return Counter(
        {(row.site_id, row.status): row.total for row in FollowUpCount.objects.all() if row.total}
    )


def recounted() -> Counter:
    rows = FollowUp.objects.values("site_id", "status").annotate(n=Count("id"))
    return Counter({(row["site_id"], row["status"]): row["n"] for row in rows})


def assert_counts_right() -> None:
    assert kept() == recounted()
    assert services.counters_check() == []


@pytest.mark.django_db
def test_counts_follow_writes_through_the_services(site_a, facilitator):
    placement = PlacementFactory(site=site_a, active=True)
    followup = services.followup_for_placement(placement=placement)
    services.followup_for_membership(membership=MembershipFactory(community__site=site_a))
    assert_counts_right()
    assert kept()[site_a.pk, FollowUpStatus.PENDING] == 2
    services.followup_schedule(
        followup=followup,
        interviewer=facilitator,
        scheduled_at=timezone.now() + timedelta(days=3),
        mode="phone",
    )
    assert_counts_right()
    services.interview_consent_record(followup=followup, consent_given=True, by=facilitator)
    services.interview_record_save(
        followup=followup, conducted_on=timezone.localdate(), notes="", themes=[], by=facilitator
    )
    assert_counts_right()
    assert kept()[site_a.pk, FollowUpStatus.COMPLETED] == 1
    other = FollowUpFactory(placement=PlacementFactory(site=site_a))
    services.followup_decline(followup=other)
    assert_counts_right()


@pytest.mark.django_db
def test_counts_follow_plain_orm_writes(site_a, site_b):
    first = FollowUpFactory(placement=PlacementFactory(site=site_a))
    second = FollowUpFactory(placement=PlacementFactory(site=site_a))
    FollowUpFactory(placement=PlacementFactory(site=site_b), completed=True)
    assert kept() == Counter({(site_a.pk, "pending"): 2, (site_b.pk, "completed"): 1})
    assert_counts_right()
    first.status = FollowUpStatus.DECLINED
    first.save()  # as the admin saves a changed row
    assert_counts_right()
    FollowUp.objects.filter(pk=second.pk).update(site=site_b)  # moved between sites
    assert_counts_right()
    FollowUp.objects.filter(pk=second.pk).update(site=site_a, status=FollowUpStatus.MISSED)
    assert_counts_right()
    FollowUp.objects.update(due_on=timezone.localdate())  # no site or status changes
    assert_counts_right()
    placements = [PlacementFactory(site=site) for site in (site_a, site_b, site_b)]
    FollowUp.objects.bulk_create(
        FollowUp(
            participant_id=first.participant_id,
            placement=placement,
            site=placement.site,
            due_on=first.due_on,
        )
        for placement in placements
    )
    FollowUp.objects.filter(site=site_b).update(status=FollowUpStatus.COMPLETED)
    assert_counts_right()
    first.delete()
    assert_counts_right()
    FollowUp.objects.all().delete()
    assert kept() == Counter()
    assert_counts_right()


@pytest.mark.django_db
def test_recount_repairs_the_counts_after_a_load_without_triggers(site_a, site_b):
    FollowUpFactory(placement=PlacementFactory(site=site_a))
    placement = PlacementFactory(site=site_b)
    with pgtrigger.ignore("interviews.FollowUp:followup_count_insert"):
        FollowUp.objects.create(
            participant=placement.student.user,
            placement=placement,
            site=site_b,
            due_on=timezone.localdate(),
        )
    FollowUpCount.objects.filter(site=site_a).update(total=7)
    assert services.counters_check() == [
        f"follow-ups at site {site_a.pk} pending: kept 7, counted 1",
        f"follow-ups at site {site_b.pk} pending: kept 0, counted 1",
    ]
    services.counters_recount()
    assert_counts_right()


@pytest.mark.django_db
def test_a_site_without_follow_ups_can_still_be_deleted(site_a):
    site = SiteFactory()
    followup = FollowUpFactory(placement=PlacementFactory(site=site))
    placement = followup.placement
    followup.delete()
    placement.delete()
    site.delete()
    assert not FollowUpCount.objects.filter(site_id=site.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_writers_neither_deadlock_nor_lose_counts(facilitator):
    """Each thread, in its own transaction, changes the status of follow-ups at three
    sites in its own order (one statement) and then closes one through a service: the
    counts' rows are taken in key order, so writers wait for each other, never in a
    circle."""
    sites = [SiteFactory(facilitators=[facilitator]) for _ in range(3)]
    followups = [
        FollowUpFactory(placement=PlacementFactory(site=sites[n % 3])) for n in range(16 * 4)
    ]
    statuses = [FollowUpStatus.MISSED, FollowUpStatus.DECLINED]
    errors = []
    start = threading.Barrier(16)

    def write(n: int) -> None:
        mine = followups[n * 4 : n * 4 + 4]
        try:
            start.wait()
            with transaction.atomic():
                FollowUp.objects.filter(pk__in=[f.pk for f in mine[:3]]).update(
                    status=statuses[n % 2]
                )
                services.followup_cancel(followup=mine[3])
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        # Generous: on a machine loaded by other work, a thread still waiting when the
        # test ends would meet the teardown's TRUNCATE, a deadlock of the test's making.
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer never finished"
    assert errors == []
    assert_counts_right()
    assert sum(kept().values()) == len(followups)
