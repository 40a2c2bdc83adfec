"""Follow-up interviews: the writes of the interviews app.

Reminder rows are the truth about which emails must go out. Every service that changes a
follow-up's state recomputes its unsent reminders in the same transaction
(`reminders_recompute`); the periodic sweep (`reminders_send_due`) claims due rows, sends
them and marks them sent. Tasks are only ever enqueued after commit. The follow-up counts
per site and status are kept by triggers (`FollowUpCount`); `counters_recount` and
`counters_check` recount them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from email.mime.text import MIMEText
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.identifiers import clean_header_text
from interviews import agreement_emails, evaluation_emails, ics, placement_emails, request_emails
from interviews.cache import followups_changed, records_changed
from interviews.models import (
    CalendarFeed,
    FollowUp,
    FollowUpCount,
    FollowUpStatus,
    InterviewMode,
    InterviewRecord,
    Quote,
    Reminder,
    ReminderKind,
    Theme,
)
from placements.models import AffiliationAgreement, Placement
from sites.models import Site

logger = logging.getLogger(__name__)

# Reminders go out in the morning of their day, site time (settings.TIME_ZONE).
REMINDER_HOUR = 9
DUE_SOON_DAYS = 14
# Weekly notices to the site's facilitators while a follow-up is overdue, at most three.
OVERDUE_AFTER_DAYS = {
    ReminderKind.OVERDUE_1: 1,
    ReminderKind.OVERDUE_2: 8,
    ReminderKind.OVERDUE_3: 15,
}


def _setting(name: str, default):
    # Tuning knobs with safe defaults; the real-worker tests lower them.
    return getattr(settings, name, default)


def followup_due_date(start):
    """The day a follow-up is due: FOLLOWUP_DELAY_MONTHS after joining or starting."""
    return start + relativedelta(months=settings.FOLLOWUP_DELAY_MONTHS)


def _morning(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(REMINDER_HOUR)))


def _lock(followup: FollowUp) -> FollowUp:
    """Re-read the follow-up under a row lock, so two people changing it at once are
    serialised and its reminders are recomputed from the state that wins. Only the
    follow-up's row: locking the joined site too deadlocked with session logging, which
    locks site rows for mentoring's counters (`make stress`)."""
    return (
        FollowUp.objects.select_for_update(of=("self",))
        .select_related("participant", "site")
        .get(pk=followup.pk)
    )


# --- Reminders -------------------------------------------------------------------------


