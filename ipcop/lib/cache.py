"""Versioned cache keys: the one way a cached read learns that its data changed.

A read caches under `f"...:{version.current()}"`; the services that change the data call
`version.changed()`, which bumps the version once their transaction commits, so every
entry cached under the old version is never read again (entries also expire, for writes
that bypass the services)."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction


@dataclass(frozen=True)
class DataVersion:
    key: str  # the cache key that holds the version

    def current(self) -> int:
        """The current version. When the cache has lost it, a new one starts from the
        clock in milliseconds, so it never meets a version entries may still be under."""
        version = cache.get(self.key)
        if version is None:
            cache.add(self.key, int(time.time() * 1000), timeout=None)
            version = cache.get(self.key, 0)
        return version

    def changed(self) -> None:
        """Bump the version once the current transaction commits (at once outside one): a
        reader in between would otherwise cache the old data under the new version."""
        transaction.on_commit(self._bump)

    def _bump(self) -> None:
        # Lost meanwhile (ValueError): the next read starts a new version anyway.
        with contextlib.suppress(ValueError):
            cache.incr(self.key)
