"""A placement request's emails (interviews.request_emails): each step queued in the
reminders' outbox for the other side in the step's transaction, sent once by the sweep."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.models import Reminder, ReminderKind
from interviews.services import reminders_send_due
from placements import services
from placements.tests.factories import (
    AffiliationAgreementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

START = datetime.date.today() + datetime.timedelta(weeks=6)
END = START + datetime.timedelta(weeks=6)


@pytest.fixture
def sides():
    nursing = ProfessionFactory(code="nursing")
    fay = UserFactory(facilitator=True, full_name="Fay Facilitator", email="fay@example.org")
    fred = UserFactory(facilitator=True, full_name="Fred Facilitator", email="fred@example.org")
    site = SiteFactory(name="Foothills Unit", facilitators=[fay, fred])
    AffiliationAgreementFactory(site=site)  # so that accepting may confirm
    casey = UserFactory(
        is_coordinator=True, full_name="Casey Coordinator", email="casey@example.org"
    )
    cole = UserFactory(is_coordinator=True, full_name="Cole Coordinator", email="cole@example.org")
    program = ProgramFactory(name="BScN", profession=nursing)
    program.coordinators.add(casey, cole)
    students = [
        StudentFactory(program=program, user__full_name=name)
        for name in ("Ana Student", "Ben Student", "Cy Student")
    ]
    return {"fay": fay, "site": site, "casey": casey, "students": students,
            "unit": UnitFactory(site=site, name="Unit 4B"), "nursing": nursing}  # fmt: skip


def _send_now() -> int:
    return reminders_send_due(now=timezone.now() + datetime.timedelta(seconds=1))


def _request(sides, students=None):
    return services.request_create(
        students=students or sides["students"][:1], site=sides["site"], start_date=START,
        end_date=END, requested_by=sides["casey"],
    )  # fmt: skip


def test_a_new_request_emails_the_sites_facilitators_once(sides):
    [request] = _request(sides)
    assert _send_now() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["fay@example.org", "fred@example.org"]
    [message] = [m for m in mail.outbox if m.to == ["fay@example.org"]]
    assert message.subject.startswith("Placement request: Ana Student at Foothills Unit")
    assert "Casey Coordinator asks for a placement of Ana Student" in message.body
    assert f"/placements/requests/{request.pk}/" in message.body
    # The sweep again: nothing more.
    assert _send_now() == 0
    assert len(mail.outbox) == 2


def test_a_cohort_is_one_email_listing_its_students(sides):
    _request(sides, students=sides["students"])
    assert _send_now() == 2
    [message] = [m for m in mail.outbox if m.to == ["fay@example.org"]]
    assert message.subject.startswith("Placement requests: 3 students at Foothills Unit")
    for name in ("Ana Student", "Ben Student", "Cy Student"):
        assert f"- {name}" in message.body


def test_each_answer_emails_the_programs_side_once(sides):
    [request] = _request(sides)
    _send_now()
    mail.outbox.clear()
    services.request_propose(
        request=request, by=sides["fay"], start_date=START, end_date=END, unit=sides["unit"]
    )
    assert _send_now() == 2  # both coordinators (the requester is one of them)
    assert sorted(m.to[0] for m in mail.outbox) == ["casey@example.org", "cole@example.org"]
    assert "Unit 4B" in mail.outbox[0].body
    mail.outbox.clear()
    services.request_accept_proposal(request=request, by=sides["casey"])
    _send_now()
    # Back to the site; the coordinator who took it is not told what they did.
    assert sorted(m.to[0] for m in mail.outbox) == ["fay@example.org", "fred@example.org"]
    mail.outbox.clear()
    services.request_decline(request=request, by=sides["fay"], reason="No preceptor in May")
    _send_now()
    assert sorted(m.to[0] for m in mail.outbox) == ["casey@example.org", "cole@example.org"]
    assert "Reason: No preceptor in May" in mail.outbox[0].body
    assert _send_now() == 0


def test_accepting_emails_the_program_and_confirms_to_the_student(sides):
    [request] = _request(sides)
    _send_now()
    mail.outbox.clear()
    services.request_accept(request=request, by=sides["fay"])
    _send_now()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["casey@example.org"].startswith("Placement request accepted")
    # The placement's own confirmation, as for any confirmed placement.
    student_email = sides["students"][0].user.email
    assert subjects[student_email].startswith("Placement confirmed")
    assert _send_now() == 0


def test_a_claim_emails_the_sites_facilitators(sides):
    offer = services.offer_create(
        site=sides["site"], profession=sides["nursing"], start_date=START, end_date=END, places=3
    )
    services.offer_claim(offer=offer, students=sides["students"][:2], claimed_by=sides["casey"])
    _send_now()
    [message] = [m for m in mail.outbox if m.to == ["fay@example.org"]]
    assert message.subject.startswith("Offered places claimed: 2 at Foothills Unit")
    assert "- Ana Student" in message.body and "- Ben Student" in message.body
    assert (
        Reminder.objects.filter(kind=ReminderKind.REQUEST_STEP, recipient=sides["fay"]).count() == 1
    )


def test_the_database_refuses_a_second_email_of_a_step(sides):
    [request] = _request(sides)
    reminder = Reminder.objects.filter(request_change__request=request).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            request_change=reminder.request_change, recipient=reminder.recipient,
            kind=ReminderKind.REQUEST_STEP, send_at=timezone.now(),
        )  # fmt: skip


def test_a_refused_step_queues_nothing(sides):
    [request] = _request(sides)
    _send_now()
    with pytest.raises(Exception, match="reason"):
        services.request_decline(request=request, by=sides["fay"], reason="")
    assert _send_now() == 0
