"""Notices that an affiliation agreement expires soon, to both sides: the program
coordinators of the institution, and the facilitators of the site (or of every site of
the zone) it is with.

A daily task (interviews.tasks.queue_agreement_reminders) writes the rows of the
reminders' outbox for the agreements in force whose end falls within a notice's window
(`NOTICES`); the unique constraint on (agreement, recipient, kind) makes each notice go
to each person once, however often the task runs, and the sweep sends them. An agreement
is renewed by a new agreement (a new signed document), which gets its own notices.
"""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.identifiers import clean_header_text
from interviews.models import Reminder, ReminderKind
from placements.models import AffiliationAgreement, AgreementStatus, Program
from sites.models import Site

# Each notice, with the days before the end that open its window; the window closes where
# the next, later notice's opens, so an agreement added 10 days before its end gets the
# last notice only.
NOTICES: tuple[tuple[str, int], ...] = (
    (ReminderKind.AGREEMENT_EXPIRES_60, 60),
    (ReminderKind.AGREEMENT_EXPIRES_14, 14),
)
AGREEMENT_REMINDER_KINDS = tuple(kind for kind, _ in NOTICES)


def agreement_recipient_ids(agreement: AffiliationAgreement) -> list[int]:
    """The active accounts of the institution's program coordinators and of the
    facilitators of the agreement's site or of its zone's sites, each once, in one query."""
    coordinators = Program.coordinators.through.objects.filter(
        program__institution_id=agreement.institution_id
    ).values("user")
    where = Q(site_id=agreement.site_id) if agreement.site_id else Q(site__zone=agreement.zone)
    facilitators = Site.facilitators.through.objects.filter(where).values("user")
    return list(
        get_user_model()
        .objects.filter(Q(pk__in=coordinators) | Q(pk__in=facilitators), is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def agreement_reminders_queue(*, today: datetime.date | None = None) -> int:
    """Write the expiry notices now due (see the module's docstring). Returns how many were
    due; the database skips those written before."""
    today = today or timezone.localdate()
    now = timezone.now()
    rows: list[Reminder] = []
    first = today
    for kind, days in sorted(NOTICES, key=lambda notice: notice[1]):
        last = today + datetime.timedelta(days=days)
        agreements = AffiliationAgreement.objects.in_force().ending_between(first, last)
        for agreement in agreements.only("pk", "institution_id", "site_id", "zone"):
            rows += [
                Reminder(agreement=agreement, recipient_id=pk, kind=kind, send_at=now)
                for pk in agreement_recipient_ids(agreement)
            ]
        first = last + datetime.timedelta(days=1)
    created = Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(created)


# --- Sending (the sweep) ---------------------------------------------------------------


def agreements_for_emails(ids) -> dict[int, AffiliationAgreement]:
    agreements = AffiliationAgreement.objects.filter(pk__in=set(ids)).select_related(
        "institution", "site"
    )
    return {agreement.pk: agreement for agreement in agreements}


def is_obsolete(agreement: AffiliationAgreement | None, today: datetime.date) -> bool:
    """A notice with nothing left to say: its agreement is gone, no longer in force
    (terminated), has no end any more, or has ended."""
    return (
        agreement is None
        or agreement.status != AgreementStatus.ACTIVE
        or agreement.ends_on is None
        or agreement.ends_on < today
    )


def agreement_message(*, reminder: Reminder, agreement: AffiliationAgreement) -> EmailMessage:
    """One expiry notice, rendered from the agreement as it is now."""
    from django.conf import settings

    assert agreement.ends_on is not None  # obsolete notices are dropped before
    link = getattr(settings, "SITE_URL", "").rstrip("/") + reverse(
        "placements:agreement_detail", args=[agreement.pk]
    )
    context = {
        "recipient": reminder.recipient,
        "agreement": agreement,
        "days_left": (agreement.ends_on - timezone.localdate()).days,
        "link": link,
    }
    subject = (
        f"Affiliation agreement expires on {agreement.ends_on:%-d %b %Y}: "
        f"{agreement.institution.name} and {agreement.party_label}"
    )
    return EmailMessage(
        subject=clean_header_text(subject),
        body=render_to_string("interviews/email/agreement.txt", context),
        to=[reminder.recipient.email],
        headers={"Message-ID": reminder.message_id},
    )
