"""The interviews app's part in what lower apps announce: a new CoP member and a student
starting a placement are each due a follow-up; a placement confirmed, cancelled or given
another mentoring team is emailed to those concerned (rows of the reminders' outbox,
written in the change's transaction); an erased person's interview words go; a change of
a site's facilitators changes whose follow-up counts are whose; a placement's evaluations
due, submitted or with a new preceptor are emailed."""

from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.utils import timezone

from accounts.signals import person_erased
from interviews import evaluation_emails, placement_emails, request_emails
from interviews.cache import followups_changed, records_changed
from interviews.models import CalendarFeed, InterviewRecord, Quote, Reminder
from interviews.services import (
    followup_for_membership,
    followup_for_placement,
    followups_for_placements,
)
from mentoring.signals import evaluation_submitted, evaluations_due_changed, team_changed
from placements.signals import (
    placement_activated,
    placement_cancelled,
    placement_confirmed,
    placement_dates_changed,
    placement_requests_changed,
    placements_activated,
)
from sites.models import Site
from sites.signals import membership_started


@receiver(membership_started, dispatch_uid="interviews.followup_for_membership")
def schedule_membership_followup(sender, *, membership, **kwargs) -> None:
    followup_for_membership(membership=membership)


@receiver(placement_activated, dispatch_uid="interviews.followup_for_placement")
def schedule_placement_followup(sender, *, placement, **kwargs) -> None:
    followup_for_placement(placement=placement)


@receiver(placements_activated, dispatch_uid="interviews.followups_for_placements")
def schedule_placement_followups(sender, *, placements, **kwargs) -> None:
    followups_for_placements(placements=placements)


@receiver(person_erased, dispatch_uid="interviews.erase_person")
def erase_person(sender, *, person, **kwargs) -> None:
    """Their interview's notes and quotes; nothing more is sent to them, and their
    calendar feeds stop."""
    records = InterviewRecord.objects.filter(followup__participant=person)
    Quote.objects.filter(record__in=records).delete()
    records_changed()
    records.exclude(notes="").update(notes="")
    Reminder.objects.filter(recipient=person, sent_at__isnull=True).delete()
    CalendarFeed.objects.filter(owner=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


@receiver(m2m_changed, sender=Site.facilitators.through, dispatch_uid="interviews.facilitators")
def facilitators_changed(sender, *, action, **kwargs) -> None:
    if action.startswith("post_"):
        followups_changed()


@receiver(placement_confirmed, dispatch_uid="interviews.placement_confirmed_emails")
def placement_confirmed_emails(sender, *, placement, **kwargs) -> None:
    placement_emails.placement_emails_confirmed(placement=placement)


@receiver(placement_cancelled, dispatch_uid="interviews.placement_cancelled_emails")
def placement_cancelled_emails(sender, *, placement, **kwargs) -> None:
    # The reason is the cancellation's note, read when the email goes out.
    placement_emails.placement_emails_cancelled(placement=placement)


@receiver(placement_dates_changed, dispatch_uid="interviews.placement_dates_changed_emails")
def placement_dates_changed_emails(sender, *, placement, **kwargs) -> None:
    placement_emails.placement_emails_dates_changed(placement=placement)


@receiver(team_changed, dispatch_uid="interviews.team_changed_emails")
def team_changed_emails(sender, *, placement, removed_mentor_ids=(), **kwargs) -> None:
    placement_emails.placement_emails_team_changed(
        placement=placement, removed_mentor_ids=removed_mentor_ids
    )
    # A new primary preceptor gets the notices of the evaluations still due.
    evaluation_emails.evaluation_reminders_plan(placements=[placement])


@receiver(placement_requests_changed, dispatch_uid="interviews.placement_request_emails")
def placement_request_emails(sender, *, changes, **kwargs) -> None:
    request_emails.request_emails_queue(changes=changes)


@receiver(evaluations_due_changed, dispatch_uid="interviews.evaluation_reminders")
def evaluation_reminders(sender, *, placements, **kwargs) -> None:
    evaluation_emails.evaluation_reminders_plan(placements=placements)


@receiver(evaluation_submitted, dispatch_uid="interviews.evaluation_submitted_email")
def evaluation_submitted_email(sender, *, evaluation, **kwargs) -> None:
    evaluation_emails.evaluation_submitted_email(evaluation=evaluation)
