"""The version of the sites data that cached reads depend on (the facilitator's home
panel: sites.panels). The services that change sites, CoPs, members, meetings or
initiatives bump it when their transaction commits, so every entry cached under the old
version is never read again; the entries also expire, for writes that bypass the services
(the admin's are bumped too, sites/admin.py)."""

from __future__ import annotations

import contextlib
import time

from django.core.cache import cache
from django.db import transaction

_VERSION_KEY = "sites:activity-version"


def activity_version() -> int:
    """The current version. When the cache has lost it, a new one starts from the clock
    in milliseconds, so it never meets a version that entries may still be cached under."""
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, int(time.time() * 1000), timeout=None)
        version = cache.get(_VERSION_KEY, 0)
    return version


def activity_changed() -> None:
    """Bump the version once the current transaction commits (at once outside one): a
    reader in between would otherwise cache the old data under the new version."""
    transaction.on_commit(_bump)


def _bump() -> None:
    # Lost meanwhile (ValueError): the next read starts a new version anyway.
    with contextlib.suppress(ValueError):
        cache.incr(_VERSION_KEY)
