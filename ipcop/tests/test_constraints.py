"""Database invariants reject bad rows even when code skips validation."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.tests.factories import UserFactory
from interviews.models import FollowUp, Reminder, ReminderKind
from interviews.tests.factories import FollowUpFactory
from mentoring.tests.factories import MentorAssignmentFactory, MentoringSessionFactory
from placements.models import Capacity, Placement
from placements.tests.factories import PlacementFactory, StudentFactory
from sites.models import Initiative, Meeting, Membership
from sites.tests.factories import CommunityOfPracticeFactory, MembershipFactory, SiteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 1)


def rejected(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_placement_cannot_end_before_it_starts():
    student, site = StudentFactory(), SiteFactory()
    rejected(
        lambda: Placement.objects.create(
            student=student, site=site, start_date=DAY, end_date=DAY - datetime.timedelta(days=1)
        )
    )


def test_membership_cannot_end_before_it_started_nor_be_duplicated():
    membership = MembershipFactory(joined_on=DAY)
    membership.left_on = DAY - datetime.timedelta(days=1)
    rejected(membership.save)
    rejected(
        lambda: Membership.objects.create(
            community=membership.community,
            person=membership.person,
            profession=membership.profession,
            joined_on=DAY,
        )
    )


def test_initiative_cannot_end_before_it_started():
    cop = CommunityOfPracticeFactory()
    rejected(
        lambda: Initiative.objects.create(
            community=cop,
            title="x",
            theme="other",
            started_on=DAY,
            ended_on=DAY - datetime.timedelta(days=3),
        )
    )


def test_meeting_and_session_durations_are_bounded():
    cop = CommunityOfPracticeFactory()
    rejected(lambda: Meeting.objects.create(community=cop, held_on=DAY, duration_minutes=0))
    session = MentoringSessionFactory()
    session.duration_minutes = 13 * 60
    rejected(session.save)


def test_capacity_period_and_uniqueness():
    site = SiteFactory()
    profession = UserFactory().profession
    Capacity.objects.create(
        site=site, profession=profession, period_start=DAY, period_end=DAY, places=2
    )
    rejected(
        lambda: Capacity.objects.create(
            site=site, profession=profession, period_start=DAY, period_end=DAY, places=3
        )
    )
    rejected(
        lambda: Capacity.objects.create(
            site=site,
            profession=profession,
            period_start=DAY + datetime.timedelta(days=5),
            period_end=DAY,
            places=1,
        )
    )


def test_one_primary_preceptor_per_placement():
    placement = PlacementFactory()
    MentorAssignmentFactory(placement=placement, role="primary")
    rejected(lambda: MentorAssignmentFactory(placement=placement, role="primary"))


def test_followup_follows_exactly_one_thing():
    placement = PlacementFactory()
    membership = MembershipFactory()
    rejected(
        lambda: FollowUp.objects.create(
            participant=placement.student.user, site=placement.site, due_on=DAY
        )
    )
    rejected(
        lambda: FollowUp.objects.create(
            participant=placement.student.user,
            site=placement.site,
            due_on=DAY,
            placement=placement,
            membership=membership,
        )
    )


def test_scheduled_followup_needs_interviewer_and_time():
    followup = FollowUpFactory()
    followup.status = "scheduled"
    rejected(followup.save)


def test_no_duplicate_reminder_per_followup_recipient_and_kind():
    followup = FollowUpFactory()
    recipient = UserFactory()
    Reminder.objects.all().delete()
    Reminder.objects.create(
        followup=followup,
        recipient=recipient,
        kind=ReminderKind.DUE_SOON,
        send_at="2026-01-01T00:00Z",
    )
    rejected(
        lambda: Reminder.objects.create(
            followup=followup,
            recipient=recipient,
            kind=ReminderKind.DUE_SOON,
            send_at="2026-02-01T00:00Z",
        )
    )


def test_email_is_unique_whatever_its_case():
    User.objects.create_user(email="Same@Example.org", password="x", full_name="A")
    rejected(lambda: User.objects.create(email="SAME@example.org", full_name="B"))
