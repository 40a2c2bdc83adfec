"""`make load`: a mixed load of every role against IPCoP served as in production, on this
machine only, and the section "Mixed load" of docs/benchmarks.md.

It prepares its own database (the demo, then bench/load_people.py's 50 people of each
role), serves the app with gunicorn on 127.0.0.1 (DEBUG off, production settings behind a
TLS proxy that bench/mixed_load.py plays), runs one Celery worker with beat on Redis, runs
locust headless for a fixed time, stops everything, prints locust's summary and exits
non-zero if any request failed or a server logged an error.

Environment: LOAD_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/ipcop_load),
LOAD_REDIS_URL (Celery broker and cache, default redis://127.0.0.1:6379/10: a database for
the load alone, emptied before each run), LOAD_PORT (default 8978), LOAD_WORKERS (gunicorn
workers, default 4), LOAD_USERS_PER_ROLE (default 50), LOAD_SPAWN_RATE (users started per
second, default 20), LOAD_DURATION (locust's --run-time, default 2m).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BIN = BASE_DIR / ".venv" / "bin"
OUT = BASE_DIR / "var" / "load"
DOC = BASE_DIR / "docs" / "benchmarks.md"
SECTION = "## Mixed load"

HOST = "127.0.0.1"  # the only address this load is sent to
PORT = int(os.environ.get("LOAD_PORT", "8978"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
USERS_PER_ROLE = int(os.environ.get("LOAD_USERS_PER_ROLE", "50"))
ROLES = ("facilitator", "preceptor", "student", "admin")
SPAWN_RATE = int(os.environ.get("LOAD_SPAWN_RATE", "20"))
DURATION = os.environ.get("LOAD_DURATION", "2m")
DATABASE_URL = os.environ.get("LOAD_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ipcop_load")
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/10")

# Production settings, as README's "Running in production" sets them (bench/load_settings.py
# only makes a password check cheaper), for this process and the servers it starts (one
# secret key for all of them).
os.environ.update(
    DJANGO_SETTINGS_MODULE="bench.load_settings",
    DEBUG="false",
    SECRET_KEY=secrets.token_urlsafe(48),
    ALLOWED_HOSTS=HOST,
    SECURE_SSL_REDIRECT="false",
    BEHIND_TLS_PROXY="true",
    SITE_URL=f"https://{HOST}:{PORT}",
    DATABASE_URL=DATABASE_URL,
    CELERY_BROKER_URL=REDIS_URL,
    CACHE_URL=REDIS_URL,
    # Invitations and reminders are written to files: nothing leaves the machine.
    EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
    EMAIL_FILE_PATH=str(OUT / "mail"),
    CELERY_BEAT_SCHEDULE_FILENAME=str(OUT / "celerybeat-schedule"),
    STATIC_ROOT=str(OUT / "static"),
    LOG_LEVEL="WARNING",
)

# Lines of the servers' logs that count as errors: Django's logged exceptions (a 500 logs
# "Internal Server Error" and its traceback), gunicorn's worker timeouts and crashes,
# Celery's failed tasks.
LOG_ERRORS = re.compile(
    r"Internal Server Error|Traceback|\[(ERROR|CRITICAL)\]|: (ERROR|CRITICAL)/|^(ERROR|CRITICAL) "
)
# Between the tracebacks of chained exceptions.
CHAINED = ("The above exception", "During handling of the above exception")
# The line that ends a traceback: the exception and its message.
EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|DoesNotExist)\b.*")


def log(message: str) -> None:
    print(message, flush=True)


def seconds(duration: str) -> int:
    """locust's --run-time (2m, 90s, 1h30m) in seconds."""
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms]?)", duration)
    return sum(int(n) * units[unit or "s"] for n, unit in parts)


def prepare() -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection

    from bench.load_people import ensure_people

    log(f"preparing {DATABASE_URL.rsplit('/', 1)[-1]}: migrate, load_demo, the load's people")
    call_command("migrate", interactive=False, verbosity=0)
    call_command("load_demo", verbosity=0)
    ensure_people(USERS_PER_ROLE, log=log)
    call_command("collectstatic", interactive=False, verbosity=0)
    # The data was just rewritten past the services that bump the cached panels' versions:
    # the run starts with an empty cache, as after a deploy (the Redis database is the
    # load's own; this empties Celery's queue there too).
    cache.clear()
    connection.close()


