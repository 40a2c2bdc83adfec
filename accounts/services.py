"""Privacy services: erasing a person's personal data on request. It keeps the rows that
reports count (placements, sessions, memberships, follow-ups), so the anonymous numbers
stay right."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from accounts.models import AuditEvent, User
from accounts.signals import person_erased


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

    # Every app blanks what it holds about them (their words, what was written about
    # them, what would still be sent to them): accounts.signals.person_erased.
    person_erased.send(sender=User, person=person, old_email=old_email)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=old_email).delete()
    AuditEvent.objects.filter(Q(person=person)).anonymise_person(person)
    return person
