"""A placement's emails to its student, its mentors and its site contact: confirmed (with
an .ics of its dates), cancelled (with the reason), its mentoring team changed, and the
student's reminder a week before the start.

They go through the reminders' outbox (interviews.models.Reminder): the receivers of the
placements and mentoring signals (interviews.receivers) write the rows in the transaction
that changes the placement, and the sweep (services.reminders_send_due) sends them, once,
retrying with backoff. An email is rendered when it goes out, from the placement as it is
then; the rows only say who gets which email when.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from email.mime.text import MIMEText

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.identifiers import clean_header_text
from interviews import ics
from interviews.models import Reminder, ReminderKind
from mentoring.models import MentorAssignment
from placements.models import Placement, PlacementStatus, PlacementStatusChange

# The student's reminder goes out this many days before the start, in the morning.
STARTS_SOON_DAYS = 7
REMINDER_HOUR = 9

# What a placement that holds its place is: the only ones whose team or start is news.
_UNDER_WAY = (PlacementStatus.CONFIRMED, PlacementStatus.ACTIVE)

# The emails that carry the placement's dates as a calendar file, and how.
_CALENDAR_METHODS: dict[str, str] = {
    ReminderKind.PLACEMENT_CONFIRMED: ics.REQUEST,
    ReminderKind.PLACEMENT_CANCELLED: ics.CANCEL,
}

SUBJECTS: dict[str, str] = {
    ReminderKind.PLACEMENT_CONFIRMED: "Placement confirmed: {student} at {site}, from {start}",
    ReminderKind.PLACEMENT_CANCELLED: "Placement cancelled: {student} at {site}, from {start}",
    ReminderKind.PLACEMENT_TEAM: "New mentoring team: {student} at {site}, from {start}",
    ReminderKind.PLACEMENT_STARTS_SOON: "Your placement at {site} starts on {start}",
}


def _morning(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(REMINDER_HOUR)))


def starts_soon_at(placement: Placement) -> datetime.datetime:
    return _morning(placement.start_date - datetime.timedelta(days=STARTS_SOON_DAYS))


def recipient_ids(placement: Placement, *, also: Iterable[int] = ()) -> list[int]:
    """The active accounts of the placement's student, mentors and site contact (and of
    `also`), each once, in one query."""
    wanted = {placement.student.user_id, *also}
    if placement.contact_id:
        wanted.add(placement.contact_id)
    mentors = MentorAssignment.objects.filter(placement=placement).values("mentor_id")
    return list(
        get_user_model()
        .objects.filter(Q(pk__in=wanted) | Q(pk__in=mentors), is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _queue(placement: Placement, kind: str, recipients: Iterable[int], send_at) -> None:
    # A row that exists already (the same email, or a team email still waiting) stays:
    # the constraints make each email once.
    Reminder.objects.bulk_create(
        [
            Reminder(placement=placement, recipient_id=pk, kind=kind, send_at=send_at)
            for pk in recipients
        ],
        ignore_conflicts=True,
    )


def placement_emails_confirmed(*, placement: Placement) -> None:
    """Queue the confirmation to everyone concerned, and the student's reminder a week
    before the start unless that day has passed."""
    now = timezone.now()
    _queue(placement, ReminderKind.PLACEMENT_CONFIRMED, recipient_ids(placement), now)
    if starts_soon_at(placement) > now:
        _queue(
            placement,
            ReminderKind.PLACEMENT_STARTS_SOON,
            [placement.student.user_id],
            starts_soon_at(placement),
        )


def placement_emails_cancelled(*, placement: Placement) -> None:
    """Queue the cancellation to everyone concerned; the emails still waiting about a
    start or a team that will not be are dropped."""
    placement.reminders.unsent().filter(
        kind__in=[ReminderKind.PLACEMENT_STARTS_SOON, ReminderKind.PLACEMENT_TEAM]
    ).delete()
    _queue(placement, ReminderKind.PLACEMENT_CANCELLED, recipient_ids(placement), timezone.now())


def placement_emails_team_changed(*, placement: Placement, removed_mentor_ids=()) -> None:
    """Queue the new team to everyone concerned (and to the mentors taken off it), for a
    confirmed or active placement: a requested one's team is news when it is confirmed.
    Whoever still waits for the confirmation reads the new team in it."""
    if placement.status not in _UNDER_WAY:
        return
    waiting = placement.reminders.unsent().filter(kind=ReminderKind.PLACEMENT_CONFIRMED)
    told = set(waiting.values_list("recipient_id", flat=True))
    recipients = [pk for pk in recipient_ids(placement, also=removed_mentor_ids) if pk not in told]
    _queue(placement, ReminderKind.PLACEMENT_TEAM, recipients, timezone.now())


def placement_emails_dates_changed(*, placement: Placement) -> None:
    """Move the student's waiting week-before reminder with the placement's start; drop
    it when that day has passed (the start is less than a week away)."""
    waiting = placement.reminders.unsent().filter(kind=ReminderKind.PLACEMENT_STARTS_SOON)
    at = starts_soon_at(placement)
    if at <= timezone.now():
        waiting.delete()
    else:
        waiting.update(send_at=at, attempts=0, last_error="")


# --- Sending (the sweep) ---------------------------------------------------------------


def placements_for_emails(ids: Iterable[int]) -> dict[int, Placement]:
    """The placements the emails show, with their site, unit, contact, student, team and
    the reason of their cancellation, in three queries."""
    placements = (
        Placement.objects.filter(pk__in=set(ids))
        .select_related("student__user", "student__program__profession", "site", "unit", "contact")
        .prefetch_related(
            Prefetch(
                "mentors",
                queryset=MentorAssignment.objects.select_related("mentor", "profession").order_by(
                    "role", "mentor__full_name", "pk"
                ),
            ),
            Prefetch(
                "status_changes",
                queryset=PlacementStatusChange.objects.filter(
                    to_status=PlacementStatus.CANCELLED
                ).order_by("-changed_at", "-id"),
                to_attr="cancellations",
            ),
        )
    )
    return {placement.pk: placement for placement in placements}


def is_obsolete(reminder: Reminder, placement: Placement | None) -> bool:
    """Whether the email no longer has anything to say: the student's reminder of a
    placement that was cancelled or has started, or a placement that is gone."""
    if placement is None:
        return True
    if reminder.kind == ReminderKind.PLACEMENT_STARTS_SOON:
        return placement.status not in _UNDER_WAY or placement.start_date < timezone.localdate()
    return False


def moved_start(reminder: Reminder, placement: Placement) -> datetime.datetime | None:
    """The new time of the student's reminder when the placement's start moved later
    without the services (placement_emails_dates_changed), as an admin's edit does;
    None when it is due as planned."""
    if reminder.kind != ReminderKind.PLACEMENT_STARTS_SOON:
        return None
    planned = starts_soon_at(placement)
    return planned if planned > reminder.send_at + datetime.timedelta(hours=12) else None


def _absolute(path: str) -> str:
    from django.conf import settings

    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def placement_message(*, reminder: Reminder, placement: Placement) -> EmailMessage:
    """One placement email, rendered from the placement as it is now."""
    recipient = reminder.recipient
    team = list(placement.mentors.all())
    cancellations = getattr(placement, "cancellations", None)
    if cancellations is None:
        cancellations = list(
            placement.status_changes.filter(to_status=PlacementStatus.CANCELLED).order_by(
                "-changed_at", "-id"
            )
        )
    # The student and the mentors can open the placement's page; the contact may not.
    may_open = recipient.pk == placement.student.user_id or any(
        a.mentor_id == recipient.pk for a in team
    )
    context = {
        "kind": reminder.kind,
        "recipient": recipient,
        "placement": placement,
        "student": placement.student.user,
        "team": team,
        "on_team": any(a.mentor_id == recipient.pk for a in team),
        "is_student": recipient.pk == placement.student.user_id,
        "reason": cancellations[0].note if cancellations else "",
        "link": _absolute(reverse("placements:detail", args=[placement.pk])) if may_open else "",
    }
    subject = SUBJECTS[reminder.kind].format(
        student=placement.student.user,
        site=placement.site.name,
        start=f"{placement.start_date:%-d %b %Y}",
    )
    message = EmailMessage(
        subject=clean_header_text(subject),
        body=render_to_string("interviews/email/placement.txt", context),
        to=[recipient.email],
        headers={"Message-ID": reminder.message_id},
    )
    method = _CALENDAR_METHODS.get(reminder.kind)
    if method:
        part = MIMEText(ics.placement_ics(placement, method=method).decode(), "calendar", "utf-8")
        part.set_param("method", method)
        part.add_header("Content-Disposition", "attachment", filename="placement.ics")
        message.attach(part)
    return message
