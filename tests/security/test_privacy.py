"""Privacy: erasing a person's personal data on request, and interview notes retention."""

import datetime
from io import StringIO

import pytest
from axes.models import AccessLog
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditAction, AuditEvent, User
from accounts.services import person_erase
from interviews.models import InterviewRecord, Quote
from interviews.services import interview_notes_purge
from interviews.tests.factories import InterviewRecordFactory, ReminderFactory
from mentoring.models import MentoringSession, SessionStudent
from placements.models import Placement
from sites.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def student(world):
    """Site A's student, who wrote a reflection, whose placement has notes, and whose
    interview has notes and a quote; they have logged in once and looked at a page."""
    side = world.a
    user = side.student.user
    user.phone = "780-555-0100"
    user.save()
    SessionStudent.objects.filter(student=side.student).update(reflection="I learned a lot.")
    Placement.objects.filter(pk=side.placement.pk).update(notes="Needs a parking pass.")
    type(side.placement_request).objects.filter(pk=side.placement_request.pk).update(
        notes="Needs a parking pass."
    )
    side.followup.participant = user
    side.followup.save()
    ReminderFactory(followup=side.followup, recipient=user)
    AccessLog.objects.create(
        username=user.email, ip_address="192.0.2.1", user_agent="x", http_accept="x", path_info="/"
    )
    AuditEvent.objects.create(
        person=user, person_label=user.email, action=AuditAction.VIEW,
        object_type="placements.placement", object_id=str(side.placement.pk),
        ip_address="192.0.2.1",
    )  # fmt: skip
    return side.student


def test_erasure_replaces_name_email_and_phone_and_locks_the_account(student):
    user = person_erase(person=student.user)
    user.refresh_from_db()
    assert user.email == f"erased-{user.pk}@erased.invalid"
    assert user.full_name == f"Erased person #{user.pk}"
    assert user.phone == ""
    assert not user.is_active
    assert not user.has_usable_password()


def test_erasure_blanks_their_free_text(student, world):
    person_erase(person=student.user)
    assert not SessionStudent.objects.filter(student=student).exclude(reflection="").exists()
    assert Placement.objects.get(pk=world.a.placement.pk).notes == ""
    world.a.placement_request.refresh_from_db()
    assert world.a.placement_request.notes == ""
    assert InterviewRecord.objects.get(pk=world.a.record.pk).notes == ""
    assert not Quote.objects.filter(record=world.a.record).exists()
    student.refresh_from_db()
    assert student.student_number == ""


def test_erasure_keeps_the_rows_reports_count(student, world):
    counts = [
        model.objects.count()
        for model in (Placement, MentoringSession, SessionStudent, Membership, InterviewRecord)
    ]
    person_erase(person=student.user)
    assert counts == [
        model.objects.count()
        for model in (Placement, MentoringSession, SessionStudent, Membership, InterviewRecord)
    ]
    # The profession and role stay for anonymous counts.
    user = User.objects.get(pk=student.user.pk)
    assert user.is_student
    assert user.profession_id == student.program.profession_id


def test_erasure_anonymises_the_audit_log_and_login_history(student):
    email = student.user.email
    person_erase(person=student.user)
    event = AuditEvent.objects.get(object_id=str(student.placements.get().pk))
    assert event.person is None
    assert email not in event.person_label
    assert event.ip_address is None
    assert not AccessLog.objects.filter(username=email).exists()


def test_erasure_leaves_other_people_alone(student, world):
    other = world.b.student
    before = (other.user.full_name, other.user.email)
    person_erase(person=student.user)
    other.user.refresh_from_db()
    assert (other.user.full_name, other.user.email) == before
    assert InterviewRecord.objects.get(pk=world.b.record.pk).notes


def test_erasure_twice_is_harmless(student):
    person_erase(person=student.user)
    user = person_erase(person=student.user)
    assert user.email.startswith("erased-")


def test_an_erased_person_cannot_log_in(client, student):
    email = student.user.email
    person_erase(person=student.user)
    response = client.post(reverse("login"), {"username": email, "password": "pass"})
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 302


