"""The embedded PostgreSQL that `make run` and `make test` use when DATABASE_URL is unset.

Real PostgreSQL (16, the server binaries of the `pgserver` wheel in requirements.txt), so a
machine with only Python runs the app and its suite on what production runs. Its data
lives in var/postgres of this checkout and it listens on a Unix socket in that folder
only, never on a TCP port: two checkouts, or the machine's own server on 5432, never
collide. bin/with_services.py starts it around a command; it stops when the last process
using it ends (pgserver keeps the list of those processes in var/postgres).

PostgreSQL refuses to run as root. Run as root, pgserver runs it as a system user
`pgserver`, which it creates (useradd), and lets that user traverse the folders above
var/postgres (it adds o+rx to them).

    bin/embedded_postgres.py url [DATABASE]   the URL to use while it runs (for psql)
    bin/embedded_postgres.py stop             stop it (after a `kill -9` left it running)
"""

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
from psycopg2 import sql

PGDATA = Path(__file__).resolve().parent.parent / "var" / "postgres"

# platformdirs warns that XDG_RUNTIME_DIR is unset (containers, CI) while pgserver picks
# the folder of its lock file; /tmp is what it falls back to, which is what we want.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR")
import pgserver  # noqa: E402
from pgserver._commands import POSTGRES_BIN_PATH  # noqa: E402
from pgserver.utils import PostmasterInfo  # noqa: E402


def running_url(database: str, pgdata: Path = PGDATA) -> str | None:
    """The URL of `database` on the embedded server if it runs, else None."""
    info = PostmasterInfo.read_from_pgdata(pgdata) if pgdata.exists() else None
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info.get_uri(database=database)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _let_the_server_user_reach_its_binaries() -> None:
    """Run as root, the server runs as the user `pgserver`, which must reach the binaries
    in this virtualenv: add g+x,o+x (traverse only) to the folders above them that lack it (a
    checkout cloned into `mktemp -d`, mode 0700, otherwise hides them). pgserver does the
    same, with o+rx, for the folders above the data."""
    if os.geteuid() != 0:
        return
    binaries = Path(POSTGRES_BIN_PATH).absolute()
    # Both the path the server is started by (through a symlinked virtualenv, say) and the
    # real one must be traversable. Group too: pgserver switches the user but keeps root's
    # group, so a root-owned folder is judged by its group bits.
    for folder in {*binaries.parents, *binaries.resolve().parents}:
        mode = folder.stat().st_mode
        if mode & 0o011 != 0o011:
            folder.chmod(mode | 0o011)


def _forget_dead_users(pgdata: Path) -> None:
    """Drop the processes that ended without saying so (kill -9, a crash) from pgserver's
    list of the server's users: while one is listed, the last live user never stops it."""
    users = pgdata / ".handle_pids.json"
    if users.exists():
        pids = json.loads(users.read_text() or "[]")
        users.write_text(json.dumps([pid for pid in pids if _alive(pid)]))


@contextmanager
def embedded_postgres(database: str, pgdata: Path = PGDATA) -> Iterator[str]:
    """Start the embedded server (or join it if it runs) and yield the URL of `database`,
    created if missing. The server stops when the last process that joined it leaves."""
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    _let_the_server_user_reach_its_binaries()
    _forget_dead_users(pgdata)
    with pgserver.get_server(pgdata, cleanup_mode="stop") as server:
        url = server.get_uri(database)
        info = server.get_postmaster_info()
        connection = psycopg2.connect(
            host=str(info.socket_dir), port=info.port, user="postgres", dbname="postgres"
        )
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        connection.close()
        yield url


def stop(pgdata: Path = PGDATA) -> bool:
    """Stop the embedded server whoever started it; False if it was not running."""
    if running_url("postgres", pgdata) is None:
        return False
    # pg_ctl refuses root too: run it as the user pgserver runs the server as.
    user = "pgserver" if os.geteuid() == 0 else None
    subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", "fast", "-w", "stop"],
        user=user,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    return True


def main(argv: list[str]) -> int:
    if argv[:1] == ["url"] and len(argv) <= 2:
        url = running_url(argv[1] if len(argv) == 2 else "ipcop_dev")
        if url is None:
            print(f"The embedded PostgreSQL ({PGDATA}) is not running.", file=sys.stderr)
            return 1
        print(url)
        return 0
    if argv == ["stop"]:
        print("Stopped." if stop() else "It was not running.", file=sys.stderr)
        return 0
    print(__doc__.rsplit("\n\n", 1)[-1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
