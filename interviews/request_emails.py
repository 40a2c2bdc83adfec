"""The emails of a placement request's steps, each to the other side: a new request (or a
proposal taken, or a request withdrawn) to the site's facilitators; an answer (accepted,
declined, other dates or unit proposed) to the program's coordinators and whoever made
the request; an offer's places claimed to the site's facilitators.

As the placement emails (interviews.placement_emails): the receiver of
placements.signals.placement_requests_changed writes the rows of the reminders' outbox in
the step's transaction, one per person per step (a constraint), and the sweep sends them.
A step taken for a cohort at once (its requests, or the claims of one offer) is one
email listing them.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.identifiers import clean_header_text
from interviews.models import Reminder, ReminderKind
from placements.models import (
    PlacementRequest,
    PlacementRequestChange,
    PlacementRequestStatus,
    Program,
)
from sites.models import Site

SUBJECTS: dict[str, str] = {
    "new": "Placement request: {student} at {site}, from {start}",
    "cohort": "Placement requests: {count} students at {site}, from {start}",
    "claimed": "Offered places claimed: {count} at {site}, from {start}",
    PlacementRequestStatus.REQUESTED: "Proposal taken: {student} at {site}, from {start}",
    PlacementRequestStatus.ACCEPTED: "Placement request accepted: {student} at {site}",
    PlacementRequestStatus.DECLINED: "Placement request declined: {student} at {site}",
    PlacementRequestStatus.PROPOSED: "Other dates proposed: {student} at {site}",
    PlacementRequestStatus.WITHDRAWN: "Placement request withdrawn: {student} at {site}",
}


def _to_site(change: PlacementRequestChange, request: PlacementRequest) -> bool:
    """Whether the step is news for the site (else for the program)."""
    if change.to_status == PlacementRequestStatus.ACCEPTED:
        return request.offer_id is not None  # a claim: the program took the place itself
    return change.to_status in (PlacementRequestStatus.REQUESTED, PlacementRequestStatus.WITHDRAWN)


def recipient_ids(change: PlacementRequestChange) -> list[int]:
    """The active accounts of the other side of the step, not the person who took it."""
    request = change.request
    if _to_site(change, request):
        wanted = Q(
            pk__in=Site.facilitators.through.objects.filter(site=request.site_id).values("user")
        )
    else:
        wanted = Q(
            pk__in=Program.coordinators.through.objects.filter(
                program=request.student.program_id
            ).values("user")
        )
        if request.requested_by_id:
            wanted |= Q(pk=request.requested_by_id)
    people = get_user_model().objects.filter(wanted, is_active=True)
    if change.changed_by_id:
        people = people.exclude(pk=change.changed_by_id)
    return list(people.order_by("pk").values_list("pk", flat=True))


def request_emails_queue(*, changes: list[PlacementRequestChange]) -> None:
    """Queue the step's email: one per person, for the first of the changes taken
    together (the email lists the others)."""
    change = changes[0]
    Reminder.objects.bulk_create(
        [
            Reminder(
                request_change=change,
                recipient_id=pk,
                kind=ReminderKind.REQUEST_STEP,
                send_at=timezone.now(),
            )
            for pk in recipient_ids(change)
        ],
        ignore_conflicts=True,
    )


def _absolute(path: str) -> str:
    from django.conf import settings

    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def request_message(*, reminder: Reminder) -> EmailMessage:
    """One step's email, rendered from the request as it is now."""
    assert reminder.request_change_id is not None  # a request step's reminder
    change = PlacementRequestChange.objects.select_related(
        "changed_by",
        "request__student__user",
        "request__student__program__institution",
        "request__site",
        "request__unit",
        "request__proposed_unit",
        "request__profession",
    ).get(pk=reminder.request_change_id)
    request = change.request
    together = [request]
    first_of_batch = change.from_status == "" or request.offer_id is not None
    if request.batch is not None and first_of_batch:
        together = list(
            PlacementRequest.objects.filter(batch=request.batch)
            .select_related("student__user")
            .order_by("student__user__full_name", "pk")
        )
    if change.from_status == "":
        key = "cohort" if len(together) > 1 else "new"
    elif change.to_status == PlacementRequestStatus.ACCEPTED and request.offer_id is not None:
        key = "claimed"
    else:
        key = change.to_status
    subject = SUBJECTS[key].format(
        student=request.student.user,
        site=request.site.name,
        start=f"{request.start_date:%-d %b %Y}",
        count=len(together),
    )
    context = {
        "recipient": reminder.recipient,
        "change": change,
        "request": request,
        "together": together,
        "key": key,
        "link": _absolute(reverse("placements:request_detail", args=[request.pk])),
    }
    return EmailMessage(
        subject=clean_header_text(subject),
        body=render_to_string("interviews/email/placement_request.txt", context),
        to=[reminder.recipient.email],
        headers={"Message-ID": reminder.message_id},
    )
