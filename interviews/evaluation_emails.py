"""The emails of a placement's evaluations: the primary preceptor's notice that an
evaluation is due, the student's notice that one awaits their acknowledgement, and the
student's request for feedback on the placement.

Like the placement's emails (placement_emails) they are rows of the reminders' outbox
(interviews.models.Reminder), written by receivers of the mentoring app's signals in the
transaction of the change, and sent by the sweep (services.reminders_send_due). The
evaluations' notices name their evaluation, the feedback request its placement; unique
constraints make each email once. An email that has nothing left to say when it is due
(the evaluation was submitted, the feedback sent, the placement cancelled) is dropped.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.identifiers import clean_header_text
from interviews.models import Reminder, ReminderKind
from mentoring.models import (
    EvaluationStatus,
    MentorAssignment,
    MentorRole,
    PlacementEvaluation,
    StudentPlacementFeedback,
)
from mentoring.services import EVALUATED_STATUSES, feedback_due_on
from placements.models import Placement, PlacementStatus

REMINDER_HOUR = 9
# The preceptor's notice goes out this many days before the evaluation is due.
NOTICE_DAYS = 3
# An evaluation or feedback due longer ago than this when its emails are planned (a
# past placement imported as active) gets none.
STALE_AFTER = datetime.timedelta(days=14)

SUBJECTS: dict[str, str] = {
    ReminderKind.EVALUATION_DUE: "{kind} of {student} due on {due}",
    ReminderKind.EVALUATION_SUBMITTED: "Your {kind_lower} at {site} is ready to acknowledge",
    ReminderKind.FEEDBACK_DUE: "Your feedback on your placement at {site}",
}


def _morning(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(REMINDER_HOUR)))


def evaluation_reminders_plan(*, placements: Iterable[Placement]) -> None:
    """Make the unsent "evaluation due" and "feedback due" emails of `placements` match
    their state, in a few queries whatever their number: one to the primary preceptor
    for each evaluation not submitted, NOTICE_DAYS before it is due; one to the student,
    on the placement's last day, while they have not sent their feedback. Unsent emails
    no longer wanted go (a new primary preceptor gets the notice instead of the former
    one); sent ones are history, and the unique constraints keep them from recurring."""
    ids = [p.pk for p in placements]
    if not ids:
        return
    stale_before = timezone.localdate() - STALE_AFTER
    planned: dict[tuple[str, int, int], datetime.datetime] = {}
    primaries = dict(
        MentorAssignment.objects.filter(
            placement__in=ids, role=MentorRole.PRIMARY, mentor__is_active=True
        ).values_list("placement_id", "mentor_id")
    )
    evaluations = PlacementEvaluation.objects.filter(
        placement__in=ids,
        status=EvaluationStatus.DRAFT,
        placement__status__in=EVALUATED_STATUSES,
        due_on__gte=stale_before,
    ).values_list("pk", "placement_id", "due_on")
    for evaluation_id, placement_id, due_on in evaluations:
        if placement_id in primaries:
            key = (ReminderKind.EVALUATION_DUE, evaluation_id, primaries[placement_id])
            planned[key] = _morning(due_on - datetime.timedelta(days=NOTICE_DAYS))
    feedback_wanted = (
        Placement.objects.filter(
            pk__in=ids,
            status__in=EVALUATED_STATUSES,
            end_date__gte=stale_before,
            student__user__is_active=True,
        )
        .exclude(Exists(StudentPlacementFeedback.objects.filter(placement=OuterRef("pk"))))
        .values_list("pk", "student__user_id", "end_date")
    )
    for placement_id, student_id, end_date in feedback_wanted:
        planned[(ReminderKind.FEEDBACK_DUE, placement_id, student_id)] = _morning(end_date)

    waiting = Reminder.objects.unsent().filter(
        Q(evaluation__placement__in=ids, kind=ReminderKind.EVALUATION_DUE)
        | Q(placement__in=ids, kind=ReminderKind.FEEDBACK_DUE)
    )
    for reminder in waiting.select_for_update(of=("self",)):
        about = reminder.evaluation_id or reminder.placement_id
        key = (reminder.kind, about, reminder.recipient_id)
        if key not in planned:
            reminder.delete()
        elif reminder.send_at != planned[key]:
            Reminder.objects.filter(pk=reminder.pk).update(
                send_at=planned[key], attempts=0, last_error=""
            )
    Reminder.objects.bulk_create(
        [
            Reminder(
                kind=kind,
                recipient_id=recipient,
                send_at=send_at,
                **(
                    {"evaluation_id": about}
                    if kind == ReminderKind.EVALUATION_DUE
                    else {"placement_id": about}
                ),
            )
            for (kind, about, recipient), send_at in planned.items()
        ],
        ignore_conflicts=True,  # rows that exist (sent, or waiting as planned) stay
    )


def evaluation_submitted_email(*, evaluation: PlacementEvaluation) -> None:
    """Queue the student's notice that the evaluation awaits their acknowledgement; the
    preceptor's notice that it is due, if still waiting, has nothing left to say."""
    evaluation.reminders.unsent().filter(kind=ReminderKind.EVALUATION_DUE).delete()
    student = (
        get_user_model()
        .objects.filter(enrolments__placements=evaluation.placement_id, is_active=True)
        .values_list("pk", flat=True)
        .first()
    )
    if student is not None:
        Reminder.objects.bulk_create(
            [
                Reminder(
                    evaluation=evaluation,
                    recipient_id=student,
                    kind=ReminderKind.EVALUATION_SUBMITTED,
                    send_at=timezone.now(),
                )
            ],
            ignore_conflicts=True,
        )


