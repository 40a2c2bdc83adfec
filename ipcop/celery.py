"""The Celery app. The worker runs with `celery -A ipcop worker -B` (one beat only)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipcop.settings")

app = Celery("ipcop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="ipcop.beat_tick", ignore_result=True)
def beat_tick() -> None:
    """The beat's heartbeat (every minute, CELERY_BEAT_SCHEDULE): that a worker ran it
    recently shows /readyz that beat, the broker and a worker all work."""
    from ipcop.health import record_beat_tick  # ipcop.health imports this module's app

    record_beat_tick()
