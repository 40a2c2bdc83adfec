"""Privacy services: erasing a person's personal data on request, and the retention of
interview notes. Both keep the rows that reports count (placements, sessions,
memberships, follow-ups), so the anonymous numbers stay right."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import AuditEvent, User


def erased_email(person: User) -> str:
    """A unique address that delivers nowhere (.invalid is reserved, RFC 2606)."""
    return f"erased-{person.pk}@erased.invalid"


@transaction.atomic
def person_erase(*, person: User) -> User:
    """Erase a person's personal data on request (a privacy request), keeping anonymous
    counts: their name, email and phone become a placeholder, the account can no longer
    log in, and the free text they wrote or that records their words is blanked:
    reflections, the notes of their placements, their interview's notes and quotes.
    Rows that reports count (placements, sessions, memberships, follow-ups) stay, as do
    their profession and roles. The audit log keeps its events with their name removed.
    Running it twice changes nothing more."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from interviews.models import CalendarFeed, InterviewRecord, Quote, Reminder
    from mentoring.models import SessionStudent
    from placements.models import Placement, Student

    person = User.objects.select_for_update().get(pk=person.pk)
    old_email = person.email

    person.email = erased_email(person)
    person.full_name = f"Erased person #{person.pk}"
    person.phone = ""
    person.is_active = False
    person.is_staff = False
    person.is_superuser = False
    person.set_unusable_password()
    person.full_clean()
    person.save()
    person.groups.clear()
    person.user_permissions.clear()

    # Their words and what was written about them.
    Student.objects.filter(user=person).update(student_number="")
    Placement.objects.filter(student__user=person).update(notes="")
    SessionStudent.objects.filter(student__user=person).exclude(reflection="").update(reflection="")
    records = InterviewRecord.objects.filter(followup__participant=person)
    Quote.objects.filter(record__in=records).delete()
    records.exclude(notes="").update(notes="")

    # Nothing more is sent to them or published for them; their login history goes.
    Reminder.objects.filter(recipient=person, sent_at__isnull=True).delete()
    CalendarFeed.objects.filter(owner=person, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=old_email).delete()
    AuditEvent.objects.filter(Q(person=person)).anonymise_person(person)
    return person


def interview_notes_cutoff(*, today: datetime.date | None = None) -> datetime.date:
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=settings.INTERVIEW_NOTES_RETENTION_DAYS)


def interview_notes_purge(*, today: datetime.date | None = None) -> int:
    """Blank the notes of interviews held more than INTERVIEW_NOTES_RETENTION_DAYS ago
    (or recorded that long ago when the date is unknown). Consent, the coded themes and
    the quotes stay, so the outcomes report is unchanged. Returns how many were blanked."""
    from interviews.models import InterviewRecord

    cutoff = interview_notes_cutoff(today=today)
    cutoff_start = timezone.make_aware(
        datetime.datetime.combine(cutoff, datetime.time.min), timezone.get_current_timezone()
    )
    old = Q(conducted_on__lt=cutoff) | Q(conducted_on__isnull=True, created_at__lt=cutoff_start)
    return InterviewRecord.objects.filter(old).exclude(notes="").update(notes="")
