"""The follow-up list's reads: its index-friendly visibility is exactly the visibility
rule, and its summary counts match a plain count per status."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.tests.factories import UserFactory
from interviews.models import FollowUp, FollowUpStatus
from interviews.selectors import (
    DUE_FILTERS,
    DUE_WINDOW_DAYS,
    followup_counts,
    followup_due_q,
    followup_list,
)
from interviews.tests.factories import FollowUpFactory
from ipcop import permissions
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


def assert_same_set(user, expected=None):
    listed = ids(permissions.followups_visible_for_list(user))
    assert listed == ids(permissions.followups_visible_to(user))
    if expected is not None:
        assert listed == expected


def test_list_visibility_of_a_facilitator_is_their_sites(facilitator, spread):
    assert_same_set(facilitator, {f.pk for f in spread["a"]})


def test_list_visibility_adds_interviews_and_own_follow_ups_at_other_sites(facilitator, spread):
    interviewed = spread["b"][0]
    FollowUp.objects.filter(pk=interviewed.pk).update(
        interviewer=facilitator,
        status=FollowUpStatus.SCHEDULED,
        scheduled_at=timezone.now() + timedelta(days=3),
    )
    own = FollowUpFactory(
        placement=PlacementFactory(site=spread["b"][1].site), participant=facilitator
    )
    assert_same_set(facilitator, {f.pk for f in spread["a"]} | {interviewed.pk, own.pk})


def test_list_visibility_keeps_the_rule_beyond_the_by_id_limit(facilitator, spread, monkeypatch):
    monkeypatch.setattr(permissions, "_FOLLOWUPS_ELSEWHERE_BY_ID", 1)
    for followup in spread["b"][:2]:
        FollowUp.objects.filter(pk=followup.pk).update(
            interviewer=facilitator,
            status=FollowUpStatus.SCHEDULED,
            scheduled_at=timezone.now() + timedelta(days=3),
        )
    assert_same_set(facilitator, {f.pk for f in spread["a"]} | {f.pk for f in spread["b"][:2]})


def test_list_visibility_of_students_admins_and_strangers(admin_user, spread):
    student = spread["a"][0].participant
    assert_same_set(student, {spread["a"][0].pk})
    assert_same_set(admin_user, {f.pk for f in spread["a"] + spread["b"]})
    assert_same_set(UserFactory(), set())


def test_counts_per_status_and_due_window(site_a):
    today = timezone.localdate()
    due = {
        "soon": today + timedelta(days=5),
        "late": today - timedelta(days=5),
        "far": today + timedelta(days=90),
    }
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=due["soon"])
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=due["late"])
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=due["far"])
    FollowUpFactory(placement=PlacementFactory(site=site_a), due_on=due["late"], completed=True)
    counts = followup_counts(FollowUp.objects.filter(site=site_a), today=today)
    assert counts["total"] == 4
    assert counts["next30"] == 1
    assert counts["overdue"] == 1  # the completed one is not overdue
    assert counts["pending"] == 3
    assert counts["completed"] == 1
    assert counts["declined"] == counts["scheduled"] == 0


def test_list_rows_name_people_as_they_are_named_everywhere(site_a):
    """The rows' SQL names a person as User.__str__ does: the full name, else the email."""
    named = FollowUpFactory(placement=PlacementFactory(site=site_a), scheduled=True)
    unnamed = FollowUpFactory(placement=PlacementFactory(site=site_a))
    User.objects.filter(pk=unnamed.participant_id).update(full_name="")
    User.objects.filter(pk=named.interviewer_id).update(full_name="")
    rows = {row.pk: row for row in followup_list(FollowUp.objects.all())}
    for followup in (named, unnamed):
        followup = FollowUp.objects.select_related("participant", "interviewer").get(pk=followup.pk)
        row = rows[followup.pk]
        assert row.participant_name == str(followup.participant)
        assert row.interviewer_name == (str(followup.interviewer) if followup.interviewer else None)
    assert rows[unnamed.pk].participant_name == unnamed.participant.email


def test_counts_match_the_list_filters_for_every_status_and_due_date(site_a):
    """The tab counts are what the list shows behind each tab: one follow-up of every
    status on each side of each due window's edges."""
    today = timezone.localdate()
    offsets = (-400, -1, 0, 1, DUE_WINDOW_DAYS, DUE_WINDOW_DAYS + 1, 400)
    for status in FollowUpStatus.values:
        trait = {"scheduled": True} if status == FollowUpStatus.SCHEDULED else {}
        for days in offsets:
            FollowUpFactory(
                placement=PlacementFactory(site=site_a),
                status=status,
                due_on=today + timedelta(days=days),
                **trait,
            )
    followups = FollowUp.objects.filter(site=site_a)
    counts = followup_counts(followups, today=today)
    for due in DUE_FILTERS:
        assert counts[due] == followups.filter(followup_due_q(due, today)).count() > 0
    for status in FollowUpStatus.values:
        assert counts[status] == followups.filter(status=status).count() == len(offsets)
    assert counts["total"] == followups.count()
