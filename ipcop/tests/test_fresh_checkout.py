"""A fresh checkout with DATABASE_URL unset reaches the login page on the embedded
PostgreSQL, whose data lives in the checkout, and Ctrl-C stops the app and that server.

It runs what `make run` runs once the virtualenv is installed (bin/with_services.py
around bin/run-dev) in a copy of this checkout's files, sharing this virtualenv.
About 15 s: `make test` runs it, `make test-fast` leaves it out (marker `embedded`).
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.embedded

BASE_DIR = Path(__file__).resolve().parents[2]


def copy_checkout(target: Path) -> None:
    """The files a clone would have (tracked, and new ones not ignored), as they are now."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=BASE_DIR,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = BASE_DIR / name
        if source.is_file() and not source.is_symlink():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own server
            return response.status, response.read().decode()
    except OSError:
        return 0, ""


def test_a_fresh_checkout_reaches_the_login_page_on_the_embedded_postgres(tmp_path):
    if shutil.which("git") is None or not (BASE_DIR / ".git").exists():
        pytest.skip("needs a git checkout to copy")
    checkout = tmp_path / "ipcop"
    copy_checkout(checkout)
    (checkout / ".venv").symlink_to(Path(sys.prefix))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env.update(DEBUG="true", HOST="127.0.0.1", PORT=str(port))  # no DATABASE_URL
    log = tmp_path / "run.log"
    started = time.monotonic()
    with log.open("wb") as output:
        app = subprocess.Popen(
            [".venv/bin/python", "bin/with_services.py", "--", "bash", "bin/run-dev"],
            cwd=checkout,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, as a terminal would give it
        )
    pgdata = checkout / "var" / "postgres"
    try:
        status, page = 0, ""
        while status != 200 and app.poll() is None and time.monotonic() - started < 120:
            time.sleep(0.5)
            status, page = fetch(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200, log.read_text()
        assert 'name="username"' in page
        reached = time.monotonic() - started
        assert (pgdata / "PG_VERSION").exists()
        assert f"?host={pgdata}" in log.read_text()

        os.killpg(app.pid, signal.SIGINT)  # Ctrl-C
        app.wait(timeout=60)
        assert not (pgdata / "postmaster.pid").exists(), "the embedded server still runs"
        print(
            f"login page after {reached:.1f} s, all stopped after {time.monotonic() - started:.1f} s"
        )
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
        subprocess.run(
            [".venv/bin/python", "bin/embedded_postgres.py", "stop"],
            cwd=checkout,
            capture_output=True,
            timeout=60,
        )
