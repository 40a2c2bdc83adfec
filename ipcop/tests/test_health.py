"""/healthz (liveness) stays one query; /readyz checks the database, the cache, the
broker and the beat's last tick, and answers 503 with the failing check named."""

import time
import uuid
from datetime import timedelta

import pytest
from django.conf import settings as django_settings

from ipcop.celery import app as celery_app
from ipcop.celery import beat_tick
from ipcop.health import BEAT_TICK_KEY

pytestmark = pytest.mark.django_db

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def shared_cache(settings):
    """The cache on the suite's Redis server, as production's CACHE_URL, under a prefix of
    its own: the worker that records the tick and the web process must share it."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"readyz-test-{uuid.uuid4().hex}",
        }
    }
    yield
    from django.core.cache import cache

    # Not cache.clear(): on Redis it empties the whole database, the broker's keys too.
    cache.delete(BEAT_TICK_KEY)


@pytest.fixture
def broker_at():
    """Point the web side's Celery app at another broker for one test."""

    def point(url: str) -> None:
        celery_app.conf["broker_write_url"] = url

    yield point
    celery_app.conf["broker_write_url"] = None


def test_healthz_is_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_ok_when_every_check_passes(client, shared_cache):
    beat_tick()  # what a worker does each minute, on beat's order
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert list(body["checks"]) == ["database", "cache", "broker", "beat"]
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert 0 <= body["checks"]["beat"]["age_seconds"] <= 5
    assert "no-cache" in response["Cache-Control"]


def test_readyz_fails_when_the_broker_is_down(client, shared_cache, broker_at):
    beat_tick()
    broker_at(CLOSED_PORT_BROKER)
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 10
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == {"status": "failing", "reason": "the broker does not answer"}
    assert {name for name, check in checks.items() if check["status"] != "ok"} == {"broker"}
    # The page is public: the broker's address stays in the log, out of the answer.
    assert "127.0.0.1" not in response.content.decode()


def test_readyz_fails_when_the_last_tick_is_older_than_the_limit(client, shared_cache, settings):
    from django.core.cache import cache

    settings.READINESS_BEAT_MAX_AGE_SECONDS = 120
    cache.set(BEAT_TICK_KEY, time.time() - timedelta(minutes=5).total_seconds(), None)
    response = client.get("/readyz")
    assert response.status_code == 503
    beat = response.json()["checks"]["beat"]
    assert beat["status"] == "failing"
    assert beat["reason"] == "last beat tick 300 s ago (limit 120 s)"


def test_readyz_explains_a_tick_no_web_process_can_see(client):
    """The suite's cache is local memory, as with CACHE_URL unset: a worker's tick would
    land in the worker's memory."""
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "set CACHE_URL" in response.json()["checks"]["beat"]["reason"]


def test_readyz_leaves_the_beat_out_when_its_limit_is_zero(client, settings):
    settings.READINESS_BEAT_MAX_AGE_SECONDS = 0
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert "beat" not in response.json()["checks"]


def test_probes_are_answered_over_plain_http_with_the_https_redirect_on(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.READINESS_BEAT_MAX_AGE_SECONDS = 0
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/accounts/login/").status_code == 301


def test_beat_orders_a_tick_more_often_than_readiness_allows():
    entry = django_settings.CELERY_BEAT_SCHEDULE["ipcop-beat-tick"]
    assert entry["task"] == "ipcop.beat_tick" == beat_tick.name
    assert entry["schedule"] < django_settings.READINESS_BEAT_MAX_AGE_SECONDS
    assert entry["options"]["expires"] < entry["schedule"]
