"""Login and sessions: throttling (growing delays per account, a budget per client address,
the client's address behind trusted proxies), a new session key at login, sessions that
end on logout and after the idle time, and cookie flags in production."""

import datetime
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.urls import reverse

from accounts.models import AuditEvent
from accounts.tests.factories import UserFactory
from ipcop.lib.login import delay_after

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
FREE = settings.LOGIN_FREE_FAILURES


@pytest.fixture
def person():
    return UserFactory(email="ann@example.org", password="right-passphrase")


@pytest.fixture
def clock(monkeypatch):
    """`clock(seconds)` moves time on (the throttle's and the cache's expiry alike)."""
    offset = 0.0
    real = time.time

    def advance(seconds: float) -> None:
        nonlocal offset
        offset += seconds

    monkeypatch.setattr(time, "time", lambda: real() + offset)
    return advance


def log_in(client, email, password, **extra):
    return client.post(reverse("login"), {"username": email, "password": password}, **extra)


def via_proxy(client_address: str) -> dict:
    """What our TLS proxy (10.0.0.1) sends: the client's address appended to X-Forwarded-For."""
    return {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": client_address}


def test_login_works_through_the_form(client, person):
    response = log_in(client, "ann@example.org", "right-passphrase")
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


# --- Per account: growing delays, never a long lock ---------------------------------------


def test_delays_double_after_the_free_failures_up_to_the_cap():
    assert [delay_after(n) for n in range(FREE)] == [0] * FREE
    assert [delay_after(FREE + n) for n in range(4)] == [2, 4, 8, 16]
    assert delay_after(FREE + 100) == settings.LOGIN_MAX_DELAY_SECONDS == 300


def test_after_the_free_failures_even_the_right_password_waits_for_the_delay(client, person, clock):
    for _ in range(FREE):
        assert log_in(client, "ann@example.org", "wrong").status_code == 200
    refused = log_in(client, "ann@example.org", "right-passphrase")
    assert refused.status_code == 429
    assert "Wait 2 seconds before trying again" in refused.content.decode()
    assert refused["Retry-After"] == "2"
    assert client.get(reverse("home")).status_code == 302  # not logged in
    clock(2)
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302


def test_each_further_failure_doubles_the_wait(client, person, clock):
    for _ in range(FREE):
        log_in(client, "ann@example.org", "wrong")
    for expected in (2, 4, 8):
        clock(expected)
        assert log_in(client, "ann@example.org", "wrong").status_code == 200
        assert log_in(client, "ann@example.org", "wrong")["Retry-After"] == str(expected * 2)


def test_a_stranger_can_only_slow_an_account_down_never_lock_it_for_long(client, person, clock):
    """Behind the TLS proxy every client shares the proxy's address: a stranger's failures
    must not shut the owner out for long (item 4 of issue 16)."""
    with override_settings(TRUSTED_PROXY_COUNT=1):
        for n in range(40):
            clock(settings.LOGIN_MAX_DELAY_SECONDS)
            log_in(client, "ann@example.org", "wrong", **via_proxy(f"203.0.113.{n}"))
        refused = log_in(client, "ann@example.org", "right-passphrase", **via_proxy("198.51.100.7"))
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) <= settings.LOGIN_MAX_DELAY_SECONDS
        assert "Wait 5 minutes" in refused.content.decode()
        clock(settings.LOGIN_MAX_DELAY_SECONDS)
        response = log_in(
            client, "ann@example.org", "right-passphrase", **via_proxy("198.51.100.7")
        )
        assert response.status_code == 302


def test_the_owner_waits_seconds_not_minutes_after_a_strangers_few_failures(client, person, clock):
    with override_settings(TRUSTED_PROXY_COUNT=1):
        for _ in range(FREE):
            log_in(client, "ann@example.org", "wrong", **via_proxy("203.0.113.9"))
        clock(delay_after(FREE))
        response = log_in(
            client, "ann@example.org", "right-passphrase", **via_proxy("198.51.100.7")
        )
        assert response.status_code == 302


def test_the_delay_counts_the_email_however_it_is_typed(client, person):
    spellings = ["Ann@Example.org", "ann@example.org ", "ANN@EXAMPLE.ORG", "ａｎｎ@example.org"]
    for spelling in (spellings * 2)[:FREE]:
        log_in(client, spelling, "wrong")
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 429


def test_another_spelling_with_a_dotless_i_neither_logs_in_nor_clears_the_delay(client, clock):
    """Item 3 of issue 16: "bıll" (dotless ı) is "BILL" to PostgreSQL's UPPER, so the
    look-up found bill's account while the lockout key was another string."""
    UserFactory(email="bill@example.org", password="right-passphrase")
    for _ in range(FREE):
        log_in(client, "bill@example.org", "wrong")
    response = log_in(client, "b\u0131ll@example.org", "right-passphrase")
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 302
    assert log_in(client, "bill@example.org", "right-passphrase").status_code == 429
    clock(delay_after(FREE))
    assert log_in(client, "b\u0131ll@example.org", "right-passphrase").status_code == 200
    assert log_in(client, "bill@example.org", "right-passphrase").status_code == 302


def test_a_success_starts_the_account_again_from_zero(client, person, clock):
    for _ in range(FREE):
        log_in(client, "ann@example.org", "wrong")
    clock(delay_after(FREE))
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302
    client.logout()
    for _ in range(FREE - 1):
        assert log_in(client, "ann@example.org", "wrong").status_code == 200
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302


