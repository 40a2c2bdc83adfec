"""Settings of `make bench`: production settings (DEBUG off) plus two things only the
benchmark needs: a bare view (the ceiling of this stack) and a per-request query count
exported in an `X-Queries` response header. Never used outside the benchmark."""

import os
import secrets

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ipcop_bench")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from ipcop.settings import *  # noqa: F403
from ipcop.settings import BASE_DIR, MIDDLEWARE, TEMPLATES

ROOT_URLCONF = "bench.urls"
# First, so it counts every query of the request, the session and user look-ups included.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
STATIC_ROOT = BASE_DIR / "var" / "bench-static"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