def _site_facilitator_ids(site_id: int) -> list[int]:
    return list(
        Site.facilitators.through.objects.filter(site_id=site_id, user__is_active=True)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _facilitator_ids_by_site(site_ids: Iterable[int]) -> dict[int, list[int]]:
    """The facilitators of many sites in one query: {site id: their ids}."""
    by_site: dict[int, list[int]] = {site_id: [] for site_id in site_ids}
    rows = (
        Site.facilitators.through.objects.filter(site_id__in=by_site, user__is_active=True)
        .order_by("user_id")
        .values_list("site_id", "user_id")
    )
    for site_id, user_id in rows:
        by_site[site_id].append(user_id)
    return by_site


def reminders_planned(
    followup: FollowUp, *, facilitators_by_site: dict[int, list[int]] | None = None
) -> dict[tuple[int, str], datetime]:
    """The reminders a follow-up in its current state must have: {(recipient, kind): send_at}.
    `facilitators_by_site` ({site id: their ids}, read once for many follow-ups) saves
    the query of the site's facilitators."""
    site_facilitators = (
        facilitators_by_site.__getitem__
        if facilitators_by_site is not None
        else _site_facilitator_ids
    )
    planned: dict[tuple[int, str], datetime] = {}
    if followup.status == FollowUpStatus.PENDING and followup.due_on >= timezone.localdate():
        send_at = _morning(followup.due_on - timedelta(days=DUE_SOON_DAYS))
        recipients = (
            [followup.interviewer_id]
            if followup.interviewer_id
            else site_facilitators(followup.site_id)
        )
        for recipient in recipients:
            planned[(recipient, ReminderKind.DUE_SOON)] = send_at
    # A scheduled follow-up has a time and an interviewer (a check constraint).
    scheduled_at = followup.scheduled_at if followup.status == FollowUpStatus.SCHEDULED else None
    if scheduled_at is not None and scheduled_at > timezone.now():
        send_at = scheduled_at - timedelta(days=1)
        for person in (followup.participant_id, followup.interviewer_id):
            if person is not None:
                planned[(person, ReminderKind.DAY_BEFORE)] = send_at
    if followup.is_open:
        facilitators = None
        for kind, days in OVERDUE_AFTER_DAYS.items():
            send_at = _morning(followup.due_on + timedelta(days=days))
            # A scheduled follow-up is only nagged about once its interview date has passed
            # without a record.
            if scheduled_at is not None and send_at <= scheduled_at + timedelta(days=1):
                continue
            if facilitators is None:
                facilitators = site_facilitators(followup.site_id)
            for recipient in facilitators:
                planned[(recipient, kind)] = send_at
    return planned


def reminders_recompute(*, followup: FollowUp) -> None:
    """Make the follow-up's unsent reminders match its state: delete the ones no longer
    wanted, move the ones whose time changed, add the missing ones. Sent reminders are
    history and never touched (the unique constraint keeps a sent one from recurring)."""
    planned = reminders_planned(followup)
    with transaction.atomic():
        for reminder in followup.reminders.unsent().select_for_update():
            key = (reminder.recipient_id, reminder.kind)
            if key not in planned:
                reminder.delete()
            elif reminder.send_at != planned[key]:
                reminder.send_at = planned[key]
                reminder.attempts = 0
                reminder.last_error = ""
                reminder.save(update_fields=["send_at", "attempts", "last_error"])
        Reminder.objects.bulk_create(
            [
                Reminder(followup=followup, recipient_id=recipient, kind=kind, send_at=send_at)
                for (recipient, kind), send_at in planned.items()
            ],
            ignore_conflicts=True,  # rows that exist (sent or already matching) stay as they are
        )


def _reminders_discard_pending(followup: FollowUp) -> None:
    followup.reminders.unsent().delete()


def _claim_due(now: datetime, batch_size: int) -> list[Reminder]:
    """Up to `batch_size` due unsent reminders, oldest first, locked until the caller's
    transaction ends, with what their emails show. Rows another sweep holds are skipped
    (SKIP LOCKED), so two sweeps never claim the same reminder."""
    return list(
        Reminder.objects.due(now)
        .select_related("recipient", "followup__participant", "followup__site")
        .only(*_REMINDER_EMAIL_FIELDS)
        .select_for_update(skip_locked=True, of=("self",))
        .order_by("send_at", "id")[:batch_size]
    )


# What a reminder's email shows (templates/interviews/email/reminder.txt), and no more:
# the sweep turns thousands of rows into model instances.
_REMINDER_EMAIL_FIELDS = (
    "kind",
    "send_at",
    "attempts",
    "recipient__full_name",
    "recipient__email",
    "followup__due_on",
    "followup__scheduled_at",
    "followup__mode",
    "followup__location",
    "followup__participant__full_name",
    "followup__participant__email",
    "followup__site__name",
    # A placement's email reads its placement apart (placement_emails.placements_for_emails),
    # an agreement's its agreement (agreement_emails.agreements_for_emails), an
    # evaluation's its evaluation (evaluation_emails.settle).
    "placement",
    "agreement",
    # A request's email reads its step apart (request_emails.request_message).
    "request_change",
    "evaluation",
)


def reminder_backoff(attempts: int) -> timedelta:
    """Exponential backoff after a failed send: 2, 4, 8 … minutes, at most 12 hours."""
    return min(timedelta(minutes=2**attempts), timedelta(hours=12))


def reminders_send_due(*, now: datetime | None = None, max_batches: int = 50) -> int:
    """The sweep: in batches, claim due unsent reminders, send the batch's emails over one
    mail connection and mark them sent with one UPDATE, all in one transaction that holds
    the claimed rows' locks. A second sweep (another beat, a redelivered task) skips those
    rows; a sweep that dies before its commit releases them unmarked, so they go out on
    the next sweep: never lost, and sent twice only if the process died after its mail
    server took the batch and before the commit (each email's Message-ID, derived from its
    reminder, makes a copy recognisable). A batch the mail server refused is retried later
    with backoff. Returns the number sent."""
    batch_size = _setting("REMINDER_BATCH_SIZE", 100)
    sent = 0
    for _ in range(max_batches):
        with transaction.atomic():
            reminders = _claim_due(now or timezone.now(), batch_size)
            if not reminders:
                break
            sent += _send_batch(reminders)
        if now is not None and len(reminders) < batch_size:
            break
    return sent


def _settle_placement_reminders(
    reminders: list[Reminder],
) -> tuple[list[Reminder], dict[int, Placement]]:
    """The placements the batch's placement emails show (three queries), and the batch
    without the emails that have nothing left to say (deleted) or whose placement's
    start moved later (their time moved with it)."""
    ids = [r.placement_id for r in reminders if r.placement_id and not r.is_about_evaluation]
    if not ids:
        return reminders, {}
    placements = placement_emails.placements_for_emails(ids)
    keep, obsolete = [], []
    for reminder in reminders:
        if reminder.placement_id is None or reminder.is_about_evaluation:
            keep.append(reminder)
            continue
        placement = placements.get(reminder.placement_id)
        if placement_emails.is_obsolete(reminder, placement):
            obsolete.append(reminder.pk)
        elif placement is not None and (later := placement_emails.moved_start(reminder, placement)):
            Reminder.objects.filter(pk=reminder.pk).update(send_at=later)
        else:
            keep.append(reminder)
    Reminder.objects.filter(pk__in=obsolete).delete()
    return keep, placements


def _settle_agreement_reminders(
    reminders: list[Reminder],
) -> tuple[list[Reminder], dict[int, AffiliationAgreement]]:
    """The agreements the batch's expiry notices show (one query), and the batch without
    the notices that have nothing left to say (deleted)."""
    ids = [r.agreement_id for r in reminders if r.agreement_id is not None]
    if not ids:
        return reminders, {}
    agreements = agreement_emails.agreements_for_emails(ids)
    today = timezone.localdate()
    keep, obsolete = [], []
    for reminder in reminders:
        if reminder.agreement_id is not None and agreement_emails.is_obsolete(
            agreements.get(reminder.agreement_id), today
        ):
            obsolete.append(reminder.pk)
        else:
            keep.append(reminder)
    Reminder.objects.filter(pk__in=obsolete).delete()
    return keep, agreements


def _send_batch(reminders: list[Reminder]) -> int:
    reminders, about_evaluations = evaluation_emails.settle(reminders)
    reminders, placements = _settle_placement_reminders(reminders)
    reminders, agreements = _settle_agreement_reminders(reminders)
    if not reminders:
        return 0
    messages = [
        reminder_message(
            reminder=r,
            placements=placements,
            agreements=agreements,
            about_evaluations=about_evaluations,
        )
        for r in reminders
    ]
    mail = get_connection()
    try:
        mail.open()
    except Exception as error:
        for reminder in reminders:
            _reminder_failed(reminder, error)
        return 0
    try:
        # One call, so one mail session, for the whole batch.
        mail.send_messages(messages)
        sent = [reminder.pk for reminder in reminders]
    except Exception:
        # Which of them went before the failure is unknown: each is sent again on its own,
        # so that only the failing ones wait (a copy is recognisable by its Message-ID).
        mail.close()
        sent = []
        for reminder, message in zip(reminders, messages, strict=True):
            try:
                get_connection().send_messages([message])
            except Exception as error:
                _reminder_failed(reminder, error)
            else:
                sent.append(reminder.pk)
    finally:
        with contextlib.suppress(Exception):
            mail.close()
    Reminder.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    return len(sent)


def _reminder_failed(reminder: Reminder, error: Exception) -> None:
    attempts = reminder.attempts + 1
    logger.warning("Reminder %s failed (attempt %s): %s", reminder.pk, attempts, error)
    Reminder.objects.filter(pk=reminder.pk).update(
        attempts=attempts,
        last_error=f"{type(error).__name__}: {error}"[:2000],
        send_at=timezone.now() + reminder_backoff(attempts),
    )


REMINDER_SUBJECTS: dict[str, str] = {
    ReminderKind.DUE_SOON: "Follow-up interview due in two weeks: {participant}",
    ReminderKind.DAY_BEFORE: "Follow-up interview tomorrow: {participant}",
    ReminderKind.OVERDUE_1: "Overdue follow-up interview: {participant}",
    ReminderKind.OVERDUE_2: "Still overdue (2nd notice): {participant}",
    ReminderKind.OVERDUE_3: "Still overdue (last notice): {participant}",
}


def _absolute(path: str) -> str:
    return _setting("SITE_URL", "").rstrip("/") + path


def reminder_message(
    *,
    reminder: Reminder,
    placements: dict[int, Placement] | None = None,
    agreements: dict[int, AffiliationAgreement] | None = None,
    about_evaluations: evaluation_emails.Loaded | None = None,
) -> EmailMessage:
    """One reminder's email. Its Message-ID is derived from the reminder's id, so a second
    copy (after a crash between sending and marking) is recognisable. A placement's email
    shows its placement from `placements` (read for the batch) or read here; an
    agreement's notice its agreement from `agreements`, or read here; an evaluation's,
    what `about_evaluations` holds (evaluation_emails.settle) or read here."""
    if reminder.request_change_id is not None:
        return request_emails.request_message(reminder=reminder)
    if reminder.agreement_id is not None:
        if agreements is None or reminder.agreement_id not in agreements:
            agreements = agreement_emails.agreements_for_emails([reminder.agreement_id])
        return agreement_emails.agreement_message(
            reminder=reminder, agreement=agreements[reminder.agreement_id]
        )
    if reminder.is_about_evaluation:
        return evaluation_emails.message(reminder=reminder, loaded=about_evaluations)
    if reminder.placement_id is not None:
        if placements is None or reminder.placement_id not in placements:
            placements = placement_emails.placements_for_emails([reminder.placement_id])
        return placement_emails.placement_message(
            reminder=reminder, placement=placements[reminder.placement_id]
        )
    followup = reminder.followup
    assert followup is not None  # a reminder is about a follow-up or about a placement
    if reminder.recipient_id == followup.participant_id:
        # The participant never gets the facilitators' link, only the time and place.
        link = ""
    else:
        link = _absolute(reverse("interviews:followup_detail", args=[followup.pk]))
    context = {
        "reminder": reminder,
        "followup": followup,
        "recipient": reminder.recipient,
        "link": link,
    }
    return EmailMessage(
        # A stored name must never break the header (BadHeaderError on every retry).
        subject=clean_header_text(
            REMINDER_SUBJECTS[reminder.kind].format(participant=followup.participant)
        ),
        body=render_to_string("interviews/email/reminder.txt", context),
        to=[reminder.recipient.email],
        headers={"Message-ID": reminder.message_id},
    )


# --- Enqueueing after commit -----------------------------------------------------------


def _enqueue(task, kwargs: dict, fallback) -> None:
    try:
        # retry=False: with the broker down, fail at once instead of stalling the request.
        task.apply_async(kwargs=kwargs, retry=False)
    except Exception:
        logger.exception("Could not enqueue %s%s; doing it in this process", task.name, kwargs)
        try:
            fallback(**kwargs)
        except Exception:
            logger.exception("Fallback for %s failed", task.name)


def _enqueue_on_commit(task_name: str, **kwargs) -> None:
    """Enqueue a task once the surrounding transaction commits (never if it rolls back).
    Like `delay_on_commit`, plus: a broker failure is logged and the work is done in this
    process, so an invitation is not lost while Redis is away."""
    from interviews import tasks  # tasks import this module

    task = getattr(tasks, task_name)
    transaction.on_commit(partial(_enqueue, task, kwargs, task.run))


# --- Follow-ups ------------------------------------------------------------------------


@transaction.atomic
def followup_for_membership(*, membership) -> FollowUp:
    """Create (once) the follow-up a CoP member is due after joining, with its reminders."""
    followup, created = FollowUp.objects.get_or_create(
        membership=membership,
        defaults={
            "participant_id": membership.person_id,
            "site_id": membership.community.site_id,
            "due_on": followup_due_date(membership.joined_on),
        },
    )
    if created:
        reminders_recompute(followup=followup)
        followups_changed()
    return followup


@transaction.atomic
def followup_for_placement(*, placement) -> FollowUp:
    """Create (once) the follow-up a placed student is due after starting, with its
    reminders. Ending the placement early keeps it."""
    followup, created = FollowUp.objects.get_or_create(
        placement=placement,
        defaults={
            "participant_id": placement.student.user_id,
            "site_id": placement.site_id,
            "due_on": followup_due_date(placement.start_date),
        },
    )
    if created:
        reminders_recompute(followup=followup)
        followups_changed()
    return followup


@transaction.atomic
def followups_for_placements(*, placements: Sequence) -> list[FollowUp]:
    """`followup_for_placement` for many placements at once (the import): the new
    follow-ups in one statement, their reminders in another."""
    have = set(
        FollowUp.objects.filter(placement__in=[p.pk for p in placements]).values_list(
            "placement_id", flat=True
        )
    )
    wanted = {p.pk: p for p in placements if p.pk not in have}
    followups = FollowUp.objects.bulk_create(
        [
            FollowUp(
                placement=placement,
                participant_id=placement.student.user_id,
                site_id=placement.site_id,
                due_on=followup_due_date(placement.start_date),
            )
            for placement in wanted.values()
        ],
        batch_size=1000,
    )
    if followups:
        by_site = _facilitator_ids_by_site({f.site_id for f in followups})
        Reminder.objects.bulk_create(
            [
                Reminder(followup=followup, recipient_id=recipient, kind=kind, send_at=send_at)
                for followup in followups
                for (recipient, kind), send_at in reminders_planned(
                    followup, facilitators_by_site=by_site
                ).items()
            ],
            batch_size=1000,
        )
        followups_changed()
    return followups


def _send_invitations(followup: FollowUp, method: str, recipient_ids: list[int | None]) -> None:
    _enqueue_on_commit(
        "send_followup_invitation",
        followup_id=followup.pk,
        method=method,
        recipient_ids=[r for r in recipient_ids if r],
    )


@transaction.atomic
def followup_schedule(
    *,
    followup: FollowUp,
    interviewer,
    scheduled_at: datetime,
    mode: str,
    location: str = "",
) -> FollowUp:
    """Schedule (or reschedule) the interview. The participant and the interviewer get a
    calendar invitation; a reschedule updates the same event with a higher SEQUENCE, and a
    replaced interviewer gets a cancellation."""
    followup = _lock(followup)
    if not followup.is_open:
        raise ValidationError(
            f"This follow-up is {followup.get_status_display().lower()}; it cannot be scheduled."
        )
    errors = {}
    if interviewer is None or not interviewer.is_active:
        errors["interviewer"] = "Choose an active person to conduct the interview."
    elif interviewer.pk == followup.participant_id:
        errors["interviewer"] = "The participant cannot interview themselves."
    if scheduled_at is None or scheduled_at <= timezone.now():
        errors["scheduled_at"] = "Choose a date and time in the future."
    if mode not in InterviewMode.values:
        errors["mode"] = "Choose in person, phone or video."
    elif mode != InterviewMode.PHONE and not location.strip():
        errors["location"] = "Give the place (in person) or the link (video)."
    if errors:
        raise ValidationError(errors)

    was_scheduled = followup.status == FollowUpStatus.SCHEDULED
    previous_interviewer_id = followup.interviewer_id
    if was_scheduled:
        followup.calendar_sequence += 1
    followup.interviewer = interviewer
    followup.scheduled_at = scheduled_at
    followup.mode = mode
    followup.location = location.strip()
    followup.status = FollowUpStatus.SCHEDULED
    followup.full_clean()
    followup.save()
    followups_changed()
    reminders_recompute(followup=followup)

    _send_invitations(followup, ics.REQUEST, [followup.participant_id, interviewer.pk])
    if was_scheduled and previous_interviewer_id and previous_interviewer_id != interviewer.pk:
        _send_invitations(followup, ics.CANCEL, [previous_interviewer_id])
    return followup


def _close(followup: FollowUp, status: str) -> FollowUp:
    followup = _lock(followup)
    if not followup.is_open:
        raise ValidationError(f"This follow-up is already {followup.get_status_display().lower()}.")
    was_scheduled = followup.status == FollowUpStatus.SCHEDULED
    if was_scheduled and status != FollowUpStatus.COMPLETED:
        followup.calendar_sequence += 1
    followup.status = status
    followup.save(update_fields=["status", "calendar_sequence", "updated_at"])
    followups_changed()
    _reminders_discard_pending(followup)
    if was_scheduled and status != FollowUpStatus.COMPLETED:
        _send_invitations(followup, ics.CANCEL, [followup.participant_id, followup.interviewer_id])
    return followup


@transaction.atomic
def followup_cancel(*, followup: FollowUp) -> FollowUp:
    """Cancel the follow-up: pending reminders go, a scheduled interview is cancelled in
    the participant's and interviewer's calendars."""
    return _close(followup, FollowUpStatus.CANCELLED)


@transaction.atomic
def followup_decline(*, followup: FollowUp) -> FollowUp:
    """The participant declined the interview: like cancelling, recorded as declined."""
    return _close(followup, FollowUpStatus.DECLINED)


@transaction.atomic
def followup_mark_missed(*, followup: FollowUp) -> FollowUp:
    """The interview could not take place and will not be rescheduled."""
    return _close(followup, FollowUpStatus.MISSED)


# --- Interview records -----------------------------------------------------------------


@transaction.atomic
def interview_consent_record(*, followup: FollowUp, consent_given: bool, by) -> InterviewRecord:
    """Record whether the participant consents to the interview being recorded. Refusal
    declines the follow-up; consent unlocks recording the interview."""
    followup = _lock(followup)
    record, _ = InterviewRecord.objects.get_or_create(followup=followup)
    if record.consent_given and not consent_given and record.conducted_on:
        raise ValidationError(
            "This interview is already recorded; consent cannot be withdrawn here."
        )
    record.consent_given = consent_given
    record.consent_recorded_at = timezone.now()
    record.recorded_by = by
    record.full_clean()
    record.save()
    if not consent_given and followup.is_open:
        _close(followup, FollowUpStatus.DECLINED)
    records_changed()
    return record


@transaction.atomic
def interview_record_save(
    *, followup: FollowUp, conducted_on: date, notes: str, themes, by
) -> InterviewRecord:
    """Record the interview's notes and themes; the follow-up becomes completed.
    Consent must have been recorded first."""
    followup = _lock(followup)
    record = InterviewRecord.objects.filter(followup=followup).first()
    if record is None or not record.consent_given:
        raise ValidationError("Record the participant's consent before recording the interview.")
    if followup.status in (FollowUpStatus.CANCELLED, FollowUpStatus.DECLINED):
        raise ValidationError(f"This follow-up is {followup.get_status_display().lower()}.")
    errors = {}
    if conducted_on is None or conducted_on > timezone.localdate():
        errors["conducted_on"] = "The interview date cannot be in the future."
    themes = list(themes)
    if any(theme.merged_into_id or not theme.is_active for theme in themes):
        errors["themes"] = "Use themes of the current codebook (one was merged or retired)."
    if errors:
        raise ValidationError(errors)
    record.conducted_on = conducted_on
    record.notes = notes
    record.recorded_by = by
    record.full_clean()
    record.save()
    record.themes.set(themes)
    if followup.is_open:
        _close(followup, FollowUpStatus.COMPLETED)
    records_changed()
    return record


@transaction.atomic
def quote_add(
    *, record: InterviewRecord, text: str, speaker_role: str, may_publish: bool, theme=None
) -> Quote:
    """Add a quote from the interview, with the speaker's role and publication consent."""
    if not record.consent_given:
        raise ValidationError("Quotes need the participant's consent.")
    if theme is not None and theme.merged_into_id:
        raise ValidationError({"theme": "That theme was merged; choose the one it became."})
    quote = Quote(
        record=record,
        text=text.strip(),
        speaker_role=speaker_role.strip(),
        may_publish=may_publish,
        theme=theme,
    )
    quote.full_clean()
    quote.save()
    records_changed()
    return quote


@transaction.atomic
def quote_delete(*, quote: Quote) -> None:
    """Remove a quote from a record."""
    quote.delete()
    records_changed()


# --- The codebook ----------------------------------------------------------------------


def _unique_theme_name(name: str, exclude_pk: int | None = None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the theme a name."})
    clash = Theme.objects.filter(name__iexact=name).exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"The codebook already has a theme called “{name}”."})
    return name