def test_failures_are_forgotten_after_a_quiet_while(client, person, clock):
    for _ in range(FREE - 1):
        log_in(client, "ann@example.org", "wrong")
    clock(settings.LOGIN_ACCOUNT_RESET_MINUTES * 60 + 1)
    for _ in range(FREE - 1):
        assert log_in(client, "ann@example.org", "wrong").status_code == 200
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302


def test_the_admin_login_is_throttled_too(client):
    UserFactory(email="root@example.org", password="right-passphrase", superuser=True)
    url = reverse("admin:login")
    for _ in range(FREE):
        client.post(url, {"username": "root@example.org", "password": "wrong"})
    response = client.post(url, {"username": "root@example.org", "password": "right-passphrase"})
    assert response.status_code == 429


def test_a_refusal_is_logged_and_attempts_are_recorded_for_admins(client, person, caplog):
    with caplog.at_level("WARNING"):
        for _ in range(FREE + 1):
            log_in(client, "Ann@Example.org", "wrong")
    assert any("login refused" in record.getMessage().lower() for record in caplog.records)
    # django-axes records the attempts (Access attempts in the admin), under one spelling.
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "ann@example.org"
    assert attempt.failures_since_start == FREE + 1


# --- Per client address: password spraying -----------------------------------------------


def test_one_address_trying_many_accounts_is_stopped(client, person, clock):
    """Item 4 of issue 16: one password on many accounts from one address had no limit."""
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    for n in range(limit):
        assert log_in(client, f"someone{n}@example.org", "Summer2026!").status_code == 200
    refused = log_in(client, "ann@example.org", "right-passphrase")
    assert refused.status_code == 429
    assert "from your network" in refused.content.decode()
    # Another address is not concerned; the window passes.
    assert (
        log_in(client, "ann@example.org", "right-passphrase", REMOTE_ADDR="192.0.2.9").status_code
        == 302
    )
    client.logout()
    clock(settings.LOGIN_ADDRESS_WINDOW_MINUTES * 60)
    assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302


def test_successful_logins_do_not_use_up_the_address_budget(client, person):
    for _ in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT + 5):
        assert log_in(client, "ann@example.org", "right-passphrase").status_code == 302
        client.logout()


def test_a_forged_x_forwarded_for_does_not_escape_the_address_limit(client):
    # No proxy trusted (the default): the header is the client's own words.
    assert settings.TRUSTED_PROXY_COUNT == 0
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        log_in(client, f"someone{n}@example.org", "x", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = log_in(client, "other@example.org", "x", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 429


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_each_client_has_its_own_address_budget(client, person):
    limit = settings.LOGIN_ADDRESS_FAILURE_LIMIT
    for n in range(limit):
        # The client prepends forged entries; our proxy appends the real address last.
        forged = {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}, 203.0.113.5"}
        log_in(client, f"someone{n}@example.org", "x", **forged)
    assert log_in(client, "x@example.org", "x", **via_proxy("203.0.113.5")).status_code == 429
    response = log_in(client, "ann@example.org", "right-passphrase", **via_proxy("198.51.100.7"))
    assert response.status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_the_audit_log_records_the_client_address_behind_the_proxy(client, world_placement):
    admin, placement = world_placement
    client.force_login(admin)
    client.get(reverse("placements:detail", args=[placement.pk]), **via_proxy("203.0.113.5"))
    assert AuditEvent.objects.get().ip_address == "203.0.113.5"


@pytest.fixture
def world_placement():
    from placements.tests.factories import PlacementFactory

    return UserFactory(admin=True), PlacementFactory()


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


def test_idle_time_and_login_throttling_are_configurable():
    result = import_settings(
        "print(s.SESSION_COOKIE_AGE, s.LOGIN_FREE_FAILURES, s.LOGIN_MAX_DELAY_SECONDS,"
        " s.LOGIN_ACCOUNT_RESET_MINUTES, s.LOGIN_ADDRESS_FAILURE_LIMIT,"
        " s.LOGIN_ADDRESS_WINDOW_MINUTES, s.TRUSTED_PROXY_COUNT, s.INVITATION_VALID_DAYS)",
        SECRET_KEY="k" * 50,
        ALLOWED_HOSTS="ipcop.example",
        SESSION_IDLE_MINUTES="10",
        LOGIN_FREE_FAILURES="3",
        LOGIN_MAX_DELAY_SECONDS="120",
        LOGIN_ACCOUNT_RESET_MINUTES="30",
        LOGIN_ADDRESS_FAILURE_LIMIT="50",
        LOGIN_ADDRESS_WINDOW_MINUTES="10",
        TRUSTED_PROXY_COUNT="1",
        INVITATION_VALID_DAYS="3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["600", "3", "120", "30", "50", "10", "1", "3"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOGIN_FREE_FAILURES", "0"),
        ("LOGIN_MAX_DELAY_SECONDS", "0"),
        ("LOGIN_MAX_DELAY_SECONDS", "86400"),  # a day: the long lock a stranger could cause
        ("LOGIN_ADDRESS_FAILURE_LIMIT", "0"),
        ("LOGIN_ADDRESS_WINDOW_MINUTES", "-1"),
        ("TRUSTED_PROXY_COUNT", "-1"),
        ("INVITATION_VALID_DAYS", "0"),
        ("AXES_FAILURE_LIMIT", "5"),  # no longer read: refused rather than ignored
    ],
)
def test_a_nonsensical_throttle_setting_is_refused(variable, value):
    result = import_settings(
        "print(1)", SECRET_KEY="k" * 50, ALLOWED_HOSTS="ipcop.example", **{variable: value}
    )
    assert result.returncode != 0
    assert variable in result.stderr
