"""Test settings: only what tests need differs from production settings.

The suite runs against PostgreSQL (DATABASE_URL, default the local server) and Redis
(CELERY_BROKER_URL, default the local server).
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-0123456789abcdef")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ipcop")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from ipcop.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# WhiteNoise warns about a missing STATIC_ROOT; the live server serves from the finders.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405
# Private uploads of a test run go to a folder of their own, never var/private; tests that
# look at the files point it at their own tmp_path.
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ipcop-test-private-"))  # noqa: F405
atexit.register(shutil.rmtree, PRIVATE_MEDIA_ROOT, ignore_errors=True)
