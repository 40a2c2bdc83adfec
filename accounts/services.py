"""Services of people's accounts: invitations (a first password for people who have none),
password-reset emails, and erasing a person's personal data on request.

Emails are sent by Celery tasks (accounts.tasks), enqueued after the transaction commits,
so a page's answer time does not depend on whether an address has an account."""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.emails import absolute_url, person_email
from accounts.identifiers import normalise_email
from accounts.models import AuditEvent, Invitation, User
from accounts.signals import person_erased

logger = logging.getLogger(__name__)

# Resending is limited per person: not again within RESEND_AFTER, and at most
# INVITATIONS_PER_DAY in 24 hours (an invitation is an email to someone's inbox).
INVITATION_RESEND_AFTER = datetime.timedelta(minutes=10)
INVITATIONS_PER_DAY = 5


def _enqueue_on_commit(task_name: str, **kwargs) -> None:
    """Enqueue one of accounts.tasks once the data it reads is committed. With the broker
    down, the email is sent from this process instead, and the failure logged."""
    from accounts import tasks

    task = getattr(tasks, task_name)

    def enqueue() -> None:
        try:
            # retry=False: with the broker down, fail at once instead of stalling the page.
            task.apply_async(kwargs=kwargs, retry=False)
        except Exception:
            logger.exception("Could not enqueue %s; sending from this process", task.name)
            try:
                task.run(**kwargs)
            except Exception:
                logger.exception("Sending %s from this process failed", task.name)

    transaction.on_commit(enqueue)


# --- Invitations ------------------------------------------------------------------------


def invitation_token(invitation: Invitation) -> str:
    """The secret of an invitation's link: an HMAC (keyed by SECRET_KEY) of the person and
    the creation time, so the email task can build it again from the invitation's id
    while neither the database (which keeps its hash) nor the broker ever holds it."""
    created = invitation.created_at.astimezone(datetime.UTC).isoformat()
    value = f"{invitation.person_id}:{created}"
    return salted_hmac("accounts.Invitation", value, algorithm="sha256").hexdigest()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation_refusal(person: User, recent: list[datetime.datetime], now) -> str | None:
    """Why `person` may not be sent an invitation now, given the times of the invitations
    they were sent in the last 24 hours (newest first); None if they may."""
    if not person.is_active:
        return f"{person} cannot be invited: their account is disabled."
    if person.last_login is not None:
        return (
            f"{person} already uses IPCoP; if they forgot their password, they can reset "
            "it with “Forgot your password?”."
        )
    if recent and recent[0] > now - INVITATION_RESEND_AFTER:
        minutes = int(INVITATION_RESEND_AFTER.total_seconds() // 60)
        return (
            f"{person} was sent an invitation less than {minutes} minutes ago; wait before "
            "sending another."
        )
    if len(recent) >= INVITATIONS_PER_DAY:
        return (
            f"{person} was sent {INVITATIONS_PER_DAY} invitations in the last 24 hours; "
            "try again tomorrow."
        )
    return None


def _new_invitation(person: User, sent_by: User | None, now) -> Invitation:
    invitation = Invitation(
        person=person,
        created_by=sent_by,
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.INVITATION_VALID_DAYS),
    )
    invitation.token_hash = _token_hash(invitation_token(invitation))
    # The database enforces the hash's uniqueness and the expiry's check: validating them
    # here would cost two queries per invitation of an import.
    invitation.full_clean(
        exclude=["person", "created_by"], validate_unique=False, validate_constraints=False
    )
    return invitation


