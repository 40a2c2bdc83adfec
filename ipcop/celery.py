"""The Celery app. The worker runs with `celery -A ipcop worker -B` (one beat only)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipcop.settings")

app = Celery("ipcop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
