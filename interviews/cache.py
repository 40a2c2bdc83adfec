"""The version of the follow-up data that cached counts depend on (the list's tab counts,
the facilitator's home panel: interviews.selectors.followups). The services that create
or change follow-ups bump it when their transaction commits, and so do the admin and a
change of a site's facilitators (interviews.receivers); entries also expire, for writes
that bypass all of them (a queryset update, a bulk load)."""

from __future__ import annotations

import contextlib
import time

from django.core.cache import cache
from django.db import transaction

_VERSION_KEY = "interviews:followups-version"


def followups_version() -> int:
    """The current version. When the cache has lost it, a new one starts from the clock
    in milliseconds, so it never meets a version that entries may still be cached under."""
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, int(time.time() * 1000), timeout=None)
        version = cache.get(_VERSION_KEY, 0)
    return version


def followups_changed() -> None:
    """Bump the version once the current transaction commits (at once outside one): a
    reader in between would otherwise cache the old counts under the new version."""
    transaction.on_commit(_bump)


def _bump() -> None:
    # Lost meanwhile (ValueError): the next read starts a new version anyway.
    with contextlib.suppress(ValueError):
        cache.incr(_VERSION_KEY)
