"""Versioned cache keys: the one way a cached read learns that its data changed.

A read caches under `f"...:{version.current()}"`; the services that change the data call
`version.changed()`, which bumps the version once their transaction commits, so every
entry cached under the old version is never read again (entries also expire, for writes
that bypass the services)."""

from __future__ import annotations

import contextlib
import datetime
import decimal
import hashlib
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


def content_key(*parts: object) -> str:
    """A digest of everything a fragment of a page renders from (a page's rows as plain
    values, the sort, the options shown). Templates cache the fragment's HTML under it
    (`{% cache %}`): the same rows render to the same HTML whoever reads them, so the
    entry is never stale and never shows one person what another may not see, while a
    page read again skips the template work for its rows, most of a list page's cost.
    `parts` must be plain values, whose repr is their content: anything else (a model
    instance's repr is its name, not its fields) raises TypeError."""
    _check_plain(parts)
    return hashlib.sha256(repr(parts).encode()).hexdigest()


_SCALARS = (str, int, float, bool, type(None), datetime.date, datetime.time, decimal.Decimal)


def _check_plain(value: object) -> None:
    if isinstance(value, _SCALARS):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_plain(key)
            _check_plain(item)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_plain(item)
        return
    raise TypeError(f"not a plain value for a content key: {type(value).__name__}")