@transaction.atomic
def invitation_send(*, person: User, sent_by: User | None) -> Invitation:
    """Send `person` a single-use link, valid INVITATION_VALID_DAYS, to set their password
    (for people who have never logged in: imported students, people an admin added).
    Refused, with the reason, for a disabled account, someone who already logs in, or a
    resend within 10 minutes or beyond 5 in 24 hours. Who may invite whom is the caller's
    check (ipcop.permissions.people_invitable_by)."""
    person = User.objects.select_for_update().get(pk=person.pk)
    now = timezone.now()
    recent = list(
        person.invitations.filter(created_at__gt=now - datetime.timedelta(days=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:INVITATIONS_PER_DAY]
    )
    refusal = _invitation_refusal(person, recent, now)
    if refusal:
        raise ValidationError(refusal, code="not_invitable")
    invitation = _new_invitation(person, sent_by, now)
    invitation.save()
    _enqueue_on_commit("send_invitation", invitation_id=invitation.pk)
    return invitation


@transaction.atomic
def invitations_send_for_import(*, people: Iterable[User], sent_by: User | None) -> int:
    """Invite every person of an import who may be invited now (the rules of
    `invitation_send`); skip the others. Returns how many were invited. A few queries
    whatever the number of people."""
    # Locked in one statement, in id order, as invitation_send locks one person.
    locked = list(
        User.objects.select_for_update()
        .filter(pk__in=[person.pk for person in people])
        .order_by("pk")
    )
    now = timezone.now()
    recent: dict[int, list[datetime.datetime]] = {}
    sent_lately = (
        Invitation.objects.filter(
            person__in=locked, created_at__gt=now - datetime.timedelta(days=1)
        )
        .order_by("person", "-created_at")
        .values_list("person", "created_at")
    )
    for person_id, created_at in sent_lately:
        recent.setdefault(person_id, []).append(created_at)
    invitations = [
        _new_invitation(person, sent_by, now)
        for person in locked
        if _invitation_refusal(person, recent.get(person.pk, []), now) is None
    ]
    Invitation.objects.bulk_create(invitations)
    for invitation in invitations:
        _enqueue_on_commit("send_invitation", invitation_id=invitation.pk)
    return len(invitations)


def invitation_deliver(*, invitation_id: int) -> bool:
    """Email an invitation's link (the task's work). Nothing is sent for an invitation
    that can no longer be accepted."""
    invitation = (
        Invitation.objects.select_related("person", "created_by").filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.refusal() is not None:
        return False
    token = invitation_token(invitation)
    message = person_email(
        person=invitation.person,
        subject="Your IPCoP account: choose a password",
        template="accounts/email/invitation.txt",
        context={
            "invitation": invitation,
            "link": absolute_url(reverse("invitation_accept", args=[token])),
            "login_link": absolute_url(reverse("login")),
        },
    )
    message.send()
    return True


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link's token names (accepted or not), or None."""
    return Invitation.objects.select_related("person").filter(token_hash=_token_hash(token)).first()


INVITATION_REFUSALS = {
    "used": "This invitation link was already used. Log in with your email and password.",
    "expired": "This invitation link has expired. Ask the person who invited you for a new one.",
    "inactive": "This account is disabled. Ask an administrator.",
}


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited person's password and close every open invitation of theirs (each
    link works once, and a later one voids the earlier). Raises ValidationError for an
    unknown, used or expired link or a password the validators refuse."""
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("person")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if invitation is None:
        raise ValidationError("This invitation link is not valid.", code="unknown")
    refusal = invitation.refusal()
    if refusal is not None:
        raise ValidationError(INVITATION_REFUSALS[refusal], code=refusal)
    person = invitation.person
    password_validation.validate_password(password, user=person)
    person.set_password(password)
    person.save(update_fields=["password"])
    person.invitations.filter(used_at__isnull=True).update(used_at=timezone.now())
    return person


# --- Password reset ---------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Ask for a reset link for `email`. Only enqueues: the look-up and the email happen
    in the task, so asking takes as long whether or not the address has an account."""
    _enqueue_on_commit("send_password_reset", email=normalise_email(email))


def password_reset_send(*, email: str) -> int:
    """Email a reset link to the active account of `email` that has a password (the
    task's work); returns how many were sent (0 or 1). People without a usable password
    get in by an invitation instead."""
    sent = 0
    for person in User.objects.filter(email=normalise_email(email), is_active=True):
        if not person.has_usable_password():
            continue
        path = reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(person.pk)),
                "token": default_token_generator.make_token(person),
            },
        )
        person_email(
            person=person,
            subject="Reset your IPCoP password",
            template="registration/password_reset_email.txt",
            context={
                "link": absolute_url(path),
                "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
            },
        ).send()
        sent += 1
    return sent


# --- Privacy ----------------------------------------------------------------------------


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
        # axes records the normalised email, as it is stored (accounts.backends).
        model.objects.filter(username=old_email).delete()
    AuditEvent.objects.filter(Q(person=person)).anonymise_person(person)
    return person
