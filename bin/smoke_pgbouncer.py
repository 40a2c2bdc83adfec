"""`make smoke-pgbouncer`: a smoke subset of the suite through PgBouncer in transaction
mode, as docs/deployment.md recommends running IPCoP in production.

bin/with_services.py gives this script the PostgreSQL server to sit in front of
(DATABASE_URL: the server there, reached over TCP) and the Redis of the worker tests. It
starts Debian's pgbouncer (`make smoke-pgbouncer` installs it when missing) on 127.0.0.1,
port PGBOUNCER_PORT (default 6432, or a free one when that is taken), in transaction
mode, and runs the smoke tests with DATABASE_URL pointing at it and DB_POOLER=pgbouncer.
The test database (test_ipcop_smoke) is dropped afterwards.

    bin/smoke_pgbouncer.py [PYTEST_ARG...]     more pytest options, e.g. -x or -k sweep
"""

import os
import pwd
import socket
import subprocess
import sys
import time
from pathlib import Path

import environ
import psycopg2
from psycopg2 import sql

BASE_DIR = Path(__file__).resolve().parent.parent
SMOKE_DATABASE = "ipcop_smoke"
# What the app does with its database, through the pooler: log in and sessions, the
# readiness checks, lists and the CSV export (a server-side cursor without DB_POOLER),
# the import, the counters' triggers, the services' row locks and the reminder sweep run
# by a real Celery worker (SKIP LOCKED, transaction=True: each statement in autocommit).
SMOKE_TESTS = [
    "ipcop/tests/test_health.py",
    "accounts/tests/test_login.py",
    "placements/tests/test_views.py",
    "placements/tests/test_import.py",
    "sites/tests/test_counters.py",
    "mentoring/tests/test_services.py",
    "interviews/tests/test_services.py",
    "interviews/tests/test_worker.py",
]
CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
auth_type = trust
auth_file = {auth_file}
pool_mode = transaction
max_client_conn = 200
default_pool_size = 10
ignore_startup_parameters = extra_float_digits
"""


def say(message: str) -> None:
    print(f"[smoke-pgbouncer] {message}", file=sys.stderr, flush=True)


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_pgbouncer(folder: Path, host: str, port: int, user: str) -> tuple[subprocess.Popen, int]:
    listen_port = int(os.environ.get("PGBOUNCER_PORT", "6432"))
    if not port_is_free(listen_port):
        say(f"Port {listen_port} is taken; using a free one.")
        listen_port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    auth_file = folder / "userlist.txt"
    auth_file.write_text(f'"{user}" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        CONFIG.format(host=host, port=port, listen_port=listen_port, auth_file=auth_file)
    )
    # PgBouncer refuses to run as root: it then switches to an unprivileged user.
    command = ["pgbouncer", str(config)]
    if os.geteuid() == 0:
        command[1:1] = ["-u", pwd.getpwuid(65534).pw_name]
    log = (folder / "pgbouncer.log").open("wb")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while port_is_free(listen_port):
        if server.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"pgbouncer did not start; see {folder / 'pgbouncer.log'}.")
        time.sleep(0.1)
    return server, listen_port


def drop_test_database(params: dict) -> None:
    connection = psycopg2.connect(
        host=params["HOST"], port=params["PORT"] or 5432, user=params["USER"] or "postgres",
        password=params["PASSWORD"] or None, dbname="postgres", connect_timeout=5,
    )  # fmt: skip
    connection.autocommit = True
    with connection.cursor() as cursor:
        name = sql.Identifier(f"test_{SMOKE_DATABASE}")
        cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    connection.close()


def main(pytest_args: list[str]) -> int:
    upstream = environ.Env.db_url_config(os.environ["DATABASE_URL"])
    if not upstream["HOST"]:
        sys.exit(
            "PgBouncer is tried in front of a PostgreSQL server reached over TCP: set "
            "DATABASE_URL (or TEST_DATABASE_URL) to one, e.g. postgres://postgres@127.0.0.1:5432/ipcop."
        )
    user = upstream["USER"] or "postgres"
    server, port = start_pgbouncer(
        BASE_DIR / "var" / "pgbouncer", upstream["HOST"], upstream["PORT"] or 5432, user
    )
    say(f"PgBouncer (transaction mode) on 127.0.0.1:{port} in front of "
        f"{upstream['HOST']}:{upstream['PORT'] or 5432}")  # fmt: skip
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}@127.0.0.1:{port}/{SMOKE_DATABASE}",
        "DB_POOLER": "pgbouncer",
    }
    started = time.monotonic()
    try:
        # --reuse-db: no DROP DATABASE at the end through the pooler, which still holds
        # server connections to it; the database is dropped below, once PgBouncer stops.
        result = subprocess.run(
            [str(Path(sys.executable).parent / "pytest"), "--reuse-db", "-q", *SMOKE_TESTS,
             *pytest_args],
            cwd=BASE_DIR, env=env, check=False,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(timeout=10)
        drop_test_database(upstream)
    say(f"pytest exited {result.returncode} after {time.monotonic() - started:.0f} s")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
