"""What production operations read from the settings: JSON log lines (LOG_FORMAT), errors
sent to Sentry only when SENTRY_DSN is set and without personal data, and the database
options for a pooler in transaction mode (DB_POOLER)."""

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter with Django set up on ipcop.settings and exactly
    these variables (development mode, so no secret key is needed)."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(DJANGO_SETTINGS_MODULE="ipcop.settings", DEBUG="true", **env)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_log_format_json_writes_one_json_object_a_line_with_the_traceback():
    result = python(
        "import logging\n"
        "log = logging.getLogger('ipcop.example')\n"
        "log.warning('reminder %s failed', 42)\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('sweep failed')\n",
        LOG_FORMAT="json",
    )
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stderr.splitlines())
    assert first["level"] == "WARNING"
    assert first["logger"] == "ipcop.example"
    assert first["message"] == "reminder 42 failed"
    assert first["time"]
    assert second["message"] == "sweep failed"
    assert "ZeroDivisionError" in second["exc_info"]


def test_log_format_text_is_the_default_and_a_typo_is_refused():
    result = python("import logging; logging.getLogger('x').warning('plain')")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "plain"
    refused = python("", LOG_FORMAT="jsonl")
    assert refused.returncode != 0
    assert "LOG_FORMAT must be text or json" in refused.stderr


def test_celery_worker_logs_through_the_json_handler():
    """Celery replaces the root logger's handlers unless told not to."""
    result = python(
        "from django.conf import settings\nprint(settings.CELERY_WORKER_HIJACK_ROOT_LOGGER)",
        LOG_FORMAT="json",
    )
    assert result.stdout.split() == ["False"], result.stderr


class _Collector(BaseHTTPRequestHandler):
    received: list[tuple[str, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.received.append((self.path, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def sentry_collector():
    """A stand-in for Sentry's ingest endpoint on this machine."""
    _Collector.received = []
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_an_error_goes_to_sentry_when_sentry_dsn_is_set(sentry_collector):
    port = sentry_collector.server_address[1]
    result = python(
        "import sentry_sdk\n"
        "student_email = 'student@ipcop.example'\n"
        "try:\n    raise RuntimeError('the sweep broke')\n"
        "except RuntimeError as error:\n    sentry_sdk.capture_exception(error)\n"
        "sentry_sdk.flush(timeout=10)\n",
        SENTRY_DSN=f"http://publickey@127.0.0.1:{port}/42",
        SENTRY_ENVIRONMENT="staging",
    )
    assert result.returncode == 0, result.stderr
    assert [path for path, _ in _Collector.received] == ["/api/42/envelope/"]
    envelope = _Collector.received[0][1].decode()
    event = json.loads(envelope.splitlines()[2])
    assert event["exception"]["values"][0]["value"] == "the sweep broke"
    assert event["environment"] == "staging"
    # Nothing personal leaves: no local variables of the failing frame.
    assert "student@ipcop.example" not in envelope


def test_sentry_is_off_without_a_dsn():
    result = python("import sentry_sdk; print(sentry_sdk.get_client().is_active())")
    assert result.stdout.split() == ["False"], result.stderr


def test_db_pooler_pgbouncer_turns_server_side_cursors_off():
    code = (
        "from django.conf import settings\n"
        "db = settings.DATABASES['default']\n"
        "print(db['DISABLE_SERVER_SIDE_CURSORS'], db['CONN_HEALTH_CHECKS'])"
    )
    assert python(code).stdout.split() == ["False", "True"]
    assert python(code, DB_POOLER="pgbouncer").stdout.split() == ["True", "True"]
    refused = python(code, DB_POOLER="pgpool")
    assert refused.returncode != 0
    assert "DB_POOLER must be none or pgbouncer" in refused.stderr