# --- Sending (the sweep) ---------------------------------------------------------------


@dataclass
class Loaded:
    """What a batch's evaluation emails show, read in two queries."""

    evaluations: dict[int, PlacementEvaluation] = field(default_factory=dict)
    placements: dict[int, Placement] = field(default_factory=dict)


def _load(reminders: list[Reminder]) -> Loaded:
    loaded = Loaded()
    evaluation_ids = {r.evaluation_id for r in reminders if r.evaluation_id is not None}
    if evaluation_ids:
        loaded.evaluations = {
            e.pk: e
            for e in PlacementEvaluation.objects.filter(pk__in=evaluation_ids).select_related(
                "placement__student__user", "placement__site"
            )
        }
    placement_ids = {
        r.placement_id
        for r in reminders
        if r.kind == ReminderKind.FEEDBACK_DUE and r.placement_id is not None
    }
    if placement_ids:
        loaded.placements = {
            p.pk: p
            for p in Placement.objects.filter(pk__in=placement_ids)
            .select_related("student__user", "site")
            .annotate(
                has_feedback=Exists(
                    StudentPlacementFeedback.objects.filter(placement=OuterRef("pk"))
                )
            )
        }
    return loaded


def _is_obsolete(reminder: Reminder, loaded: Loaded) -> bool:
    if reminder.kind == ReminderKind.FEEDBACK_DUE:
        placement = loaded.placements.get(reminder.placement_id or 0)
        return (
            placement is None
            or placement.has_feedback  # type: ignore[attr-defined]  # annotated in _load
            or placement.status not in EVALUATED_STATUSES
        )
    evaluation = loaded.evaluations.get(reminder.evaluation_id or 0)
    if evaluation is None or evaluation.placement.status == PlacementStatus.CANCELLED:
        return True
    if reminder.kind == ReminderKind.EVALUATION_DUE:
        return evaluation.status != EvaluationStatus.DRAFT
    return evaluation.status != EvaluationStatus.SUBMITTED


def settle(reminders: list[Reminder]) -> tuple[list[Reminder], Loaded]:
    """The batch without the evaluation emails that have nothing left to say (deleted),
    and what the others show."""
    ours = [r for r in reminders if r.is_about_evaluation]
    if not ours:
        return reminders, Loaded()
    loaded = _load(ours)
    obsolete = {r.pk for r in ours if _is_obsolete(r, loaded)}
    Reminder.objects.filter(pk__in=obsolete).delete()
    return [r for r in reminders if r.pk not in obsolete], loaded


def _absolute(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def message(*, reminder: Reminder, loaded: Loaded | None = None) -> EmailMessage:
    """One evaluation email, rendered from the evaluation or placement as it is now."""
    if loaded is None or (
        reminder.evaluation_id not in loaded.evaluations
        and reminder.placement_id not in loaded.placements
    ):
        loaded = _load([reminder])
    if reminder.kind == ReminderKind.FEEDBACK_DUE:
        placement = loaded.placements[reminder.placement_id or 0]
        evaluation = None
        link = reverse("mentoring:feedback_give", args=[placement.pk])
        due = feedback_due_on(placement=placement)
    else:
        evaluation = loaded.evaluations[reminder.evaluation_id or 0]
        placement = evaluation.placement
        view = (
            "evaluation_edit"
            if reminder.kind == ReminderKind.EVALUATION_DUE
            else "evaluation_detail"
        )
        link = reverse(f"mentoring:{view}", args=[evaluation.pk])
        due = evaluation.due_on
    kind_label = evaluation.get_kind_display() if evaluation else ""
    subject = SUBJECTS[reminder.kind].format(
        kind=kind_label,
        kind_lower=kind_label.lower(),
        student=placement.student.user,
        site=placement.site.name,
        due=f"{due:%-d %b %Y}",
    )
    context = {
        "kind": reminder.kind,
        "recipient": reminder.recipient,
        "placement": placement,
        "student": placement.student.user,
        "evaluation": evaluation,
        "due": due,
        "link": _absolute(link),
    }
    return EmailMessage(
        subject=clean_header_text(subject),
        body=render_to_string("interviews/email/evaluation.txt", context),
        to=[reminder.recipient.email],
        headers={"Message-ID": reminder.message_id},
    )