@transaction.atomic
def theme_add(*, name: str, description: str = "") -> Theme:
    """Add a theme to the codebook."""
    order = (Theme.objects.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    theme = Theme(name=_unique_theme_name(name), description=description.strip(), order=order)
    theme.full_clean()
    theme.save()
    return theme


@transaction.atomic
def theme_rename(*, theme: Theme, name: str, description: str | None = None) -> Theme:
    """Rename a theme; its coding follows it (records point at the theme, not the name)."""
    theme = Theme.objects.select_for_update().get(pk=theme.pk)
    theme.name = _unique_theme_name(name, exclude_pk=theme.pk)
    if description is not None:
        theme.description = description.strip()
    theme.full_clean()
    theme.save()
    records_changed()
    return theme


@transaction.atomic
def theme_merge(*, source: Theme, target: Theme) -> Theme:
    """Merge `source` into `target`: every record and quote coded with `source` is coded
    with `target` instead, and `source` stays in the codebook as merged (nothing lost)."""
    locked = {
        t.pk: t for t in Theme.objects.select_for_update().filter(pk__in=[source.pk, target.pk])
    }
    source, target = locked[source.pk], locked[target.pk]
    if source.pk == target.pk:
        raise ValidationError({"target": "Choose another theme to merge into."})
    if source.merged_into_id:
        raise ValidationError("This theme was already merged.")
    if target.merged_into_id or not target.is_active:
        raise ValidationError({"target": "Merge into a theme of the current codebook."})
    coding = InterviewRecord.themes.through.objects
    already = coding.filter(theme=target).values("interviewrecord")
    coding.filter(theme=source).exclude(interviewrecord__in=already).update(theme=target)
    coding.filter(theme=source).delete()
    Quote.objects.filter(theme=source).update(theme=target)
    # Keep merge chains one step long: what was merged into source now points at target.
    Theme.objects.filter(merged_into=source).update(merged_into=target)
    source.merged_into = target
    source.is_active = False
    source.full_clean()
    source.save()
    records_changed()
    return target


# --- Private calendar feeds ------------------------------------------------------------


def calendar_token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, owner) -> tuple[CalendarFeed, str]:
    """A new private feed URL for the interviews `owner` conducts; any previous one stops
    working. Returns the feed and its secret token (shown once; only a digest is kept)."""
    calendar_feed_revoke(owner=owner)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed.objects.create(owner=owner, token_digest=calendar_token_digest(token))
    return feed, token