def test_admin_action_asks_then_erases(client_as, world, student):
    client = client_as(world.admin)
    url = reverse("admin:accounts_user_changelist")
    data = {"action": "erase_personal_data", "_selected_action": [student.user.pk]}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "cannot be undone" in response.content.decode()
    assert User.objects.get(pk=student.user.pk).is_active
    response = client.post(url, {**data, "confirm": "yes"})
    assert response.status_code == 302
    assert not User.objects.get(pk=student.user.pk).is_active
    assert AuditEvent.objects.filter(
        person=world.admin, object_type="accounts.user", object_id=str(student.user.pk)
    ).exists()


def test_admin_cannot_erase_themself(client_as, world):
    client = client_as(world.admin)
    client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "erase_personal_data", "_selected_action": [world.admin.pk], "confirm": "yes"},
    )
    assert User.objects.get(pk=world.admin.pk).is_active


# --- Retention of interview notes -------------------------------------------------------


def test_notes_older_than_the_retention_are_blanked(settings, db):
    settings.INTERVIEW_NOTES_RETENTION_DAYS = 730
    today = timezone.localdate()
    old = InterviewRecordFactory()
    recent = InterviewRecordFactory()
    InterviewRecord.objects.filter(pk=old.pk).update(
        conducted_on=today - datetime.timedelta(days=731)
    )
    InterviewRecord.objects.filter(pk=recent.pk).update(
        conducted_on=today - datetime.timedelta(days=729)
    )
    assert interview_notes_purge(today=today) == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.notes == ""
    assert recent.notes
    assert old.consent_given  # the rest of the record stays


def test_undated_records_count_from_when_they_were_recorded(settings, db):
    settings.INTERVIEW_NOTES_RETENTION_DAYS = 30
    record = InterviewRecordFactory()
    InterviewRecord.objects.filter(pk=record.pk).update(
        conducted_on=None, created_at=timezone.now() - datetime.timedelta(days=40)
    )
    assert interview_notes_purge() == 1


def test_the_command_reports_what_it_blanked(settings, db):
    settings.INTERVIEW_NOTES_RETENTION_DAYS = 1
    record = InterviewRecordFactory()
    InterviewRecord.objects.filter(pk=record.pk).update(
        conducted_on=timezone.localdate() - datetime.timedelta(days=5)
    )
    out = StringIO()
    call_command("purge_interview_notes", stdout=out)
    assert "Blanked the notes of 1 interview record(s)" in out.getvalue()
    assert InterviewRecord.objects.get(pk=record.pk).notes == ""


def test_the_purge_runs_daily_in_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["interviews-purge-interview-notes"]
    assert entry["task"] == "interviews.tasks.purge_interview_notes"
    assert entry["schedule"] == 24 * 60 * 60.0


def test_the_beat_task_calls_the_purge(settings, db):
    from interviews.tasks import purge_interview_notes

    settings.INTERVIEW_NOTES_RETENTION_DAYS = 1
    record = InterviewRecordFactory()
    InterviewRecord.objects.filter(pk=record.pk).update(
        conducted_on=timezone.localdate() - datetime.timedelta(days=5)
    )
    assert purge_interview_notes() == 1


def test_erasure_blanks_their_comments_on_evaluations_and_placements(student, world):
    from mentoring.models import PlacementEvaluation, StudentPlacementFeedback
    from mentoring.tests.factories import StudentPlacementFeedbackFactory

    evaluation = world.a.evaluation
    PlacementEvaluation.objects.filter(pk=evaluation.pk).update(
        status="acknowledged", acknowledged_at=timezone.now(), student_comment="I disagree."
    )
    feedback = StudentPlacementFeedbackFactory(placement=world.a.placement, comments="Too busy.")
    other = StudentPlacementFeedbackFactory(placement=world.b.placement, comments="Kind team.")
    person_erase(person=student.user)
    evaluation.refresh_from_db()
    assert evaluation.student_comment == "" and evaluation.status == "acknowledged"
    assert StudentPlacementFeedback.objects.get(pk=feedback.pk).comments == ""
    assert StudentPlacementFeedback.objects.get(pk=other.pk).comments == "Kind team."
