"""Services: follow-up creation, reminder (re)computation, the sweep, records, codebook."""

import datetime
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone
from icalendar import Calendar

from accounts.tests.factories import UserFactory
from interviews import services
from interviews.models import (
    FollowUp,
    FollowUpStatus,
    InterviewRecord,
    Reminder,
    ReminderKind,
    Theme,
)
from interviews.tests.factories import (
    FollowUpFactory,
    InterviewRecordFactory,
    QuoteFactory,
    ReminderFactory,
    ThemeFactory,
)
from placements.tests.factories import PlacementFactory
from sites.tests.factories import CommunityOfPracticeFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def kinds(followup):
    """The unsent reminders other than the overdue notices (which every open follow-up has)."""
    return sorted(
        (r.kind, r.recipient_id)
        for r in followup.reminders.unsent().filter(
            kind__in=[ReminderKind.DUE_SOON, ReminderKind.DAY_BEFORE]
        )
    )


def in_days(days, hour=10):
    day = timezone.localdate() + timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def pending(site_a):
    """A pending follow-up at site A due in 60 days, created through the service."""
    placement = PlacementFactory(
        site=site_a, active=True, start_date=timezone.localdate() + timedelta(days=60)
    )
    with override_settings(FOLLOWUP_DELAY_MONTHS=1):
        followup = services.followup_for_placement(placement=placement)
    FollowUp.objects.filter(pk=followup.pk).update(due_on=timezone.localdate() + timedelta(days=60))
    followup.refresh_from_db()
    services.reminders_recompute(followup=followup)
    return followup


def due_soon(followup):
    return followup.reminders.get(kind=ReminderKind.DUE_SOON)


def test_joining_a_cop_creates_one_followup_due_after_the_delay(site_a, settings):
    settings.FOLLOWUP_DELAY_MONTHS = 6
    membership = MembershipFactory(
        community=CommunityOfPracticeFactory(site=site_a), joined_on=datetime.date(2025, 1, 31)
    )
    first = services.followup_for_membership(membership=membership)
    again = services.followup_for_membership(membership=membership)
    assert first.pk == again.pk
    assert first.due_on == datetime.date(2025, 7, 31)
    assert first.site == site_a and first.participant == membership.person


def test_new_followup_reminds_the_site_facilitators_14_days_before_when_no_interviewer(
    pending, facilitator
):
    reminder = due_soon(pending)
    assert reminder.recipient == facilitator
    assert timezone.localtime(reminder.send_at).date() == pending.due_on - timedelta(days=14)
    # The overdue notices exist from the start, timed after the due date; completing the
    # follow-up before then removes them.
    overdue = pending.reminders.exclude(kind=ReminderKind.DUE_SOON)
    assert all(r.send_at.date() > pending.due_on for r in overdue) and overdue.count() == 3


def test_overdue_followup_gets_three_weekly_notices_to_facilitators(site_a, facilitator):
    followup = FollowUpFactory(
        placement=PlacementFactory(site=site_a), due_on=timezone.localdate() - timedelta(days=2)
    )
    services.reminders_recompute(followup=followup)
    rows = list(followup.reminders.order_by("send_at"))
    assert [r.kind for r in rows] == [
        ReminderKind.OVERDUE_1,
        ReminderKind.OVERDUE_2,
        ReminderKind.OVERDUE_3,
    ]
    assert {r.recipient for r in rows} == {facilitator}
    gaps = {(b.send_at - a.send_at).days for a, b in zip(rows, rows[1:], strict=False)}
    assert gaps == {7}


