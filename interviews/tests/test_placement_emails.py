"""A placement's emails (interviews.placement_emails): queued in the reminders' outbox by
the receivers of the placements and mentoring signals, sent once by the sweep."""

import datetime
from email.mime.text import MIMEText
from typing import cast

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.models import Reminder, ReminderKind
from interviews.services import reminder_backoff, reminders_send_due
from mentoring.models import MentorRole
from mentoring.services import mentor_remove, team_set
from mentoring.tests.factories import MentorAssignmentFactory
from placements.models import Placement
from placements.services import placement_cancel, placement_confirm, placement_update
from placements.tests.factories import (
    AffiliationAgreementFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

KINDS = ReminderKind


@pytest.fixture
def people(facilitator):
    nursing = ProfessionFactory(code="nursing")
    physio = ProfessionFactory(code="physiotherapy")
    site = SiteFactory(
        name="Foothills Unit",
        address="1403 29 St NW",
        city="Calgary",
        phone="403-555-0100",
        facilitators=[facilitator],
    )
    AffiliationAgreementFactory(site=site)
    student = StudentFactory(
        program=ProgramFactory(profession=nursing),
        user__full_name="Sam Student",
        user__email="sam@example.org",
    )
    contact = UserFactory(full_name="Cora Contact", email="cora@example.org", phone="403-555-0111")
    primary = UserFactory(
        preceptor=True, full_name="Pia Primary", email="pia@example.org", profession=nursing
    )
    mentor = UserFactory(
        preceptor=True, full_name="Max Mentor", email="max@example.org", profession=physio
    )
    start = timezone.localdate() + datetime.timedelta(days=30)
    placement = PlacementFactory(
        student=student,
        site=site,
        unit=UnitFactory(site=site, name="Unit 4B"),
        contact=contact,
        start_date=start,
        end_date=start + datetime.timedelta(days=41),
    )
    MentorAssignmentFactory(placement=placement, mentor=primary, role=MentorRole.PRIMARY)
    MentorAssignmentFactory(placement=placement, mentor=mentor, role=MentorRole.IP_MENTOR)
    return {
        "placement": placement,
        "student": student.user,
        "contact": contact,
        "primary": primary,
        "mentor": mentor,
        "facilitator": facilitator,
    }


def _rows(placement, kind):
    return sorted(
        Reminder.objects.filter(placement=placement, kind=kind).values_list(
            "recipient__email", flat=True
        )
    )


def _send_now():
    return reminders_send_due(now=timezone.now() + datetime.timedelta(seconds=1))


def _calendar_of(message) -> Calendar:
    [part] = [a for a in message.attachments if isinstance(a, MIMEText)]
    assert part.get_content_type() == "text/calendar"
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return Calendar.from_ical(payload)


EVERYONE = ["cora@example.org", "max@example.org", "pia@example.org", "sam@example.org"]


def test_confirming_queues_one_email_each_and_the_students_week_before_reminder(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    assert _rows(placement, KINDS.PLACEMENT_CONFIRMED) == EVERYONE
    [week_before] = Reminder.objects.filter(placement=placement, kind=KINDS.PLACEMENT_STARTS_SOON)
    assert week_before.recipient == people["student"]
    assert timezone.localtime(
        week_before.send_at
    ).date() == placement.start_date - datetime.timedelta(days=7)
    # Nothing is sent in the request: the sweep sends.
    assert mail.outbox == []


def test_confirming_twice_emails_once(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    with pytest.raises(ValidationError):
        placement_confirm(placement=placement, changed_by=people["facilitator"])
    # The receiver run again (a redelivered signal) adds nothing either.
    from interviews.placement_emails import placement_emails_confirmed

    placement_emails_confirmed(placement=Placement.objects.get(pk=placement.pk))
    assert _rows(placement, KINDS.PLACEMENT_CONFIRMED) == EVERYONE
    assert _send_now() == 4
    assert _send_now() == 0
    assert sorted(m.to[0] for m in mail.outbox) == EVERYONE


def test_the_database_refuses_a_second_confirmation_email(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            placement=placement,
            recipient=people["student"],
            kind=KINDS.PLACEMENT_CONFIRMED,
            send_at=timezone.now(),
        )


def test_a_rolled_back_confirmation_queues_nothing(people):
    placement = people["placement"]
    with pytest.raises(RuntimeError), transaction.atomic():
        placement_confirm(placement=placement, changed_by=people["facilitator"])
        raise RuntimeError("the request failed later")
    assert not Reminder.objects.filter(placement=placement).exists()


def test_confirmation_email_shows_dates_address_contact_mentors_and_attaches_the_dates(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    _send_now()
    [to_student] = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    start, end = placement.start_date, placement.end_date
    assert (
        to_student.subject
        == f"Placement confirmed: Sam Student at Foothills Unit, from {start:%-d %b %Y}"
    )
    body = to_student.body
    assert "Your placement at Foothills Unit is confirmed." in body
    assert f"Dates: {start:%-d %b %Y} to {end:%-d %b %Y}" in body
    assert "Foothills Unit, Unit 4B, 1403 29 St NW, Calgary (phone 403-555-0100)" in body
    assert "Contact at the site: Cora Contact, cora@example.org, 403-555-0111" in body
    assert "- Pia Primary (Primary preceptor, Nursing), pia@example.org" in body
    assert "- Max Mentor (IP mentor, Physiotherapy), max@example.org" in body
    assert f"/placements/{placement.pk}/" in body
    assert to_student.extra_headers["Message-ID"].startswith("<reminder-")
    calendar = _calendar_of(to_student)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == start
    # All-day events end on the day after their last.
    assert event.decoded("DTEND") == end + datetime.timedelta(days=1)
    assert str(event["UID"]) == f"placement-{placement.pk}@ipcop"
    assert "1403 29 St NW, Calgary" in str(event["LOCATION"])
    # The contact is told about the student, without a link to a page they may not open.
    [to_contact] = [m for m in mail.outbox if m.to == ["cora@example.org"]]
    assert "The placement of Sam Student at Foothills Unit is confirmed." in to_contact.body
    assert "/placements/" not in to_contact.body


def test_cancelling_emails_the_reason_and_drops_the_week_before_reminder(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    _send_now()
    mail.outbox.clear()
    placement_cancel(
        placement=placement, changed_by=people["facilitator"], note="The unit closed for repairs"
    )
    assert _rows(placement, KINDS.PLACEMENT_CANCELLED) == EVERYONE
    assert not Reminder.objects.filter(
        placement=placement, kind=KINDS.PLACEMENT_STARTS_SOON
    ).exists()
    _send_now()
    [to_mentor] = [m for m in mail.outbox if m.to == ["max@example.org"]]
    assert to_mentor.subject.startswith("Placement cancelled: Sam Student at Foothills Unit")
    assert "has been cancelled." in to_mentor.body
    assert "Reason: The unit closed for repairs" in to_mentor.body
    calendar = _calendar_of(to_mentor)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(calendar.walk("VEVENT")[0]["UID"]) == f"placement-{placement.pk}@ipcop"


def test_a_new_team_emails_the_new_team_student_contact_and_the_mentor_taken_off(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    _send_now()
    mail.outbox.clear()
    physio = people["mentor"].profession
    newcomer = UserFactory(
        preceptor=True, full_name="Nia Newcomer", email="nia@example.org", profession=physio
    )
    team_set(
        placement=placement,
        primary=people["primary"],
        mentors=[newcomer],
        by=people["facilitator"],
    )
    assert _rows(placement, KINDS.PLACEMENT_TEAM) == sorted(
        [
            "cora@example.org",
            "max@example.org",
            "nia@example.org",
            "pia@example.org",
            "sam@example.org",
        ]
    )
    # Changed again before the sweep: still one email each, showing the latest team.
    team_set(
        placement=placement, primary=people["primary"], mentors=[newcomer], by=people["facilitator"]
    )
    assert Reminder.objects.filter(placement=placement, kind=KINDS.PLACEMENT_TEAM).count() == 5
    assert _send_now() == 5
    [to_student] = [m for m in mail.outbox if m.to == ["sam@example.org"]]
    assert "has a new mentoring team." in to_student.body
    assert "Nia Newcomer (IP mentor, Physiotherapy)" in to_student.body
    assert "Max Mentor" not in to_student.body
    assert to_student.attachments == []
    [to_removed] = [m for m in mail.outbox if m.to == ["max@example.org"]]
    assert "you are no longer on it" in to_removed.body
    # A later change is news again: one more email each.
    team_set(
        placement=placement,
        primary=people["primary"],
        mentors=[newcomer, people["mentor"]],
        by=people["facilitator"],
    )
    mentor_remove(assignment=placement.mentors.get(mentor=newcomer), by=people["facilitator"])
    assert Reminder.objects.filter(placement=placement, kind=KINDS.PLACEMENT_TEAM).count() == 10


def test_a_requested_placements_team_is_told_with_its_confirmation(people):
    placement = people["placement"]
    team_set(
        placement=placement,
        primary=people["primary"],
        mentors=[
            people["mentor"],
            UserFactory(preceptor=True, profession=people["mentor"].profession),
        ],
        by=people["facilitator"],
    )
    assert not Reminder.objects.filter(placement=placement).exists()


def test_a_team_change_while_the_confirmation_waits_adds_no_second_email(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    extra = UserFactory(
        preceptor=True, email="eve@example.org", profession=people["mentor"].profession
    )
    team_set(
        placement=placement,
        primary=people["primary"],
        mentors=[people["mentor"], extra],
        by=people["facilitator"],
    )
    # Those waiting for the confirmation read the new team in it; only the newcomer is told.
    assert _rows(placement, KINDS.PLACEMENT_TEAM) == ["eve@example.org"]


def test_a_failed_send_is_retried_with_backoff_and_sent_once(people, settings):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    settings.EMAIL_BACKEND = "interviews.tests.test_placement_emails.RefusingBackend"
    assert _send_now() == 0
    row = Reminder.objects.get(
        placement=placement, recipient=people["student"], kind=KINDS.PLACEMENT_CONFIRMED
    )
    assert row.sent_at is None and row.attempts == 1 and "refused" in row.last_error
    assert row.send_at > timezone.now() + reminder_backoff(1) - datetime.timedelta(seconds=5)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders_send_due(now=timezone.now() + datetime.timedelta(hours=1)) == 4
    assert reminders_send_due(now=timezone.now() + datetime.timedelta(hours=2)) == 0
    assert sorted(m.to[0] for m in mail.outbox) == EVERYONE


def test_the_week_before_reminder_goes_to_the_student_on_its_day(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    _send_now()
    mail.outbox.clear()
    day = placement.start_date - datetime.timedelta(days=7)
    assert (
        reminders_send_due(
            now=timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))
        )
        == 0
    )
    assert (
        reminders_send_due(
            now=timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
        )
        == 1
    )
    [message] = mail.outbox
    assert message.to == ["sam@example.org"]
    assert (
        message.subject
        == f"Your placement at Foothills Unit starts on {placement.start_date:%-d %b %Y}"
    )
    assert "starts in a week" in message.body
    assert "Contact at the site: Cora Contact" in message.body


def test_the_week_before_reminder_of_a_placement_moved_later_waits(people):
    placement = cast(Placement, people["placement"])
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    Placement.objects.filter(pk=placement.pk).update(
        start_date=placement.start_date + datetime.timedelta(days=14),
        end_date=placement.end_date + datetime.timedelta(days=14),
    )
    day = placement.start_date - datetime.timedelta(days=7)
    at = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10)))
    _send_now()
    mail.outbox.clear()
    assert reminders_send_due(now=at) == 0
    row = Reminder.objects.get(placement=placement, kind=KINDS.PLACEMENT_STARTS_SOON)
    assert row.sent_at is None
    assert timezone.localtime(row.send_at).date() == day + datetime.timedelta(days=14)


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise ConnectionRefusedError("the mail server refused")

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server refused")


def test_moving_a_confirmed_placement_moves_the_week_before_reminder(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    earlier = timezone.localdate() + datetime.timedelta(days=10)
    placement_update(
        placement=placement,
        site=placement.site,
        unit=placement.unit,
        start_date=earlier,
        end_date=earlier + datetime.timedelta(days=20),
        model=placement.model,
        contact=placement.contact,
        notes="",
        changed_by=people["facilitator"],
    )
    row = Reminder.objects.get(placement=placement, kind=KINDS.PLACEMENT_STARTS_SOON)
    assert timezone.localtime(row.send_at).date() == earlier - datetime.timedelta(days=7)
    # Moved to start within a week: the confirmation already said when.
    soon = timezone.localdate() + datetime.timedelta(days=3)
    placement_update(
        placement=placement,
        site=placement.site,
        unit=placement.unit,
        start_date=soon,
        end_date=soon + datetime.timedelta(days=20),
        model=placement.model,
        contact=placement.contact,
        notes="",
        changed_by=people["facilitator"],
    )
    assert not Reminder.objects.filter(
        placement=placement, kind=KINDS.PLACEMENT_STARTS_SOON
    ).exists()
