"""Factories for people and professions."""

import datetime
import hashlib

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory, Password

from accounts.models import AuditAction, AuditEvent, Invitation, Profession, User
from ipcop.lib.reference_data import PROFESSIONS

PROFESSION_NAMES = dict(PROFESSIONS)
PROFESSION_CODES = [code for code, _ in PROFESSIONS]


class ProfessionFactory(DjangoModelFactory):
    """Professions are seeded by a migration: by default this returns the seeded ones in
    turn (so two calls give two professions), and `ProfessionFactory(code="pharmacy")`
    returns the seeded pharmacy. An unknown code creates a new profession."""

    class Meta:
        model = Profession
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: PROFESSION_CODES[n % len(PROFESSION_CODES)])
    name = factory.LazyAttribute(
        lambda o: PROFESSION_NAMES.get(o.code, o.code.replace("-", " ").capitalize())
    )


class UserFactory(DjangoModelFactory):
    """A person with password "pass". Traits: facilitator, preceptor, coordinator, admin,
    superuser."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    full_name = factory.Faker("name")
    profession = factory.SubFactory(ProfessionFactory)
    password = Password("pass")

    class Params:
        facilitator = factory.Trait(is_facilitator=True)
        preceptor = factory.Trait(is_preceptor=True)
        coordinator = factory.Trait(is_coordinator=True)
        admin = factory.Trait(is_staff=True)
        superuser = factory.Trait(is_staff=True, is_superuser=True)


class AuditEventFactory(DjangoModelFactory):
    """A "viewed" event of a person looking at an interview record."""

    class Meta:
        model = AuditEvent

    person = factory.SubFactory(UserFactory)
    person_label = factory.LazyAttribute(lambda o: o.person.email if o.person else "anonymous")
    role = "facilitator"
    action = AuditAction.VIEW
    object_type = "interviews.interviewrecord"
    object_id = factory.Sequence(str)
    path = "/interviews/records/1/"


class InvitationFactory(DjangoModelFactory):
    """An open invitation, sent by an admin. Its token is unknown (a random hash): tests
    that follow the link send one with accounts.services.invitation_send."""

    class Meta:
        model = Invitation

    person = factory.SubFactory(UserFactory)
    created_by = factory.SubFactory(UserFactory, admin=True)
    token_hash = factory.Sequence(lambda n: hashlib.sha256(f"invitation-{n}".encode()).hexdigest())
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + datetime.timedelta(days=7))