@transaction.atomic
def calendar_feed_revoke(*, owner) -> int:
    """Stop the person's feed URL from answering."""
    return CalendarFeed.objects.active().filter(owner=owner).update(revoked_at=timezone.now())


# --- Invitations (run by the task) -----------------------------------------------------


def followup_send_invitation(*, followup_id: int, method: str, recipient_ids: list[int]) -> int:
    """Email the calendar invitation (or cancellation) of a follow-up interview."""
    followup = (
        FollowUp.objects.select_related("participant", "interviewer", "site")
        .filter(pk=followup_id)
        .first()
    )
    if followup is None or followup.scheduled_at is None:
        return 0
    from accounts.models import User

    recipients = list(User.objects.filter(pk__in=recipient_ids, is_active=True))
    if not recipients:
        return 0
    payload = ics.invitation_ics(followup, method=method)
    cancelled = method == ics.CANCEL
    subject = (
        f"{'Cancelled' if cancelled else 'Invitation'}: follow-up interview with "
        f"{followup.participant} on {timezone.localtime(followup.scheduled_at):%Y-%m-%d %H:%M}"
    )
    body = render_to_string(
        "interviews/email/invitation.txt", {"followup": followup, "cancelled": cancelled}
    )
    part = MIMEText(payload.decode(), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="interview.ics")
    message = EmailMessage(
        subject=clean_header_text(subject), body=body, to=[user.email for user in recipients]
    )
    message.attach(part)
    message.send()
    return len(recipients)


