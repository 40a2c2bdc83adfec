"""IPCoP settings, driven by environment variables.

Every variable is documented in README.md. Defaults let `make run` work on a laptop with
nothing but Python (the embedded PostgreSQL in var/postgres, a filesystem Celery broker,
console email); with DEBUG off, start-up refuses the insecure defaults.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local, uncommitted `.env` file may hold the variables below; the real environment wins.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105 - refused when DEBUG is off

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else "")
if not DEBUG and (not SECRET_KEY or SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random value of at least 32 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Our `sites` app owns the label "sites": django.contrib.sites is deliberately not
    # installed (IPCoP serves one domain), so the two never collide.
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "axes",
    "pgtrigger",
    "accounts",
    "sites",
    "placements",
    "mentoring",
    "interviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ipcop.middleware.RequestSizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "ipcop.middleware.NoStoreForPersonalDataMiddleware",
    "accounts.middleware.AuditDeniedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it turns a login the throttle refused into the page saying how long to wait.
    "accounts.middleware.LoginThrottleMiddleware",
]

ROOT_URLCONF = "ipcop.urls"

TEMPLATES: list[dict[str, Any]] = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # The date and phone filters every page uses, without a load tag in each.
            "builtins": [
                "django.templatetags.static",
                "accounts.templatetags.date_tags",
                "accounts.templatetags.phone_tags",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "ipcop.wsgi.application"

# --- Database: PostgreSQL everywhere (development, tests, production). The app relies on
# its features (triggers declared with django-pgtrigger, SKIP LOCKED), so dev runs on what
# production runs. Unset, DATABASE_URL is the embedded server of `make run` (its Unix
# socket in var/postgres, bin/embedded_postgres.py).
DATABASES = {
    "default": env.db(
        "DATABASE_URL", default=f"postgresql://postgres@/ipcop_dev?host={VAR_DIR / 'postgres'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
# A kept connection is tested before a request reuses it, so a database restart or
# failover costs no request an error (one round trip per request; docs/deployment.md).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DB_CONN_HEALTH_CHECKS", default=True)
# DB_POOLER=pgbouncer: a pooler in transaction mode sits between the app and PostgreSQL, so
# one session's state does not outlive its transaction. Server-side cursors (the CSV
# export's .iterator()) are such state: a later FETCH may reach another server connection.
DB_POOLER = env.str("DB_POOLER", default="none")
if DB_POOLER not in ("none", "pgbouncer"):
    raise ImproperlyConfigured(
        "DB_POOLER must be none or pgbouncer (a pooler in transaction mode)."
    )
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = DB_POOLER == "pgbouncer"

# --- Cache: panels read far more often than written, under versioned keys that the
# services bump (ipcop/lib/cache.py). Redis in production (CACHE_URL), local memory in
# development and when nothing is configured.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://ipcop")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Login by normalised email behind the login throttle (see "Login throttling" below).
AUTHENTICATION_BACKENDS = [
    "accounts.backends.EmailLoginBackend",
    "accounts.backends.AdminRoleBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-ca"
TIME_ZONE = env.str("TIME_ZONE", default="America/Edmonton")
# The country code a phone number written without one gets in its tap-to-call link.
PHONE_COUNTRY_CODE = env.str("PHONE_COUNTRY_CODE", default="1")
if not PHONE_COUNTRY_CODE.isdigit():
    raise ImproperlyConfigured("PHONE_COUNTRY_CODE must be digits, e.g. 1 or 44.")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Private uploads (ipcop/lib/uploads.py): documents served only through a view that
# checks access first, so their folder is never one a URL serves.
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(VAR_DIR / "private")))
if not PRIVATE_MEDIA_ROOT.is_absolute():
    raise ImproperlyConfigured("PRIVATE_MEDIA_ROOT must be an absolute path.")
for _served in (STATIC_ROOT, BASE_DIR / "static"):
    if PRIVATE_MEDIA_ROOT.resolve().is_relative_to(Path(_served).resolve()):
        raise ImproperlyConfigured(
            f"PRIVATE_MEDIA_ROOT must not lie under {_served}: files there are served to anyone."
        )
PRIVATE_UPLOAD_MAX_BYTES = env.int("PRIVATE_UPLOAD_MAX_MB", default=10) * 1024 * 1024
if PRIVATE_UPLOAD_MAX_BYTES <= 0:
    raise ImproperlyConfigured("PRIVATE_UPLOAD_MAX_MB must be a positive number of megabytes.")

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email: console by default; SMTP (or any backend) by environment.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="IPCoP <ipcop@localhost>")
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))

# --- Celery: Redis when CELERY_BROKER_URL is set, otherwise kombu's filesystem transport
# in var/broker so a worker with -B runs on one laptop with no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# One beat, one sweep a minute: the reminder rows are the truth, the sweep only wakes up
# to send the due ones (`expires`: a sweep not started within the minute is dropped, the
# next one does its work, so a long worker outage does not leave a pile of sweeps).
CELERY_BEAT_SCHEDULE: dict = {
    "interviews-sweep-reminders": {
        "task": "interviews.tasks.sweep_reminders",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Background imports whose message was lost (the broker was away) or whose worker
    # died: their rows say so, the sweep wakes them.
    "placements-resume-import-jobs": {
        "task": "placements.tasks.resume_import_jobs",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Data retention: blank interview notes older than INTERVIEW_NOTES_RETENTION_DAYS.
    "interviews-purge-interview-notes": {
        "task": "interviews.tasks.purge_interview_notes",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60},
    },
    # Affiliation agreements: those past their end marked expired, and the notices of
    # those ending soon written to the outbox (the sweep above sends them).
    "placements-expire-agreements": {
        "task": "placements.tasks.expire_agreements",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60},
    },
    "interviews-queue-agreement-reminders": {
        "task": "interviews.tasks.queue_agreement_reminders",
        "schedule": 24 * 60 * 60.0,
        "options": {"expires": 60 * 60},
    },
    # The beat's heartbeat, run by a worker: /readyz reads it (ipcop/health.py).
    "ipcop-beat-tick": {
        "task": "ipcop.beat_tick",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
}

# --- Readiness (/readyz): fails when the last beat tick a worker recorded (in the cache,
# which must be shared: CACHE_URL) is older than this; 0 leaves the beat out.
READINESS_BEAT_MAX_AGE_SECONDS = env.int("READINESS_BEAT_MAX_AGE_SECONDS", default=300)
if READINESS_BEAT_MAX_AGE_SECONDS < 0:
    raise ImproperlyConfigured("READINESS_BEAT_MAX_AGE_SECONDS must be 0 or a number of seconds.")

# --- Domain settings.
FOLLOWUP_DELAY_MONTHS = env.int("FOLLOWUP_DELAY_MONTHS", default=6)
if FOLLOWUP_DELAY_MONTHS < 1:
    raise ImproperlyConfigured("FOLLOWUP_DELAY_MONTHS must be a positive number of months.")
# The address people reach IPCoP at, for absolute links in emails (reminders, invitations).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000" if DEBUG else "")
SESSION_EDIT_WINDOW = timedelta(days=env.int("SESSION_EDIT_WINDOW_DAYS", default=14))
# The organisation that issues statements (a preceptor's mentoring hours) and reports.
ORGANISATION_NAME = env.str("ORGANISATION_NAME", default="IPCoP").strip()
if not ORGANISATION_NAME:
    raise ImproperlyConfigured("ORGANISATION_NAME must not be empty.")

# --- Security. HTTPS settings default on when DEBUG is off.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and monitors probe a node directly over plain HTTP: answer, not redirect.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True  # the cookie age is an idle timeout, not a fixed lifetime
X_FRAME_OPTIONS = "DENY"
# The largest request body accepted; larger ones are refused from their Content-Length
# before anything reads them. The import's upload takes a background import's file (up
# to placements.importers.MAX_JOB_BYTES, 20 MB) and its form.
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=3_000_000)
MAX_REQUEST_BYTES_BY_VIEW = {
    "placements:import": env.int("MAX_IMPORT_REQUEST_BYTES", default=21_000_000)
}

# --- Login throttling, client addresses, account emails (README, Security).
# The client address: with TRUSTED_PROXY_COUNT proxies in front (1 behind the TLS proxy
# of the production set-up), the N-th address from the right of X-Forwarded-For;
# REMOTE_ADDR with 0. Set it to exactly the number of proxies: more lets clients choose
# their address, fewer makes every client share the proxy's.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or a positive number of proxies.")
# Per account (ipcop/lib/login.py): LOGIN_FREE_FAILURES failures cost nothing; then each
# attempt waits 2, 4, 8… seconds after the previous one, at most LOGIN_MAX_DELAY_SECONDS
# (an hour at most: a stranger may slow an account down, not lock it). The failures are
# forgotten after LOGIN_ACCOUNT_RESET_MINUTES without an attempt, or at a login.
LOGIN_FREE_FAILURES = env.int("LOGIN_FREE_FAILURES", default=5)
LOGIN_MAX_DELAY_SECONDS = env.int("LOGIN_MAX_DELAY_SECONDS", default=300)
LOGIN_ACCOUNT_RESET_MINUTES = env.int("LOGIN_ACCOUNT_RESET_MINUTES", default=60)
# Per client address, across accounts (password spraying): at most
# LOGIN_ADDRESS_FAILURE_LIMIT unsuccessful attempts per LOGIN_ADDRESS_WINDOW_MINUTES.
LOGIN_ADDRESS_FAILURE_LIMIT = env.int("LOGIN_ADDRESS_FAILURE_LIMIT", default=30)
LOGIN_ADDRESS_WINDOW_MINUTES = env.int("LOGIN_ADDRESS_WINDOW_MINUTES", default=15)
for _name in ("LOGIN_FREE_FAILURES", "LOGIN_ACCOUNT_RESET_MINUTES",
              "LOGIN_ADDRESS_FAILURE_LIMIT", "LOGIN_ADDRESS_WINDOW_MINUTES"):  # fmt: skip
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a positive number.")
if not 1 <= LOGIN_MAX_DELAY_SECONDS <= 3600:
    raise ImproperlyConfigured("LOGIN_MAX_DELAY_SECONDS must be between 1 and 3600 seconds.")
for _old, _new in (("AXES_FAILURE_LIMIT", "LOGIN_FREE_FAILURES"),
                   ("AXES_COOLOFF_MINUTES", "LOGIN_MAX_DELAY_SECONDS")):  # fmt: skip
    if env.str(_old, default=""):
        raise ImproperlyConfigured(
            f"{_old} is no longer read: logins are throttled by {_new} and the other "
            "LOGIN_* variables (README, Security)."
        )
# django-axes only records attempts and logins for admins to read (Access attempts, Access
# logs); it locks nobody out, so its backend and middleware are not installed.
AXES_LOCK_OUT_AT_FAILURE = False
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"  # Django's login form names the email field so
AXES_USERNAME_CALLABLE = "accounts.backends.axes_username"
AXES_CLIENT_IP_CALLABLE = "ipcop.lib.http.client_ip"
AXES_RESET_ON_SUCCESS = True
SILENCED_SYSTEM_CHECKS = ["axes.W002", "axes.W003"]  # axes' middleware and backend: above
# Invitations (accounts.services.invitation_send): a link that sets a first password.
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
if not 1 <= INVITATION_VALID_DAYS <= 30:
    raise ImproperlyConfigured("INVITATION_VALID_DAYS must be between 1 and 30 days.")

# Interview notes are blanked this many days after the interview (privacy: keep no longer
# than needed); the themes and quotes coded from them stay. See `purge_interview_notes`.
INTERVIEW_NOTES_RETENTION_DAYS = env.int("INTERVIEW_NOTES_RETENTION_DAYS", default=730)
if INTERVIEW_NOTES_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("INTERVIEW_NOTES_RETENTION_DAYS must be a positive number of days.")

# No inline scripts or styles anywhere: every asset is a file under static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logs on standard error: LOG_FORMAT=text for people, json for a log collector (one
# JSON object a line: time, level, logger, message, and the exception's traceback).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("LOG_FORMAT must be text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": ["asctime", "levelname", "name", "message"],
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"}
        | ({"formatter": "json"} if LOG_FORMAT == "json" else {})
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # django-axes logs every login at INFO; failures and lockouts are warnings and stay.
    "loggers": {"axes": {"level": "WARNING"}},
}
# The worker's logs through the handler above too (Celery otherwise installs its own
# text format on the root logger).
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# --- Errors to Sentry when SENTRY_DSN is set (web and worker; the Django and Celery
# integrations turn on by themselves). IPCoP holds students' records and interview notes,
# so nothing personal leaves: no user, address or cookie (send_default_pii), no request
# body, no local variables of the failing frames.
SENTRY_DSN = env.str("SENTRY_DSN", default="")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env.str("SENTRY_ENVIRONMENT", default="production"),
        traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
    )
