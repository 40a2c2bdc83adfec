"""Settings refuse insecure production defaults; migrations match the models."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 50


def import_settings(**env):
    """Import ipcop.settings in a fresh interpreter with exactly these variables."""
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import ipcop.settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT)"],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_missing_secret_key():
    result = import_settings(DEBUG="false", ALLOWED_HOSTS="ipcop.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_secret_key():
    result = import_settings(
        DEBUG="false", ALLOWED_HOSTS="ipcop.example", SECRET_KEY="dev-insecure-secret-key-change-me"
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_missing_allowed_hosts():
    result = import_settings(DEBUG="false", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_debug_off_is_the_default_and_turns_https_on():
    result = import_settings(SECRET_KEY=GOOD_KEY, ALLOWED_HOSTS="ipcop.example")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]


def test_development_starts_with_nothing_configured():
    result = import_settings(DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "False"]


def test_bad_followup_delay_is_refused():
    result = import_settings(DEBUG="true", FOLLOWUP_DELAY_MONTHS="0")
    assert result.returncode != 0
    assert "FOLLOWUP_DELAY_MONTHS" in result.stderr


@pytest.mark.django_db
def test_migrations_are_in_sync_with_models():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exit_:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"Models and migrations disagree (exit {exit_.code}):\n{out.getvalue()}")


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_runs_in_development_mode_on_a_checkout():
    result = _manage("check")
    assert result.returncode == 0, result.stderr


def test_manage_py_with_debug_off_still_refuses_a_missing_secret_key():
    result = _manage("check", DEBUG="false", ALLOWED_HOSTS="ipcop.example")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
