"""Settings for the Celery worker subprocess of the real-worker tests.

The test settings, plus what the worker tests need to observe and provoke: the email
backend from the environment (the file backend, so the test reads what the worker sent)
and the sweep's knobs (small batches, slow sending).
"""

import os

from ipcop.settings_test import *  # noqa: F403

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", EMAIL_BACKEND)  # noqa: F405
REMINDER_BATCH_SIZE = int(os.environ.get("REMINDER_BATCH_SIZE", "20"))
SLOW_MAIL_SECONDS = float(os.environ.get("SLOW_MAIL_SECONDS", "0"))