# --- Data retention ------------------------------------------------------------------


def interview_notes_cutoff(*, today: date | None = None) -> date:
    today = today or timezone.localdate()
    return today - timedelta(days=settings.INTERVIEW_NOTES_RETENTION_DAYS)


def interview_notes_purge(*, today: date | None = None) -> int:
    """Blank the notes of interviews held more than INTERVIEW_NOTES_RETENTION_DAYS ago
    (or recorded that long ago when the date is unknown). Consent, the coded themes and
    the quotes stay, so the outcomes report is unchanged. Returns how many were blanked."""
    cutoff = interview_notes_cutoff(today=today)
    cutoff_start = timezone.make_aware(
        datetime.combine(cutoff, time.min), timezone.get_current_timezone()
    )
    old = Q(conducted_on__lt=cutoff) | Q(conducted_on__isnull=True, created_at__lt=cutoff_start)
    return InterviewRecord.objects.filter(old).exclude(notes="").update(notes="")


# --- Kept counters -----------------------------------------------------------------


def _counted_per_site_and_status() -> Counter:
    rows = FollowUp.objects.order_by().values_list("site", "status").annotate(n=Count("*"))
    return Counter({(site, status): n for site, status, n in rows})


@transaction.atomic
def counters_recount() -> None:
    """Recount the follow-ups per site and status (`FollowUpCount`) from the follow-ups,
    for a bulk load that bypassed the triggers or to repair a check's findings. Safe while
    follow-ups are written: the counts' rows are locked first, in key order, so a writer's
    trigger waits and adds its change to the recounted value after this commits."""
    counted = _counted_per_site_and_status()
    FollowUpCount.objects.bulk_create(
        [FollowUpCount(site_id=site, status=status, total=0) for site, status in counted],
        ignore_conflicts=True,
    )
    list(FollowUpCount.objects.select_for_update().order_by("site", "status").values("pk"))
    per_key = (
        FollowUp.objects.filter(site=OuterRef("site"), status=OuterRef("status"))
        .order_by()
        .values("site")
        .annotate(n=Count("*"))
        .values("n")
    )
    FollowUpCount.objects.update(total=Coalesce(Subquery(per_key), 0))


def counters_check() -> list[str]:
    """What the kept follow-up counts get wrong, one line per (site, status); empty when
    they agree with a recount."""
    kept = Counter(
        {
            (site, status): total
            for site, status, total in FollowUpCount.objects.values_list("site", "status", "total")
            if total
        }
    )
    counted = _counted_per_site_and_status()
    return [
        f"follow-ups at site {site} {status}: kept {kept[site, status]}, counted "
        f"{counted[site, status]}"
        for site, status in sorted(kept.keys() | counted.keys())
        if kept[site, status] != counted[site, status]
    ]
