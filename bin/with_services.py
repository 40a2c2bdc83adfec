"""Run a command with the PostgreSQL (and, for the tests, the Redis) it needs, so that
`make run` and `make test` work on a machine that has only Python.

    bin/with_services.py [--test] -- COMMAND [ARG...]

PostgreSQL: with DATABASE_URL set, that server (for `make run`, bin/ensure-postgres
starts a stopped local Debian cluster and creates the database). Unset, `make run` uses
the embedded PostgreSQL in var/postgres (bin/embedded_postgres.py) and the tests use the
server at TEST_DATABASE_URL if one answers there, else the embedded one.

Redis (--test only): with CELERY_BROKER_URL set, that server. Unset, the server at
TEST_BROKER_URL if one answers there, else a redis-server of our own on a free port, its
files in var/redis.

The command gets DATABASE_URL (and CELERY_BROKER_URL) in its environment; what this
script started stops when the command ends (Ctrl-C reaches the command, then this).
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import environ
import psycopg2
import redis
from embedded_postgres import PGDATA, embedded_postgres

BASE_DIR = Path(__file__).resolve().parent.parent
DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/ipcop"
DEFAULT_TEST_BROKER_URL = "redis://127.0.0.1:6379/15"


def say(message: str) -> None:
    print(f"[services] {message}", file=sys.stderr, flush=True)


def postgres_problem(url: str) -> str | None:
    """Why the PostgreSQL server of `url` cannot be reached, in one line; None if it answers."""
    params = environ.Env.db_url_config(url)
    try:
        psycopg2.connect(
            host=params["HOST"] or None,
            port=params["PORT"] or None,
            user=params["USER"] or "postgres",
            password=params["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
            **params.get("OPTIONS", {}),
        ).close()
    except psycopg2.OperationalError as error:
        return (str(error).strip().splitlines() or ["no answer"])[0]
    return None


def redis_problem(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return str(error)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def own_redis() -> Iterator[str]:
    """A redis-server of our own for the run: no persistence, files in var/redis."""
    folder = BASE_DIR / "var" / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
         "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        start_new_session=True,  # Ctrl-C stops the tests first; we stop it after them
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/15"
    try:
        deadline = time.monotonic() + 10
        while redis_problem(url) and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        if problem := redis_problem(url):
            sys.exit(f"The redis-server of the tests did not start ({problem}); see {folder}.")
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def database_url(stack: ExitStack, test: bool) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url and test:
        if problem := postgres_problem(url):
            sys.exit(
                f"PostgreSQL is unreachable at DATABASE_URL ({problem}); start it or unset DATABASE_URL."
            )
        return url
    if url:
        subprocess.run(["bash", str(BASE_DIR / "bin" / "ensure-postgres")], check=True)
        return url
    name = "ipcop_dev"
    if test:
        default = os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL
        if (problem := postgres_problem(default)) is None:
            return default
        say(f"No PostgreSQL answers at {default} ({problem}).")
        name = environ.Env.db_url_config(default)["NAME"] or "ipcop"
    start = time.monotonic()
    url = stack.enter_context(embedded_postgres(name))
    say(f"Using the embedded PostgreSQL in {PGDATA.relative_to(BASE_DIR)} "
        f"(ready in {time.monotonic() - start:.1f} s): {url}")  # fmt: skip
    return url


def broker_url(stack: ExitStack) -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if url:
        if problem := redis_problem(url):
            sys.exit(
                f"Redis is unreachable at CELERY_BROKER_URL ({problem}); start it or unset CELERY_BROKER_URL."
            )
        return url
    default = os.environ.get("TEST_BROKER_URL") or DEFAULT_TEST_BROKER_URL
    if (problem := redis_problem(default)) is None:
        return default
    say(f"No Redis answers at {default} ({problem}).")
    url = stack.enter_context(own_redis())
    say(f"Using a redis-server of our own: {url}")
    return url


def run(command: list[str], env: dict[str, str]) -> int:
    """Run the command to its end. Ctrl-C reaches it from the terminal (same process
    group); a SIGTERM sent to us is passed on. Either way we wait for it, then clean up."""
    child = subprocess.Popen(command, env=env)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    return child.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--test", action="store_true", help="the test suite: Redis too")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("name the command to run after --")
    with ExitStack() as stack:
        env = {**os.environ, "DATABASE_URL": database_url(stack, args.test)}
        if args.test:
            env["CELERY_BROKER_URL"] = broker_url(stack)
        return run(command, env)


if __name__ == "__main__":
    sys.exit(main())