def check_redis() -> bool:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except redis.RedisError as error:
        log(f"Redis at {REDIS_URL} does not answer ({error}): start it or set LOAD_REDIS_URL")
        return False
    return True


def port_in_use() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, PORT)) == 0


def start(command: list[str], logfile: Path) -> subprocess.Popen:
    # A session of its own, so that stopping it stops its children (gunicorn's workers,
    # Celery's pool and beat) and nothing else.
    return subprocess.Popen(
        command,
        cwd=BASE_DIR,
        stdout=logfile.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_until_up(server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped at start-up: see {OUT / 'gunicorn.log'}")
        try:
            urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within a minute")


class LoadSampler(threading.Thread):
    """The machine's 1-minute load average every 5 s while the load runs."""

    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.done = threading.Event()

    def run(self):
        while not self.done.wait(5):
            self.samples.append(os.getloadavg()[0])


def log_errors(path: Path) -> list[str]:
    """One line per error the log holds: its first line and, for a traceback, the
    exception it ended with."""
    if not path.exists():
        return []
    errors: list[list[str]] = []  # [the error's line, the exception it ended with]
    previous = ""
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("Traceback") and (
            LOG_ERRORS.search(previous) or previous.startswith(CHAINED)
        ):
            pass  # the traceback of the error just counted
        elif LOG_ERRORS.search(line):
            errors.append([f"{path.name}: {line.strip()}", ""])
        elif EXCEPTION.match(line) and errors:
            errors[-1][1] = f" ({line.strip()})"
        previous = line if line.strip() else previous
    return [line + exception for line, exception in errors]


def run_load() -> tuple[int, dict, dict]:
    result_file = OUT / "result.json"
    result_file.unlink(missing_ok=True)
    users = USERS_PER_ROLE * len(ROLES)
    command = [
        str(BIN / "locust"),
        "-f",
        str(BASE_DIR / "bench" / "mixed_load.py"),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        DURATION,
        "--stop-timeout",
        "10",
        "--host",
        f"http://{HOST}:{PORT}",
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    env = {
        **os.environ,
        "LOAD_RESULT": str(result_file),
        "LOAD_USERS_PER_ROLE": str(USERS_PER_ROLE),
    }
    log(
        f"locust: {USERS_PER_ROLE} users per role ({users}), {SPAWN_RATE} started a second, "
        f"for {DURATION}, against http://{HOST}:{PORT}"
    )
    sampler = LoadSampler()
    load_before = os.getloadavg()[0]
    sampler.start()
    try:
        # Bounded: locust stops itself after --run-time; this only guards against a hang.
        completed = subprocess.run(
            command, cwd=BASE_DIR, env=env, timeout=seconds(DURATION) + 180, check=False
        )
        code = completed.returncode
    except subprocess.TimeoutExpired:
        log("locust did not stop in time: stopped")
        code = 1
    sampler.done.set()
    load = {
        "before": load_before,
        "highest": max(sampler.samples, default=load_before),
        "after": os.getloadavg()[0],
    }
    result = json.loads(result_file.read_text()) if result_file.exists() else {}
    return code, result, load


def machine() -> dict:
    from importlib.metadata import version

    import django
    from django.db import connection

    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    connection.close()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgres": postgres,
        # Its version, not an import: importing locust would monkey-patch this process.
        "locust": version("locust"),
    }


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=BASE_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()

    changed = git("status", "--porcelain")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes" if changed else "")


def section(result: dict, load: dict, info: dict, server_errors: int, code: int) -> str:
    kinds = result.get("kinds", {})
    accepted = result.get("writes_accepted", {})
    refused = result.get("writes_refused", {})
    failures = result.get("failures", "?")
    lines = [
        SECTION,
        "",
        "Written by `make load` (bench/load_run.py; the users are bench/mixed_load.py); "
        "rerun it to refresh this section.",
        "",
        f"- Date: {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, commit `{commit()}`",
        f"- Machine: {info['nproc']} CPUs ({info['cpu']}) shared with other work; load average "
        f"(1 min) before / highest during / after the run: {load['before']:.1f} / "
        f"{load['highest']:.1f} / {load['after']:.1f}",
        f"- Servers, all on {HOST}: gunicorn ({WORKERS} sync workers, DEBUG off, production "
        "settings behind a TLS proxy that the load generator plays), PostgreSQL "
        f"{info['postgres']} (database `ipcop_load`: the demo and the load's people), Redis "
        "(Celery broker and cache), one Celery worker with beat; Python "
        f"{info['python']}, Django {info['django']}",
        f"- Load: locust {info['locust']}, {USERS_PER_ROLE} users per role (facilitators, "
        f"preceptors, students, admins: {USERS_PER_ROLE * len(ROLES)}), {SPAWN_RATE} started "
        f"a second, for {DURATION}; each logs in through the login form as a person of their "
        "own, then clicks every 1 to 5 s: facilitators read their pages, record meetings, "
        "add and move initiatives and schedule follow-ups; preceptors log sessions; "
        "students add reflections; admins read the admin and the lists",
        "",
        f"**{result.get('requests', 0):,} requests, {failures} failures, "
        f"{result.get('rps', 0):.1f} requests per second** "
        f"(over {result.get('seconds', 0):.0f} s); errors in the servers' logs: {server_errors}; "
        f"locust's exit code: {code}.",
        "",
        "| kind | requests | failures | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind in ("read", "write", "login", "check"):
        if kind in kinds:
            k = kinds[kind]
            lines.append(
                f"| {kind} | {k['requests']:,} | {k['failures']} | {k['p50_ms']} | "
                f"{k['p95_ms']} | {k['max_ms']:.0f} |"
            )
    lines += [
        "",
        "Writes, done / refused by the app with a form error (by design, not failures):",
        "",
        "| write | done | refused |",
        "|---|---:|---:|",
    ]
    for name in sorted(set(accepted) | set(refused)):
        if name.startswith("write "):
            lines.append(
                f"| {name.removeprefix('write ')} | {accepted.get(name, 0)} | "
                f"{refused.get(name, 0)} |"
            )
    for error in result.get("errors", []):
        lines.append(
            f"- failure: {error['method']} {error['name']}: {error['error']} × {error['count']}"
        )
    lines += [
        "",
        "Reads are every GET, form pages and redirects included; a write is one POST, "
        "timed to its redirect; login is the login page and its POST, whose password "
        "check is PBKDF2 at 10,000 iterations (bench/load_settings.py: production's "
        "1,000,000 cost 1.3 s of CPU per login here, more than the run has for all its "
        "people). Each person waits for an answer before the next click, so when the "
        "servers are saturated the latencies grow, not the errors: they include the time a "
        "request waits for a free gunicorn worker, and locust, gunicorn, Celery and "
        "PostgreSQL share the CPUs with whatever else runs (see the load average).",
        "",
    ]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace the section in docs/benchmarks.md (it stays the file's last), or add it."""
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    start = doc.find("\n" + SECTION + "\n")
    if start >= 0:
        following = doc.find("\n## ", start + 1)
        tail = doc[following:] if following >= 0 else ""
        doc = doc[:start].rstrip("\n") + tail
    DOC.write_text(doc.rstrip("\n") + "\n\n" + text)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "mail").mkdir(exist_ok=True)
    if not check_redis():
        return 1
    if port_in_use():
        log(f"port {PORT} of {HOST} is taken by another program: set LOAD_PORT")
        return 1
    prepare()
    info = machine()

    log(f"serving with gunicorn ({WORKERS} workers) on {HOST}:{PORT}, a Celery worker with beat")
    server = start(
        [
            str(BIN / "gunicorn"),
            "ipcop.wsgi",
            "--bind",
            f"{HOST}:{PORT}",
            "--workers",
            str(WORKERS),
            "--log-level",
            "warning",
        ],
        OUT / "gunicorn.log",
    )
    worker = start(
        [str(BIN / "celery"), "-A", "ipcop", "worker", "-B", "--concurrency", "2"],
        OUT / "celery.log",
    )
    try:
        wait_until_up(server)
        code, result, load = run_load()
    finally:
        stop(server)
        stop(worker)

    errors = log_errors(OUT / "gunicorn.log") + log_errors(OUT / "celery.log")
    for line, count in Counter(errors).most_common(20):
        log(f"server log, {count} ×: {line}")
    if not result:
        log("locust wrote no result: see its output above")
        return 1
    text = section(result, load, info, len(errors), code)
    write_section(text)
    log("\n" + text)
    log(f"wrote the section “Mixed load” of {DOC.relative_to(BASE_DIR)}; logs in var/load/")
    ok = code == 0 and result.get("failures") == 0 and not errors
    log("mixed load: no error" if ok else "mixed load: FAILED (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
