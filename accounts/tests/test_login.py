"""The client's address (ipcop.lib.http) and the login throttle's counting
(ipcop.lib.login); the pages are tested in tests/security/test_sessions.py."""

import pytest
from django.conf import settings
from django.test import RequestFactory, override_settings

from ipcop.lib import login as throttle
from ipcop.lib.http import client_ip

FREE = settings.LOGIN_FREE_FAILURES


def request(remote="10.0.0.1", forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "192.0.2.1", None, "192.0.2.1"),
        (0, "192.0.2.1", "203.0.113.5", "192.0.2.1"),  # no proxy trusted: header ignored
        (1, "10.0.0.1", "203.0.113.5", "203.0.113.5"),
        (1, "10.0.0.1", "198.51.100.1, 203.0.113.5", "203.0.113.5"),  # forged left part
        (2, "10.0.0.2", "198.51.100.1, 203.0.113.5, 10.0.0.1", "203.0.113.5"),
        (2, "10.0.0.2", "203.0.113.5", "10.0.0.2"),  # did not pass both proxies
        (1, "10.0.0.1", None, "10.0.0.1"),
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", " 2001:DB8::1 ", "2001:db8::1"),
        (0, "", None, None),
    ],
)
def test_client_ip_trusts_exactly_the_configured_proxies(count, remote, forwarded, expected):
    with override_settings(TRUSTED_PROXY_COUNT=count):
        assert client_ip(request(remote, forwarded)) == expected


def test_parallel_attempts_cannot_exceed_the_free_failures():
    """Attempts are counted before their password is checked: a burst of simultaneous
    attempts gets the free ones and one more, the rest wait."""
    allowed = [throttle.attempt_begin("ann@example.org", None) is None for _ in range(50)]
    assert allowed.count(True) == FREE
    refusal = throttle.attempt_begin("ann@example.org", None)
    assert refusal.reason == throttle.ACCOUNT
    assert refusal.wait_seconds == throttle.delay_after(FREE)


def test_an_address_budget_is_shared_by_its_ipv6_network():
    for n in range(settings.LOGIN_ADDRESS_FAILURE_LIMIT):
        assert throttle.attempt_begin(f"p{n}@example.org", f"2001:db8::{n:x}") is None
    refusal = throttle.attempt_begin("q@example.org", "2001:db8::ffff:1")
    assert refusal.reason == throttle.ADDRESS
    assert throttle.attempt_begin("q@example.org", "2001:db8:0:1::1") is None


def test_a_success_clears_the_account_and_gives_the_attempt_back():
    for _ in range(FREE):
        throttle.attempt_begin("ann@example.org", "192.0.2.1")
    throttle.attempt_succeeded("ann@example.org", "192.0.2.1")
    assert throttle.attempt_begin("ann@example.org", "192.0.2.1") is None
