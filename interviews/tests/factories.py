"""Factories for follow-ups, interview records, quotes, themes and reminders.

The starting codebook themes are seeded by a migration; ThemeFactory makes further ones.
"""

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.tests.factories import UserFactory
from interviews.models import (
    CalendarFeed,
    FollowUp,
    FollowUpStatus,
    InterviewMode,
    InterviewRecord,
    Quote,
    Reminder,
    ReminderKind,
    Theme,
)
from interviews.services import calendar_token_digest, followup_due_date
from placements.tests.factories import PlacementFactory
from sites.tests.factories import MembershipFactory


def _at(day: datetime.date, hour: int) -> datetime.datetime:
    """An aware datetime on `day` at `hour` o'clock, local time."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


class ThemeFactory(DjangoModelFactory):
    class Meta:
        model = Theme

    name = factory.Sequence(lambda n: f"Theme {n}")
    description = "A theme of change."
    order = factory.Sequence(lambda n: 100 + n)


class FollowUpFactory(DjangoModelFactory):
    """A pending follow-up of a placement, due FOLLOWUP_DELAY_MONTHS after it starts, at
    its site, with the student as participant.

    `FollowUpFactory(membership=m)` (or the trait `for_membership=True`) follows a CoP
    membership instead. Trait `scheduled` adds an interviewer and a time, as the
    constraint for the scheduled status requires.
    """

    class Meta:
        model = FollowUp

    membership = None
    placement = factory.Maybe(
        "membership", yes_declaration=None, no_declaration=factory.SubFactory(PlacementFactory)
    )
    participant = factory.LazyAttribute(
        lambda o: o.membership.person if o.membership else o.placement.student.user
    )
    site = factory.LazyAttribute(
        lambda o: o.membership.community.site if o.membership else o.placement.site
    )
    due_on = factory.LazyAttribute(
        lambda o: followup_due_date(
            o.membership.joined_on if o.membership else o.placement.start_date
        )
    )
    status = FollowUpStatus.PENDING

    class Params:
        for_membership = factory.Trait(membership=factory.SubFactory(MembershipFactory))
        scheduled = factory.Trait(
            status=FollowUpStatus.SCHEDULED,
            interviewer=factory.SubFactory(UserFactory, is_facilitator=True),
            scheduled_at=factory.LazyAttribute(lambda o: _at(o.due_on, 10)),
            mode=InterviewMode.PHONE,
        )
        completed = factory.Trait(
            status=FollowUpStatus.COMPLETED,
            interviewer=factory.SubFactory(UserFactory, is_facilitator=True),
            scheduled_at=factory.LazyAttribute(lambda o: _at(o.due_on, 10)),
            mode=InterviewMode.PHONE,
        )


class InterviewRecordFactory(DjangoModelFactory):
    """The record of a completed follow-up, with consent. `themes=[...]` codes it."""

    class Meta:
        model = InterviewRecord
        skip_postgeneration_save = True

    followup = factory.SubFactory(FollowUpFactory, completed=True)
    consent_given = True
    consent_recorded_at = factory.LazyAttribute(
        lambda o: o.followup.scheduled_at or _at(o.followup.due_on, 10)
    )
    conducted_on = factory.LazyAttribute(lambda o: o.followup.due_on)
    notes = "The team now meets every morning."
    recorded_by = factory.SelfAttribute("followup.interviewer")

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.add(*extracted)


class QuoteFactory(DjangoModelFactory):
    class Meta:
        model = Quote

    record = factory.SubFactory(InterviewRecordFactory)
    text = "We finally understand what each of us does for the patient."
    speaker_role = "Nurse preceptor"
    may_publish = False
    theme = None


class ReminderFactory(DjangoModelFactory):
    """An unsent "due soon" reminder to a facilitator, 14 days before the follow-up is due."""

    class Meta:
        model = Reminder

    followup = factory.SubFactory(FollowUpFactory)
    recipient = factory.SubFactory(UserFactory, is_facilitator=True)
    kind = ReminderKind.DUE_SOON
    send_at = factory.LazyAttribute(
        lambda o: _at(o.followup.due_on - datetime.timedelta(days=14), 8)
    )
    sent_at = None


class CalendarFeedFactory(DjangoModelFactory):
    """An active calendar feed. Its secret is `feed.token` (only the digest is stored), as
    `calendar_feed_create` hands it out; pass `token=` to choose it."""

    class Meta:
        model = CalendarFeed

    owner = factory.SubFactory(UserFactory, is_facilitator=True)
    token = factory.Sequence(lambda n: f"test-calendar-token-{n}")
    token_digest = factory.LazyAttribute(lambda o: calendar_token_digest(o.token))

    @classmethod
    def _create(cls, model_class, *args, token, **kwargs):
        feed = super()._create(model_class, *args, **kwargs)
        feed.token = token
        return feed
