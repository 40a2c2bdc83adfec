"""A name with a line break must never block a person's emails (item 8 of issue 16):
names are cleaned on input, and every email builder cleans header values again."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services, tasks
from accounts.identifiers import clean_header_text
from accounts.models import User
from accounts.tests.factories import UserFactory
from interviews.services import reminder_message
from interviews.tests.factories import ReminderFactory
from placements.services import student_enrol
from placements.tests.factories import ProgramFactory

HOSTILE_NAME = "Ann\r\nBcc: everyone@example.org"


@pytest.mark.parametrize(
    ("value", "clean"),
    [
        (HOSTILE_NAME, "Ann Bcc: everyone@example.org"),
        ("  Ann \t  Smith ", "Ann Smith"),
        ("Ann\x00\x1b[31mSmith", "Ann [31mSmith"),
        ("Ann\u2028Smith\u0085", "Ann Smith"),
        ("\u202egnp.exe", "gnp.exe"),
        ("Zoë O'Neil-Øre", "Zoë O'Neil-Øre"),
        (None, ""),
    ],
)
def test_clean_header_text_gives_one_clean_line(value, clean):
    assert clean_header_text(value) == clean


@pytest.mark.django_db
class TestOnInput:
    def test_a_saved_name_is_one_line(self):
        person = UserFactory(full_name=HOSTILE_NAME, phone="780\n555")
        person.refresh_from_db()
        assert (person.full_name, person.phone) == ("Ann Bcc: everyone@example.org", "780 555")

    def test_an_imported_name_is_one_line(self):
        # The students import creates people through this service (placements.importers).
        student = student_enrol(
            email="ann@example.org", full_name=HOSTILE_NAME, program=ProgramFactory()
        )
        assert User.objects.get(pk=student.user_id).full_name == "Ann Bcc: everyone@example.org"

    def test_the_admin_form_stores_one_line(self, client):
        client.force_login(UserFactory(superuser=True))
        response = client.post(
            reverse("admin:accounts_user_add"),
            {"email": "ann@example.org", "full_name": HOSTILE_NAME, "usable_password": "false"},
        )
        assert response.status_code == 302
        assert (
            User.objects.get(email="ann@example.org").full_name == "Ann Bcc: everyone@example.org"
        )


@pytest.fixture
def stored_badly(db):
    """A person whose stored name has a line break: written before names were cleaned, or
    by a bulk write that skips `User.save`."""
    person = UserFactory(email="ann@example.org")
    User.objects.filter(pk=person.pk).update(full_name=HOSTILE_NAME)
    person.refresh_from_db()
    assert "\n" in person.full_name
    return person


def test_an_invitation_email_is_built_whatever_the_stored_name(stored_badly):
    invitation = services.invitation_send(person=stored_badly, sent_by=None)
    assert tasks.send_invitation.run(invitation_id=invitation.pk) is True
    (message,) = mail.outbox
    assert message.message()["To"] == '"Ann Bcc: everyone@example.org" <ann@example.org>'
    assert "Bcc" not in message.message().keys()  # noqa: SIM118 - header names


def test_a_reset_email_is_built_whatever_the_stored_name(stored_badly):
    assert tasks.send_password_reset.run(email="ann@example.org") == 1
    assert "\n" not in mail.outbox[0].message()["To"]


def test_a_reminder_is_built_whatever_the_participants_stored_name(stored_badly):
    """The case of the issue: the reminder's subject names the participant."""
    reminder = ReminderFactory(followup__participant=stored_badly)
    reminder_message(reminder=reminder).send()
    (message,) = mail.outbox
    assert message.subject.endswith("Ann Bcc: everyone@example.org")
    assert "Bcc" not in message.message().keys()  # noqa: SIM118 - header names
