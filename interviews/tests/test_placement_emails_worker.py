"""A confirmed placement's emails delivered by a real Celery worker (a subprocess) on a
real broker: the rows written in the confirmation's transaction are what the sweep sends.
The worker machinery is the reminders' (test_worker)."""

import datetime
import time
from collections import Counter

import pytest
from django.utils import timezone

from interviews.models import Reminder, ReminderKind
from interviews.tests.test_worker import _wait, worker_factory  # noqa: F401  (a fixture)
from mentoring.models import MentorRole
from mentoring.tests.factories import MentorAssignmentFactory
from placements.services import placement_confirm
from placements.tests.factories import PlacementFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_worker_delivers_a_confirmed_placements_emails_once(worker_factory, site_a, facilitator):  # noqa: F811
    start = timezone.localdate() + datetime.timedelta(days=30)
    placement = PlacementFactory(
        site=site_a, start_date=start, student__user__email="sam@example.org"
    )
    MentorAssignmentFactory(placement=placement, role=MentorRole.PRIMARY)
    MentorAssignmentFactory(placement=placement)
    placement_confirm(placement=placement, changed_by=facilitator)
    rows = list(Reminder.objects.filter(placement=placement, kind=ReminderKind.PLACEMENT_CONFIRMED))
    assert len(rows) == 3  # the student and two mentors
    ids = [row.pk for row in rows]

    worker = worker_factory().start()

    def sweep_until_sent():
        worker.enqueue_sweep()  # as beat would, every minute
        time.sleep(0.5)
        return not Reminder.objects.filter(pk__in=ids, sent_at__isnull=True).exists()

    _wait(sweep_until_sent, timeout=30, interval=0.5, what="the confirmation emails")
    # One more sweep sends nothing again; the week-before reminder waits for its day.
    worker.enqueue_sweep()
    time.sleep(1.5)
    assert worker.sent_reminders() == Counter(dict.fromkeys(ids, 1))
    assert "Placement confirmed" in worker.mail_text()
    uids = {str(c.walk("VEVENT")[0]["UID"]) for c in worker.calendars()}
    assert uids == {f"placement-{placement.pk}@ipcop"}
    assert (
        Reminder.objects.get(placement=placement, kind=ReminderKind.PLACEMENT_STARTS_SOON).sent_at
        is None
    )
