"""Reminders with a real Celery worker (a subprocess) on a real broker — not eager mode.

The data is committed (transaction=True) in the pytest test database, which the worker
reads through DATABASE_URL; the worker writes its emails to files that the test reads.
"""

import contextlib
import email
import os
import re
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from icalendar import Calendar
from kombu import Connection

from interviews import services
from interviews.models import FollowUp, Reminder, ReminderKind
from interviews.tasks import sweep_reminders
from interviews.tests.factories import FollowUpFactory
from ipcop.celery import app as celery_app
from placements.tests.factories import PlacementFactory

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(__file__).resolve().parents[2]
# The suite's Redis server (CELERY_BROKER_URL: the machine's, or the one `make test`
# started), another database than the broker's.
REDIS_URL = urlsplit(settings.CELERY_BROKER_URL)._replace(path="/14").geturl()
OWN_REDIS_PORT = 6390
MESSAGE_ID = re.compile(rb"^Message-ID: <reminder-(\d+)@ipcop>", re.MULTILINE | re.IGNORECASE)


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    if socket_dir := s["OPTIONS"].get("host"):  # the embedded server's Unix socket
        return f"postgresql://{auth}@/{s['NAME']}?host={socket_dir}"
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _wait(predicate, timeout=20.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


class Worker:
    """A `celery -A ipcop worker --pool=solo` subprocess against the test database."""

    def __init__(self, tmp_path: Path, broker_url: str, **env):
        self.broker_url = broker_url
        self.mail_dir = tmp_path / "mail"
        self.mail_dir.mkdir(parents=True, exist_ok=True)
        self.log = tmp_path / "worker.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "interviews.tests.worker_settings",
            "DATABASE_URL": _database_url(),
            "DB_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": broker_url,
            "EMAIL_BACKEND": "interviews.tests.slow_mail.SlowFileEmailBackend",
            "EMAIL_FILE_PATH": str(self.mail_dir),
            **{k: str(v) for k, v in env.items()},
        }
        self.process = None

    def start(self, **env):
        self.env.update({k: str(v) for k, v in env.items()})
        offset = self.log.stat().st_size if self.log.exists() else 0
        self.process = subprocess.Popen(
            [
                str(BASE_DIR / ".venv/bin/celery"),
                "-A",
                "ipcop",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-mingle",
                "--without-gossip",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _wait(
            lambda: b" ready." in self.log.read_bytes()[offset:] or self.process.poll() is not None,
            timeout=30,
            what="the worker to start",
        )
        assert self.process.poll() is None, self.log.read_text()
        return self

    def kill(self, sig=signal.SIGKILL):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            self.process.wait(timeout=15)

    def stop(self):
        # The test is over: no need for a warm shutdown.
        self.kill()

    def sent_reminders(self) -> Counter:
        """How many times each reminder id was emailed, read from the worker's mail files."""
        counts: Counter[int] = Counter()
        for path in self.mail_dir.glob("*.log"):
            counts.update(int(i) for i in MESSAGE_ID.findall(path.read_bytes()))
        return counts

    def mail_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in self.mail_dir.glob("*.log"))

    def calendars(self) -> list[Calendar]:
        """The .ics attachments of the emails the worker sent, parsed back."""
        found = []
        for path in self.mail_dir.glob("*.log"):
            for raw in path.read_bytes().split(b"-" * 79):
                message = email.message_from_bytes(raw.strip())
                for part in message.walk():
                    if part.get_content_type() == "text/calendar":
                        payload = part.get_payload(decode=True)
                        assert isinstance(payload, bytes)
                        found.append(Calendar.from_ical(payload))
        return found

    def enqueue_sweep(self, **transport_options):
        """What beat does every minute: put a sweep on the broker."""
        with Connection(self.broker_url, transport_options=transport_options) as conn:
            sweep_reminders.apply_async(connection=conn, retry=False)


@pytest.fixture
def worker_factory(transactional_db, tmp_path):
    workers = []

    def make(broker_url=REDIS_URL, **env):
        worker = Worker(tmp_path / f"w{len(workers)}", broker_url, **env)
        (tmp_path / f"w{len(workers)}").mkdir(exist_ok=True)
        workers.append(worker)
        return worker

    yield make
    for worker in workers:  # stopped before pytest-django flushes the database
        worker.stop()


@pytest.fixture
def clean_queue():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def due_reminders(n: int, *, ago=timedelta(minutes=1)) -> list[Reminder]:
    """`n` unsent reminders whose time came `ago`."""
    reminders = []
    for _ in range(n):
        followup = cast(FollowUp, FollowUpFactory(placement=PlacementFactory()))
        reminders.append(
            Reminder.objects.create(
                followup=followup,
                recipient=followup.participant,
                kind=ReminderKind.OVERDUE_1,
                send_at=timezone.now() - ago,
            )
        )
    return reminders


def all_sent(ids) -> bool:
    return not Reminder.objects.filter(id__in=ids, sent_at__isnull=True).exists()


def test_worker_delivers_a_due_reminder_once(worker_factory, clean_queue):
    [reminder] = due_reminders(1)
    worker = worker_factory().start()
    worker.enqueue_sweep()
    _wait(lambda: worker.sent_reminders(), what="the reminder email")
    _wait(lambda: all_sent([reminder.id]), what="the row to be marked sent")
    assert worker.sent_reminders() == Counter({reminder.id: 1})
    assert "overdue" in worker.mail_text().lower()


def test_beat_down_three_hours_sends_each_missed_reminder_once(worker_factory, clean_queue):
    missed = due_reminders(5, ago=timedelta(hours=3))
    worker = worker_factory().start()
    worker.enqueue_sweep()
    _wait(lambda: all_sent([r.id for r in missed]), what="the missed reminders")
    # A second sweep (proven to have run: it delivers a fresh reminder) sends nothing again.
    [fresh] = due_reminders(1)
    worker.enqueue_sweep()
    _wait(lambda: all_sent([fresh.id]), what="the second sweep")
    assert worker.sent_reminders() == Counter({r.id: 1 for r in [*missed, fresh]})


def test_worker_killed_mid_sweep_delivers_each_reminder_exactly_once(worker_factory, clean_queue):
    reminders = due_reminders(10)
    ids = [r.id for r in reminders]
    # A batch's emails go out in one call of the mail backend, each call taking 0.3 s.
    worker = worker_factory(SLOW_MAIL_SECONDS=0.3, REMINDER_BATCH_SIZE=4).start()
    worker.enqueue_sweep()
    _wait(lambda: sum(worker.sent_reminders().values()) >= 3, what="the sweep to be under way")
    worker.kill(signal.SIGKILL)
    before_restart = sum(worker.sent_reminders().values())
    assert before_restart < len(ids), "the sweep finished before it was killed"

    worker.start(SLOW_MAIL_SECONDS=0)

    def sweep_until_all_sent():
        worker.enqueue_sweep()  # as beat would, every minute
        time.sleep(0.5)
        return all_sent(ids)

    _wait(sweep_until_all_sent, timeout=20, interval=0.5, what="every reminder to go out")
    assert worker.sent_reminders() == Counter(dict.fromkeys(ids, 1))


@pytest.fixture
def own_redis(tmp_path):
    """A redis-server of our own (not the machine's), so the test can stop and start it."""

    class OwnRedis:
        url = f"redis://127.0.0.1:{OWN_REDIS_PORT}/0"
        process = None

        def start(self):
            self.process = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(OWN_REDIS_PORT),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                    "--dir",
                    str(tmp_path),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait(self._answers, timeout=10, what="redis-server")

        def _answers(self):
            try:
                return redis.Redis(port=OWN_REDIS_PORT).ping()
            except redis.ConnectionError:
                return False

        def stop(self):
            if self.process and self.process.poll() is None:
                self.process.kill()
                self.process.wait(timeout=10)

    server = OwnRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def web_broker():
    """Point this process's Celery app (the web app's side) at another broker."""

    def use(url):
        # CELERY_BROKER_URL in the environment wins over conf.broker_url; the write URL
        # (what publishing uses) can still be set.
        celery_app.conf["broker_write_url"] = url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    yield use
    celery_app.conf["broker_write_url"] = None
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_with_redis_stopped_the_web_app_works_and_reminders_go_out_after_it_returns(
    worker_factory, own_redis, web_broker, client, caplog, site_a, facilitator
):
    web_broker(own_redis.url)
    worker = worker_factory(broker_url=own_redis.url).start()
    followup = FollowUpFactory(placement=PlacementFactory(site=site_a))
    own_redis.stop()

    client.force_login(facilitator)
    soon = timezone.localtime(timezone.now() + timedelta(hours=3))
    started = time.monotonic()
    response = client.post(
        f"/interviews/followups/{followup.pk}/schedule/",
        {
            "interviewer": facilitator.pk,
            "scheduled_at": soon.strftime("%Y-%m-%dT%H:%M"),
            "mode": "phone",
            "location": "",
        },
    )
    assert response.status_code == 302, response.content
    assert time.monotonic() - started < 10
    assert "Could not enqueue" in caplog.text
    followup.refresh_from_db()
    assert followup.status == "scheduled"
    # The interview is within a day: its day-before reminders are due now and wait in rows.
    day_before = list(followup.reminders.filter(kind=ReminderKind.DAY_BEFORE, sent_at__isnull=True))
    assert len(day_before) == 2

    own_redis.start()
    ids = [r.id for r in day_before]

    def sweep_until_sent():
        # Our redis-server may still be starting: a failed publish is retried next round.
        with contextlib.suppress(Exception):
            worker.enqueue_sweep()
        time.sleep(0.5)
        return all_sent(ids)

    _wait(sweep_until_sent, timeout=30, interval=0.5, what="reminders after Redis returned")
    assert worker.sent_reminders() == Counter(dict.fromkeys(ids, 1))


def test_rolled_back_transaction_enqueues_nothing(
    worker_factory, clean_queue, web_broker, site_a, facilitator
):
    web_broker(REDIS_URL)
    worker = worker_factory().start()
    followup = FollowUpFactory(placement=PlacementFactory(site=site_a))
    when = timezone.now() + timedelta(days=3)

    with pytest.raises(RuntimeError), transaction.atomic():
        services.followup_schedule(
            followup=followup, interviewer=facilitator, scheduled_at=when, mode="phone"
        )
        raise RuntimeError("something later in the request failed")
    time.sleep(1.5)
    assert clean_queue.llen("celery") == 0
    assert worker.mail_text() == ""
    assert FollowUp.objects.get(pk=followup.pk).status == "pending"

    # The same change committed does reach the worker: the invitation is emailed.
    services.followup_schedule(
        followup=followup, interviewer=facilitator, scheduled_at=when, mode="phone"
    )
    [calendar] = _wait(worker.calendars, what="the invitation email")
    assert str(calendar.walk("VEVENT")[0]["UID"]) == str(followup.calendar_uid)


def test_embedded_filesystem_broker_delivers_a_reminder(worker_factory, settings):
    folders = {
        "data_folder_in": str(BASE_DIR / "var" / "broker" / "out"),
        "data_folder_out": str(BASE_DIR / "var" / "broker" / "out"),
        "processed_folder": str(BASE_DIR / "var" / "broker" / "processed"),
        "control_folder": str(BASE_DIR / "var" / "broker" / "control"),
        "store_processed": False,
    }
    for key in ("data_folder_out", "processed_folder", "control_folder"):
        Path(folders[key]).mkdir(parents=True, exist_ok=True)
    [reminder] = due_reminders(1)
    worker = worker_factory(broker_url="filesystem://").start()
    worker.enqueue_sweep(**folders)
    _wait(lambda: all_sent([reminder.id]), what="the reminder via the filesystem broker")
    assert worker.sent_reminders() == Counter({reminder.id: 1})
