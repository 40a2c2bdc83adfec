"""Notices that an affiliation agreement expires (interviews.agreement_emails): to the
institution's program coordinators and the facilitators of the site or of the zone's
sites, 60 and 14 days before the end, each once."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import UserFactory
from interviews.agreement_emails import agreement_reminders_queue
from interviews.models import Reminder, ReminderKind
from interviews.services import reminders_send_due
from placements.models import AgreementStatus
from placements.tests.factories import AffiliationAgreementFactory, ProgramFactory
from sites.models import HealthZone
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2030, 1, 10)
SIXTY, FOURTEEN = ReminderKind.AGREEMENT_EXPIRES_60, ReminderKind.AGREEMENT_EXPIRES_14


@pytest.fixture
def sides():
    """A coordinator of the institution's two programs, a coordinator of another
    institution, the facilitators of two Calgary sites and of an Edmonton one."""
    coordinator = UserFactory(is_coordinator=True, email="cody@uni.example")
    for _ in range(2):
        ProgramFactory(institution="University of Alberta").coordinators.add(coordinator)
    elsewhere = UserFactory(is_coordinator=True, email="other@college.example")
    ProgramFactory(institution="Other College").coordinators.add(elsewhere)
    fac = {name: UserFactory(facilitator=True, email=f"{name}@ahs.example") for name in "abc"}
    site = SiteFactory(zone=HealthZone.CALGARY, facilitators=[fac["a"]])
    SiteFactory(zone=HealthZone.CALGARY, facilitators=[fac["b"]])
    SiteFactory(zone=HealthZone.EDMONTON, facilitators=[fac["c"]])
    return {"coordinator": coordinator, "site": site, **fac}


def recipients(agreement, kind):
    return sorted(
        Reminder.objects.filter(agreement=agreement, kind=kind).values_list(
            "recipient__email", flat=True
        )
    )


def ending_in(days, **kwargs):
    return AffiliationAgreementFactory(
        starts_on=datetime.date(2025, 1, 1),
        ends_on=TODAY + datetime.timedelta(days=days),
        **kwargs,
    )


def test_a_site_agreement_notifies_its_coordinators_and_the_sites_facilitators(sides):
    agreement = ending_in(60, site=sides["site"])
    agreement_reminders_queue(today=TODAY)
    assert recipients(agreement, SIXTY) == ["a@ahs.example", "cody@uni.example"]
    assert recipients(agreement, FOURTEEN) == []


def test_a_zone_agreement_notifies_the_facilitators_of_every_site_of_the_zone(sides):
    agreement = ending_in(14, site=None, zone=HealthZone.CALGARY)
    agreement_reminders_queue(today=TODAY)
    assert recipients(agreement, FOURTEEN) == [
        "a@ahs.example",
        "b@ahs.example",
        "cody@uni.example",
    ]
    # Within 14 days only the last notice is due.
    assert recipients(agreement, SIXTY) == []


def test_each_notice_goes_once_however_often_the_task_runs(sides):
    agreement = ending_in(30, site=sides["site"])
    for day in range(3):
        agreement_reminders_queue(today=TODAY + datetime.timedelta(days=day))
    assert Reminder.objects.filter(agreement=agreement, kind=SIXTY).count() == 2
    # 16 days later the end is 14 days away: the second notice, once.
    for day in range(16, 20):
        agreement_reminders_queue(today=TODAY + datetime.timedelta(days=day))
    assert Reminder.objects.filter(agreement=agreement, kind=FOURTEEN).count() == 2
    assert Reminder.objects.filter(agreement=agreement).count() == 4


def test_the_database_refuses_a_second_notice_of_one_kind(sides):
    agreement = ending_in(10, site=sides["site"])
    agreement_reminders_queue(today=TODAY)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            agreement=agreement,
            recipient=sides["coordinator"],
            kind=FOURTEEN,
            send_at=timezone.now(),
        )


def test_a_reminder_is_about_exactly_one_thing(sides):
    agreement = ending_in(10, site=sides["site"])
    from placements.tests.factories import PlacementFactory

    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            agreement=agreement,
            placement=PlacementFactory(),
            recipient=sides["coordinator"],
            kind=FOURTEEN,
            send_at=timezone.now(),
        )


@pytest.mark.parametrize(
    ("days", "status"),
    [(61, AgreementStatus.ACTIVE), (30, AgreementStatus.DRAFT), (-1, AgreementStatus.ACTIVE)],
)
def test_no_notice_for_an_agreement_far_from_its_end_not_in_force_or_ended(sides, days, status):
    ending_in(days, site=sides["site"], status=status)
    AffiliationAgreementFactory(site=sides["site"], ends_on=None)
    agreement_reminders_queue(today=TODAY)
    assert not Reminder.objects.exists()


def test_the_sweep_sends_each_notice_once_with_the_agreement_and_its_link(sides, settings):
    settings.SITE_URL = "https://ipcop.example"
    agreement = ending_in(14, site=sides["site"])
    agreement_reminders_queue(today=TODAY)
    now = timezone.make_aware(datetime.datetime.combine(TODAY, datetime.time(10)))
    assert reminders_send_due(now=now) == 2
    assert reminders_send_due(now=now) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["a@ahs.example", "cody@uni.example"]
    message = mail.outbox[0]
    assert message.subject == (
        f"Affiliation agreement expires on 24 Jan 2030: University of Alberta and {sides['site']}"
    )
    assert f"https://ipcop.example/placements/agreements/{agreement.pk}/" in message.body
    assert "University of Alberta" in message.body


def test_a_notice_of_an_agreement_terminated_meanwhile_is_dropped_unsent(sides):
    agreement = ending_in(14, site=sides["site"])
    agreement_reminders_queue(today=TODAY)
    agreement.status = AgreementStatus.TERMINATED
    agreement.save()
    assert reminders_send_due(now=timezone.now()) == 0
    assert mail.outbox == []
    assert not Reminder.objects.filter(agreement=agreement).exists()
