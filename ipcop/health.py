"""What /readyz checks: the database, the cache, the broker and the beat's last tick.

Each check answers {"status": "ok"} or {"status": "failing", "reason": …}. The reasons
are short and the same for everyone: the page is public, so the hosts, ports and error
texts behind a failure go to the log (WARNING, logger ipcop.health), not to the answer.
"""

import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection

from ipcop.celery import app as celery_app

logger = logging.getLogger(__name__)

BEAT_TICK_KEY = "ipcop:beat-tick"
BROKER_TIMEOUT_SECONDS = 3

Check = dict[str, Any]


def database_answers() -> None:
    """A round trip to the database (raises if it does not answer)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def record_beat_tick() -> None:
    """Called every minute by the beat-scheduled task `ipcop.beat_tick`, on a worker."""
    cache.set(BEAT_TICK_KEY, time.time(), timeout=None)


def _cache_round_trip() -> None:
    key = f"ipcop:readiness:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "ok":
        raise RuntimeError("the cache did not return what was written")


def _broker_answers() -> None:
    with celery_app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, interval_step=0,
                                 timeout=BROKER_TIMEOUT_SECONDS)  # fmt: skip


def _beat() -> Check:
    tick = cache.get(BEAT_TICK_KEY)
    if tick is None:
        reason = "no beat tick recorded"
        if isinstance(caches["default"], LocMemCache):
            reason += " (the cache is local to each process: set CACHE_URL to a shared one)"
        return {"status": "failing", "reason": reason}
    age = max(0, round(time.time() - float(tick)))
    limit = settings.READINESS_BEAT_MAX_AGE_SECONDS
    if age > limit:
        return {"status": "failing", "reason": f"last beat tick {age} s ago (limit {limit} s)",
                "age_seconds": age}  # fmt: skip
    return {"status": "ok", "age_seconds": age}


def _run(name: str, check: Callable[[], None], reason: str) -> Check:
    try:
        check()
    except Exception:
        logger.warning("Readiness: the %s check failed", name, exc_info=True)
        return {"status": "failing", "reason": reason}
    return {"status": "ok"}


def readiness() -> dict[str, Check]:
    """Every check, by name, in the order of the answer."""
    checks = {
        "database": _run("database", database_answers, "the database does not answer"),
        "cache": _run("cache", _cache_round_trip, "the cache does not answer"),
        "broker": _run("broker", _broker_answers, "the broker does not answer"),
    }
    if settings.READINESS_BEAT_MAX_AGE_SECONDS:
        try:
            checks["beat"] = _beat()
        except Exception:
            logger.warning("Readiness: the beat check failed", exc_info=True)
            checks["beat"] = {"status": "failing", "reason": "the beat's tick cannot be read"}
    return checks
