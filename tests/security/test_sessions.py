"""Login and sessions: throttling with lockout (django-axes), a new session key at login,
sessions that end on logout and after the idle time, and cookie flags in production."""

import datetime
import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def person():
    return UserFactory(email="ann@example.org", password="right-passphrase")


def log_in(client, email, password, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def test_login_works_through_the_form(client, person):
    response = log_in(client, "ann@example.org", "right-passphrase")
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_repeated_failures_lock_the_email_out_even_with_the_right_password(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "ann@example.org", "wrong").status_code == 200
    locked = log_in(client, "ann@example.org", "wrong")
    assert locked.status_code == 429
    assert "Too many login attempts" in locked.content.decode()
    assert f"{settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in locked.content.decode()
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 429
    assert client.get(reverse("home")).status_code == 302  # still not logged in
    # The attempts are recorded for the admin to read.
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "ann@example.org"
    assert attempt.failures_since_start >= settings.AXES_FAILURE_LIMIT


def test_the_lockout_counts_the_email_however_it_is_typed(client, person):
    spellings = ["Ann@Example.org", "ann@example.org ", "ANN@EXAMPLE.ORG", "ann@example.org"]
    for spelling in (spellings * 2)[: settings.AXES_FAILURE_LIMIT]:
        log_in(client, spelling, "wrong")
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 429


def test_the_lockout_is_per_email_and_address(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "ann@example.org", "wrong")
    # The same person from another address, and another person from this one, still log in.
    other = UserFactory(email="bob@example.org", password="bobs-passphrase")
    assert log_in(client, other.email, "bobs-passphrase").status_code == 302
    client.logout()
    response = log_in(client, "ann@example.org", "right-passphrase", REMOTE_ADDR="192.0.2.9")
    assert response.status_code == 302


def test_the_lockout_is_logged(client, person, caplog):
    with caplog.at_level("WARNING"):
        for _ in range(settings.AXES_FAILURE_LIMIT + 1):
            log_in(client, "ann@example.org", "wrong")
    assert any("locked out" in record.getMessage().lower() for record in caplog.records)


def test_a_success_resets_the_count(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "ann@example.org", "wrong")
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302
    client.logout()
    log_in(client, "ann@example.org", "wrong")
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302


def test_login_gives_a_new_session_key(client, person):
    session = client.session  # an anonymous session, as a visitor would have
    session["marker"] = "before"
    session.save()
    before = session.session_key
    log_in(client, "ann@example.org", "right-passphrase")
    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()


def test_logout_ends_the_session_on_the_server(client, person):
    log_in(client, "ann@example.org", "right-passphrase")
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    # Replaying the old cookie does not log back in.
    client.cookies[settings.SESSION_COOKIE_NAME] = key
    assert client.get(reverse("home")).status_code == 302


def test_sessions_expire_after_the_idle_time_and_each_request_extends_them(client, person):
    assert settings.SESSION_COOKIE_AGE == 30 * 60  # SESSION_IDLE_MINUTES default
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is False
    client.force_login(person)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=key).update(
        expire_date=Session.objects.get(session_key=key).expire_date.replace(year=2000)
    )
    # An idle session past its age is gone: the person is asked to log in again.
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_each_request_pushes_the_expiry_forward(client, person):
    client.force_login(person)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    session = Session.objects.get(session_key=key)
    soon = session.expire_date.replace(microsecond=0) - datetime.timedelta(minutes=29)
    Session.objects.filter(session_key=key).update(expire_date=soon)
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.get(session_key=key).expire_date > soon


def import_settings(code: str, **env):
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import ipcop.settings as s; {code}"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_cookies_are_secure_httponly_and_samesite():
    result = import_settings(
        "print(s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SESSION_COOKIE_SAMESITE,"
        " s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_AGE)",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="ipcop.example",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "Lax", "True", "1800"]


def test_idle_time_and_lockout_are_configurable():
    result = import_settings(
        "print(s.SESSION_COOKIE_AGE, s.AXES_COOLOFF_TIME.total_seconds(), s.AXES_FAILURE_LIMIT)",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="ipcop.example",
        SESSION_IDLE_MINUTES="10",
        AXES_COOLOFF_MINUTES="60",
        AXES_FAILURE_LIMIT="3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["600", "3600.0", "3"]


def test_a_nonsensical_lockout_setting_is_refused():
    result = import_settings(
        "print(1)", SECRET_KEY="k" * 50, ALLOWED_HOSTS="ipcop.example", AXES_COOLOFF_MINUTES="0"
    )
    assert result.returncode != 0
    assert "AXES_COOLOFF_MINUTES" in result.stderr
