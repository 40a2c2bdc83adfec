"""Login throttling, in Django's cache (Redis in production, so every process shares it).

Two limits, both checked and counted before a password is looked at, so a burst of
parallel attempts cannot slip past them:

- Per account (the normalised email): the first LOGIN_FREE_FAILURES failures cost
  nothing; from then on every attempt must wait a delay after the previous one that
  doubles with each failure (2 s, 4 s, 8 s…) up to LOGIN_MAX_DELAY_SECONDS. An attempt
  inside the delay is refused even with the right password. A stranger can slow an
  account down this way, never lock it for long. The count starts again after
  LOGIN_ACCOUNT_RESET_MINUTES without an attempt, or at a successful login.
- Per client address (`ipcop.lib.http.client_ip`; an IPv6 address counts by its /64):
  at most LOGIN_ADDRESS_FAILURE_LIMIT attempts that did not succeed, whatever the
  accounts, per LOGIN_ADDRESS_WINDOW_MINUTES window: trying one password on many
  accounts (password spraying) stops there.

Callers pass the identifier already normalised (accounts.identifiers.normalise_email);
this module knows nothing of users. Keys hold a hash of it, never the address itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

logger = logging.getLogger("ipcop.security")

ACCOUNT = "account"
ADDRESS = "address"


@dataclass(frozen=True)
class Refusal:
    """A login attempt refused before its password was checked: by which limit, and
    how many seconds until the next attempt may be made."""

    reason: str  # ACCOUNT or ADDRESS
    wait_seconds: int


def _now() -> float:
    return time.time()


def delay_after(failures: int) -> int:
    """Seconds an account's next attempt waits after `failures` failures in a row."""
    free = settings.LOGIN_FREE_FAILURES
    if failures < free:
        return 0
    # Capped exponent: the cap is reached long before the power could grow large.
    return min(2 ** min(failures - free + 1, 30), settings.LOGIN_MAX_DELAY_SECONDS)


def _account_keys(identifier: str) -> tuple[str, str]:
    digest = hashlib.sha256(identifier.encode()).hexdigest()[:32]
    return f"login:account:{digest}:failures", f"login:account:{digest}:next"


def _address_key(address: str, now: float) -> tuple[str, float]:
    """The counter of the current window for `address`, and when that window ends."""
    ip = ipaddress.ip_address(address)
    # One IPv6 host usually holds a whole /64: counting addresses would let it rotate.
    network = str(ipaddress.ip_network(f"{ip}/64", strict=False)) if ip.version == 6 else str(ip)
    window = settings.LOGIN_ADDRESS_WINDOW_MINUTES * 60
    bucket = int(now // window)
    return f"login:address:{network}:{bucket}", (bucket + 1) * window


def _count(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1


def _wait(until: float, now: float) -> int:
    return max(1, math.ceil(until - now))


def attempt_begin(identifier: str, address: str | None) -> Refusal | None:
    """Called before a password is checked: count the attempt against both limits, or
    refuse it. A refused attempt does not add to the account's failures."""
    now = _now()
    if address:
        key, window_ends = _address_key(address, now)
        if _count(key, timeout=settings.LOGIN_ADDRESS_WINDOW_MINUTES * 60 + 1) > (
            settings.LOGIN_ADDRESS_FAILURE_LIMIT
        ):
            return Refusal(ADDRESS, _wait(window_ends, now))
    failures_key, next_key = _account_keys(identifier)
    not_before = cache.get(next_key)
    if not_before is not None and not_before > now:
        return Refusal(ACCOUNT, _wait(not_before, now))
    # The attempt counts as a failure until it succeeds (attempt_succeeded clears it).
    failures = _count(failures_key, timeout=settings.LOGIN_ACCOUNT_RESET_MINUTES * 60)
    cache.touch(failures_key, settings.LOGIN_ACCOUNT_RESET_MINUTES * 60)
    delay = delay_after(failures)
    if delay and not cache.add(next_key, now + delay, timeout=delay):
        # A parallel attempt started the delay first: this one waits like any other.
        cache.decr(failures_key)
        return Refusal(ACCOUNT, _wait(cache.get(next_key) or now + 1, now))
    if delay:
        logger.warning(
            "Login failures on one account: %d; its next attempt waits %d s", failures, delay
        )
    return None


def attempt_succeeded(identifier: str, address: str | None) -> None:
    """The password was right: the account starts again from zero, and the attempt is
    taken off the address's budget."""
    cache.delete_many(_account_keys(identifier))
    if address:
        key, _ = _address_key(address, _now())
        with contextlib.suppress(ValueError):
            cache.decr(key)


def refusal_response(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """The page a refused login gets: HTTP 429 with a Retry-After, saying how long."""
    response = render(
        request,
        "registration/locked_out.html",
        {
            "refusal": refusal,
            "by_address": refusal.reason == ADDRESS,
            "wait_minutes": math.ceil(refusal.wait_seconds / 60),
        },
        status=429,
    )
    response["Retry-After"] = str(refusal.wait_seconds)
    return response
