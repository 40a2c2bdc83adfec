"""The emails of a placement's evaluations (interviews.evaluation_emails): the primary
preceptor's notice that an evaluation is due, the student's notice that one awaits their
acknowledgement, and the request for the student's feedback. Rows of the reminders'
outbox, planned by the receivers of the mentoring signals, each sent exactly once."""

import datetime

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.tests.factories import ProfessionFactory, UserFactory
from interviews.evaluation_emails import NOTICE_DAYS, evaluation_reminders_plan
from interviews.models import Reminder, ReminderKind
from interviews.services import reminders_send_due
from mentoring.models import EvaluationKind, MentorRole, PlacementEvaluation, Rating
from mentoring.services import evaluation_save, feedback_submit, team_set
from mentoring.tests.factories import MentorAssignmentFactory, default_domains
from placements.models import Placement, PlacementStatus
from placements.services import (
    placement_activate,
    placement_cancel,
    placement_confirm,
    placement_update,
)
from placements.tests.factories import (
    AffiliationAgreementFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

KINDS = ReminderKind


@pytest.fixture
def people(facilitator):
    nursing = ProfessionFactory(code="nursing")
    physio = ProfessionFactory(code="physiotherapy")
    site = SiteFactory(name="Foothills Unit", facilitators=[facilitator])
    AffiliationAgreementFactory(site=site)  # so that the placement may be confirmed
    student = StudentFactory(
        program=ProgramFactory(profession=nursing, midterm_evaluation=True),
        user__full_name="Sam Student",
        user__email="sam@example.org",
    )
    primary = UserFactory(
        preceptor=True, full_name="Pia Primary", email="pia@example.org", profession=nursing
    )
    mentor = UserFactory(
        preceptor=True, full_name="Max Mentor", email="max@example.org", profession=physio
    )
    start = timezone.localdate() + datetime.timedelta(days=30)
    placement = PlacementFactory(
        student=student, site=site, start_date=start, end_date=start + datetime.timedelta(days=40)
    )
    MentorAssignmentFactory(placement=placement, mentor=primary, role=MentorRole.PRIMARY)
    MentorAssignmentFactory(placement=placement, mentor=mentor, role=MentorRole.IP_MENTOR)
    return {
        "placement": placement,
        "student": student.user,
        "primary": primary,
        "mentor": mentor,
        "physio": physio,
        "nursing": nursing,
        "facilitator": facilitator,
    }


def _evaluation_rows(placement, kind=KINDS.EVALUATION_DUE):
    return list(
        Reminder.objects.filter(evaluation__placement=placement, kind=kind)
        .order_by("evaluation__kind")
        .values_list("evaluation__kind", "recipient__email", "send_at")
    )


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _rate_everything(evaluation, by, *, submit=True):
    return evaluation_save(
        evaluation=evaluation,
        by=by,
        ratings={d.pk: (Rating.MEETING, "") for d in default_domains()},
        overall_comments="Works well with the team.",
        submit=submit,
    )


def test_confirming_plans_each_evaluations_notice_and_the_feedback_request(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    midterm_due = placement.start_date + datetime.timedelta(days=20)
    assert [
        (kind, email, timezone.localtime(at).date())
        for kind, email, at in _evaluation_rows(placement)
    ] == [
        ("final", "pia@example.org", placement.end_date - datetime.timedelta(days=NOTICE_DAYS)),
        ("midterm", "pia@example.org", midterm_due - datetime.timedelta(days=NOTICE_DAYS)),
    ]
    [feedback] = Reminder.objects.filter(placement=placement, kind=KINDS.FEEDBACK_DUE)
    assert feedback.recipient == people["student"]
    assert timezone.localtime(feedback.send_at).date() == placement.end_date


def test_each_notice_is_sent_exactly_once(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    # Starting the placement, and the receivers run again, plan nothing new.
    placement_activate(placement=placement, changed_by=people["facilitator"])
    evaluation_reminders_plan(placements=[Placement.objects.get(pk=placement.pk)])
    assert len(_evaluation_rows(placement)) == 2
    day_after_end = placement.end_date + datetime.timedelta(days=1)
    reminders_send_due(now=_at(day_after_end))
    notices = [m for m in mail.outbox if "due on" in m.subject]
    assert sorted(m.subject for m in notices) == [
        f"Final evaluation of Sam Student due on {placement.end_date:%-d %b %Y}",
        f"Midterm evaluation of Sam Student due on "
        f"{placement.start_date + datetime.timedelta(days=20):%-d %b %Y}",
    ]
    assert all(m.to == ["pia@example.org"] for m in notices)
    feedback = [m for m in mail.outbox if "feedback" in m.subject]
    assert [m.to for m in feedback] == [["sam@example.org"]]
    assert "/mentoring/placements/" in feedback[0].body
    mail.outbox.clear()
    # A second sweep, and planning again after the sends, send nothing more.
    evaluation_reminders_plan(placements=[placement])
    assert reminders_send_due(now=_at(day_after_end, 11)) == 0
    assert mail.outbox == []


def test_the_database_refuses_a_second_notice(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    evaluation = PlacementEvaluation.objects.get(placement=placement, kind=EvaluationKind.FINAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            evaluation=evaluation,
            recipient=people["primary"],
            kind=KINDS.EVALUATION_DUE,
            send_at=timezone.now(),
        )


def test_a_reminder_is_about_one_thing(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    evaluation = PlacementEvaluation.objects.get(placement=placement, kind=EvaluationKind.FINAL)
    with pytest.raises(IntegrityError), transaction.atomic():
        Reminder.objects.create(
            evaluation=evaluation,
            placement=placement,
            recipient=people["primary"],
            kind=KINDS.EVALUATION_DUE,
            send_at=timezone.now(),
        )


def test_submitting_drops_the_notice_and_asks_the_student_once(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    reminders_send_due(now=timezone.now() + datetime.timedelta(seconds=1))  # the confirmation
    mail.outbox.clear()
    final = PlacementEvaluation.objects.get(placement=placement, kind=EvaluationKind.FINAL)
    _rate_everything(final, people["primary"])
    assert [row[0] for row in _evaluation_rows(placement)] == ["midterm"]
    assert reminders_send_due(now=timezone.now() + datetime.timedelta(seconds=1)) == 1
    [message] = mail.outbox
    assert message.to == ["sam@example.org"]
    assert message.subject == "Your final evaluation at Foothills Unit is ready to acknowledge"
    assert f"/mentoring/evaluations/{final.pk}/" in message.body
    assert reminders_send_due(now=timezone.now() + datetime.timedelta(minutes=1)) == 0


def test_a_notice_for_an_evaluation_submitted_meanwhile_is_dropped_unsent(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    final = PlacementEvaluation.objects.get(placement=placement, kind=EvaluationKind.FINAL)
    # Submitted by a way that bypasses the services (the admin): the sweep still knows.
    PlacementEvaluation.objects.filter(pk=final.pk).update(
        status="submitted", evaluator=people["primary"], submitted_at=timezone.now()
    )
    reminders_send_due(now=_at(placement.end_date))
    assert not any("Final evaluation" in m.subject for m in mail.outbox)
    assert not Reminder.objects.filter(evaluation=final, kind=KINDS.EVALUATION_DUE).exists()


def test_feedback_sent_drops_the_request(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    placement_activate(placement=placement, changed_by=people["facilitator"])
    feedback_submit(
        placement=placement,
        by=people["student"],
        answers=dict.fromkeys(
            ("site_welcome", "site_learning", "mentoring_support", "mentoring_feedback",
             "ip_roles", "ip_collaboration"),
            4,
        ),
    )  # fmt: skip
    reminders_send_due(now=_at(placement.end_date))
    assert not any("feedback" in m.subject for m in mail.outbox)


def test_a_new_primary_preceptor_gets_the_notices_instead(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    successor = UserFactory(preceptor=True, email="nia@example.org", profession=people["nursing"])
    team_set(
        placement=placement, primary=successor, mentors=[people["mentor"]], by=people["facilitator"]
    )
    assert {email for _, email, _ in _evaluation_rows(placement)} == {"nia@example.org"}


def test_moving_the_placement_moves_the_due_dates_and_notices(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    later_end = placement.end_date + datetime.timedelta(days=10)
    placement_update(
        placement=placement,
        site=placement.site,
        unit=None,
        start_date=placement.start_date,
        end_date=later_end,
        model=placement.model,
        contact=None,
        notes="",
    )
    final = PlacementEvaluation.objects.get(placement=placement, kind=EvaluationKind.FINAL)
    assert final.due_on == later_end
    [notice] = final.reminders.all()
    assert timezone.localtime(notice.send_at).date() == later_end - datetime.timedelta(
        days=NOTICE_DAYS
    )


def test_cancelling_drops_the_evaluations_nobody_began_and_their_notices(people):
    placement = people["placement"]
    placement_confirm(placement=placement, changed_by=people["facilitator"])
    midterm = PlacementEvaluation.objects.get(placement=placement, kind=EvaluationKind.MIDTERM)
    _rate_everything(midterm, people["primary"], submit=False)
    placement_cancel(placement=placement, changed_by=people["facilitator"], note="Unit closed")
    assert list(PlacementEvaluation.objects.filter(placement=placement)) == [midterm]
    reminders_send_due(now=_at(placement.end_date + datetime.timedelta(days=1)))
    assert not any(
        "evaluation" in m.subject.lower() or "feedback" in m.subject for m in mail.outbox
    )
    assert not Reminder.objects.filter(
        kind__in=[KINDS.EVALUATION_DUE, KINDS.FEEDBACK_DUE], sent_at__isnull=True
    ).exists()


def test_a_past_placement_imported_as_active_sends_no_stale_notices(people):
    placement = people["placement"]
    Placement.objects.filter(pk=placement.pk).update(
        start_date=timezone.localdate() - datetime.timedelta(days=120),
        end_date=timezone.localdate() - datetime.timedelta(days=60),
        status=PlacementStatus.ACTIVE,
    )
    from mentoring.services import evaluations_for_placements

    evaluations_for_placements(placements=[Placement.objects.get(pk=placement.pk)])
    assert PlacementEvaluation.objects.filter(placement=placement).count() == 2
    assert not Reminder.objects.filter(kind__in=[KINDS.EVALUATION_DUE, KINDS.FEEDBACK_DUE]).exists()