def test_scheduling_replaces_due_soon_with_day_before_for_participant_and_interviewer(
    pending, facilitator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_schedule(
            followup=pending,
            interviewer=facilitator,
            scheduled_at=in_days(50),
            mode="video",
            location="https://meet.example/abc",
        )
    pending.refresh_from_db()
    assert pending.status == FollowUpStatus.SCHEDULED
    assert kinds(pending) == sorted(
        [
            (ReminderKind.DAY_BEFORE, pending.participant_id),
            (ReminderKind.DAY_BEFORE, facilitator.pk),
        ]
    )
    day_before = pending.reminders.filter(kind=ReminderKind.DAY_BEFORE).first()
    assert day_before.send_at == in_days(49)


def test_rescheduling_moves_the_day_before_reminders(pending, facilitator):
    services.followup_schedule(
        followup=pending, interviewer=facilitator, scheduled_at=in_days(50), mode="phone"
    )
    day_before = pending.reminders.filter(kind=ReminderKind.DAY_BEFORE)
    ids = set(day_before.values_list("id", flat=True))
    services.followup_schedule(
        followup=pending, interviewer=facilitator, scheduled_at=in_days(55), mode="phone"
    )
    assert set(day_before.values_list("id", flat=True)) == ids
    assert {r.send_at for r in day_before} == {in_days(54)}


def test_a_scheduled_interview_long_before_the_due_date_gets_no_overdue_notice(
    pending, facilitator
):
    services.followup_schedule(
        followup=pending, interviewer=facilitator, scheduled_at=in_days(70), mode="phone"
    )
    overdue = pending.reminders.filter(kind__startswith="overdue")
    # due in 60 days, interview on day 70: the notices one and eight days after the due
    # date fall before the interview; only the third (day 75) would go if it is not recorded.
    assert [r.kind for r in overdue] == [ReminderKind.OVERDUE_3]


@pytest.mark.parametrize(
    "close", [services.followup_cancel, services.followup_decline, services.followup_mark_missed]
)
def test_closing_a_followup_removes_pending_reminders_but_keeps_sent_ones(
    pending, facilitator, close
):
    sent = ReminderFactory(
        followup=pending,
        recipient=UserFactory(),
        kind=ReminderKind.OVERDUE_1,
        sent_at=timezone.now(),
    )
    close(followup=pending)
    assert list(pending.reminders.all()) == [sent]


def test_a_closed_followup_cannot_be_scheduled(pending, facilitator):
    services.followup_cancel(followup=pending)
    with pytest.raises(ValidationError, match="cancelled"):
        services.followup_schedule(
            followup=pending, interviewer=facilitator, scheduled_at=in_days(5), mode="phone"
        )


def test_schedule_refuses_past_time_self_interview_and_missing_place(pending):
    with pytest.raises(ValidationError) as error:
        services.followup_schedule(
            followup=pending,
            interviewer=pending.participant,
            scheduled_at=in_days(-1),
            mode="in_person",
        )
    assert set(error.value.error_dict) == {"interviewer", "scheduled_at", "location"}
    pending.refresh_from_db()
    assert pending.status == FollowUpStatus.PENDING


def test_invitation_ics_has_the_followup_uid_and_a_rising_sequence(
    pending, facilitator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_schedule(
            followup=pending, interviewer=facilitator, scheduled_at=in_days(50), mode="phone"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_schedule(
            followup=pending, interviewer=facilitator, scheduled_at=in_days(51), mode="phone"
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_cancel(followup=pending)
    assert len(mail.outbox) == 3
    seen = []
    for message in mail.outbox:
        assert sorted(message.to) == sorted([pending.participant.email, facilitator.email])
        part = message.attachments[0]
        calendar = Calendar.from_ical(part.get_payload(decode=True))
        event = calendar.walk("VEVENT")[0]
        assert str(event["UID"]) == str(pending.calendar_uid)
        seen.append((str(calendar["METHOD"]), int(event["SEQUENCE"]), event.decoded("DTSTART")))
    assert [(m, s) for m, s, _ in seen] == [("REQUEST", 0), ("REQUEST", 1), ("CANCEL", 2)]
    assert seen[1][2] == in_days(51)


def test_replacing_the_interviewer_cancels_the_event_for_the_old_one(
    pending, facilitator, django_capture_on_commit_callbacks
):
    other = UserFactory(facilitator=True)
    services.followup_schedule(
        followup=pending, interviewer=facilitator, scheduled_at=in_days(50), mode="phone"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.followup_schedule(
            followup=pending, interviewer=other, scheduled_at=in_days(50), mode="phone"
        )
    methods = {
        tuple(m.to): Calendar.from_ical(m.attachments[0].get_payload(decode=True))["METHOD"]
        for m in mail.outbox
    }
    assert methods[(facilitator.email,)] == "CANCEL"
    assert kinds(pending) == sorted(
        [(ReminderKind.DAY_BEFORE, pending.participant_id), (ReminderKind.DAY_BEFORE, other.pk)]
    )


def test_rolled_back_schedule_enqueues_nothing(
    pending, facilitator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            services.followup_schedule(
                followup=pending, interviewer=facilitator, scheduled_at=in_days(5), mode="phone"
            )
            raise RuntimeError("boom")
    assert callbacks == []
    pending.refresh_from_db()
    assert pending.status == FollowUpStatus.PENDING


# --- The sweep -------------------------------------------------------------------------


def test_sweep_sends_due_reminders_once_with_a_message_id_from_the_reminder(pending):
    reminder = due_soon(pending)
    Reminder.objects.filter(pk=reminder.pk).update(send_at=timezone.now() - timedelta(hours=3))
    assert services.reminders_send_due() == 1
    assert services.reminders_send_due() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == f"<reminder-{reminder.pk}@ipcop>"
    assert mail.outbox[0].message()["Message-ID"] == f"<reminder-{reminder.pk}@ipcop>"
    reminder.refresh_from_db()
    assert reminder.sent_at is not None


def test_sweep_sends_in_batches_over_one_mail_connection_and_one_update_each(
    pending, settings, monkeypatch, django_assert_max_num_queries
):
    settings.REMINDER_BATCH_SIZE = 2
    Reminder.objects.filter(followup=pending).update(send_at=timezone.now() - timedelta(hours=1))
    due = pending.reminders.count()
    batches = -(-due // 2)
    opened = []
    real_get_connection = services.get_connection

    def counting_get_connection(*args, **kwargs):
        opened.append(1)
        return real_get_connection(*args, **kwargs)

    monkeypatch.setattr(services, "get_connection", counting_get_connection)
    # Each batch: a savepoint, the claim (with what the emails show), one UPDATE, its
    # release; and the last, empty claim.
    with django_assert_max_num_queries(batches * 4 + 3):
        assert services.reminders_send_due() == due
    assert len(opened) == batches  # one connection a batch
    assert len(mail.outbox) == due
    assert not pending.reminders.unsent().exists()


class RefusingBackend(locmem.EmailBackend):
    """Refuses any batch that holds the email of reminder `refused` (a class attribute)."""

    refused = None

    def send_messages(self, messages):
        if any(
            m.extra_headers["Message-ID"] == f"<reminder-{self.refused}@ipcop>" for m in messages
        ):
            raise ConnectionResetError("SMTP dropped")
        return super().send_messages(messages)


def test_a_refused_email_does_not_hold_back_the_rest_of_its_batch(pending, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    Reminder.objects.filter(followup=pending).update(send_at=timezone.now() - timedelta(hours=1))
    first = pending.reminders.order_by("send_at", "id").first()
    RefusingBackend.refused = first.pk
    assert services.reminders_send_due() == pending.reminders.count() - 1
    assert len(mail.outbox) == pending.reminders.count() - 1
    first.refresh_from_db()
    assert first.sent_at is None and first.attempts == 1 and "SMTP dropped" in first.last_error


def test_sweep_leaves_future_reminders(pending):
    assert services.reminders_send_due() == 0
    assert pending.reminders.unsent().count() == 4


class DownBackend(locmem.EmailBackend):
    def open(self):
        raise ConnectionRefusedError("SMTP down")


def test_a_failed_send_is_recorded_and_retried_later_with_backoff(pending, settings):
    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    reminder = due_soon(pending)
    Reminder.objects.filter(pk=reminder.pk).update(send_at=timezone.now() - timedelta(minutes=1))
    before = timezone.now()
    assert services.reminders_send_due() == 0
    reminder.refresh_from_db()
    assert reminder.attempts == 1 and "SMTP down" in reminder.last_error
    assert reminder.sent_at is None
    assert reminder.send_at >= before + timedelta(minutes=2)
    # A second failure waits longer.
    Reminder.objects.filter(pk=reminder.pk).update(send_at=timezone.now())
    services.reminders_send_due()
    reminder.refresh_from_db()
    assert reminder.attempts == 2
    assert reminder.send_at >= timezone.now() + timedelta(minutes=3)


@pytest.mark.django_db(transaction=True)
def test_reminders_a_sweep_holds_are_skipped_by_a_second_sweep(pending):
    followup = pending
    Reminder.objects.filter(followup=followup).update(send_at=timezone.now() - timedelta(1))
    claimed_elsewhere = []

    def second_sweep():
        try:
            with transaction.atomic():
                claimed_elsewhere.extend(services._claim_due(timezone.now(), 10))
        finally:
            connection.close()

    with transaction.atomic():
        claimed = services._claim_due(timezone.now(), 10)
        thread = threading.Thread(target=second_sweep)
        thread.start()
        thread.join(timeout=30)
    assert len(claimed) == followup.reminders.count() > 0
    assert claimed_elsewhere == []
    # Released unmarked (as by a sweep that died), they are due again.
    assert services.reminders_send_due() == len(claimed)


def test_recompute_does_not_recreate_a_sent_reminder(pending, facilitator):
    Reminder.objects.filter(followup=pending).update(sent_at=timezone.now())
    services.reminders_recompute(followup=pending)
    assert pending.reminders.count() == 4
    assert pending.reminders.unsent().count() == 0


# --- Records and quotes ----------------------------------------------------------------


def test_recording_needs_consent_first(pending, facilitator):
    with pytest.raises(ValidationError, match="consent"):
        services.interview_record_save(
            followup=pending, conducted_on=timezone.localdate(), notes="", themes=[], by=facilitator
        )
    assert not InterviewRecord.objects.exists()


def test_recording_with_consent_completes_the_followup_and_drops_reminders(pending, facilitator):
    theme = Theme.objects.active().first()
    services.interview_consent_record(followup=pending, consent_given=True, by=facilitator)
    record = services.interview_record_save(
        followup=pending,
        conducted_on=timezone.localdate(),
        notes="Joint rounds now.",
        themes=[theme],
        by=facilitator,
    )
    pending.refresh_from_db()
    assert pending.status == FollowUpStatus.COMPLETED
    assert list(record.themes.all()) == [theme]
    assert not pending.reminders.exists()


def test_refusing_consent_declines_the_followup(pending, facilitator):
    services.interview_consent_record(followup=pending, consent_given=False, by=facilitator)
    pending.refresh_from_db()
    assert pending.status == FollowUpStatus.DECLINED
    with pytest.raises(ValidationError):
        services.interview_record_save(
            followup=pending, conducted_on=timezone.localdate(), notes="", themes=[], by=facilitator
        )


def test_quote_needs_speaker_role(facilitator):
    record = InterviewRecordFactory()
    with pytest.raises(ValidationError) as error:
        services.quote_add(record=record, text="It helped.", speaker_role=" ", may_publish=True)
    assert "speaker_role" in error.value.error_dict


# --- The codebook ----------------------------------------------------------------------


def test_theme_names_are_unique_ignoring_case():
    services.theme_add(name="Shared charting")
    with pytest.raises(ValidationError, match="already has"):
        services.theme_add(name="shared  CHARTING")


def test_merging_themes_moves_coding_and_quotes_without_losing_any():
    source, target = ThemeFactory(), ThemeFactory()
    both = InterviewRecordFactory(themes=[source, target])
    only_source = InterviewRecordFactory(themes=[source])
    quote = QuoteFactory(record=only_source, theme=source)
    services.theme_merge(source=source, target=target)
    assert list(both.themes.all()) == [target]
    assert list(only_source.themes.all()) == [target]
    quote.refresh_from_db()
    assert quote.theme == target
    source.refresh_from_db()
    assert source.merged_into == target and not source.is_active
    assert target.records.count() == 2


def test_cannot_merge_into_a_merged_theme_or_itself():
    a, b, c = ThemeFactory(), ThemeFactory(), ThemeFactory()
    services.theme_merge(source=a, target=b)
    with pytest.raises(ValidationError):
        services.theme_merge(source=c, target=a)
    with pytest.raises(ValidationError):
        services.theme_merge(source=c, target=c)


def test_calendar_feed_token_is_stored_as_digest_and_revocable(facilitator):
    feed, token = services.calendar_feed_create(owner=facilitator)
    assert len(token) >= 40 and token not in feed.token_digest
    second, token2 = services.calendar_feed_create(owner=facilitator)
    feed.refresh_from_db()
    assert feed.revoked_at is not None and second.revoked_at is None and token2 != token
    services.calendar_feed_revoke(owner=facilitator)
    second.refresh_from_db()
    assert second.revoked_at is not None
