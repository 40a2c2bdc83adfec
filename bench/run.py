"""`make bench`: build (or reuse) the province data set, serve the app with gunicorn as
in production, and load with wrk every page each role reaches from its menu (the links
of the main navigation on its home page, as a facilitator of a zone, a preceptor, a
student, a program coordinator and an admin) plus a few pages reached from those (a deep
page of each long list, a filtered list, a site, a CoP, a detail page, the site matrix, a
one-site report); time the reminder sweep, EXPLAIN the pages' queries, and write a section of
docs/benchmarks.md.

Environment: BENCH_SCALE (the data set times n, default 1, in its own database
ipcop_bench_x<n>; a run at n > 1 compares each page's median latency with the last run
at 1, var/bench/results-x1.json), BENCH_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/ipcop_bench[_x<n>]), BENCH_LABEL (the heading of the
section of docs/benchmarks.md this run writes or replaces, default "Latest run"),
BENCH_DURATION (seconds per page, default 10), BENCH_CONNECTIONS (default 8),
BENCH_WORKERS (gunicorn workers, default 4), BENCH_PORT (default 8977),
BENCH_SKIP_SWEEP=1 to skip the sweep (skipped by default at n > 1), BENCH_SWEEP_SECONDS
(default 60; 0 = until every due reminder is sent), BENCH_ONLY=<substring> to load only
the pages whose label or path contains it (no report written), BENCH_SKIP_IMPORTS=1 to
skip the import step (bench/imports.py: 5,000-row files previewed and confirmed; skipped
by default at n > 1).
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import textwrap
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

SCALE = int(os.environ.setdefault("BENCH_SCALE", "1"))
DEFAULT_DATABASE = "ipcop_bench" if SCALE == 1 else f"ipcop_bench_x{SCALE}"

# One secret key for this process and the gunicorn workers, so the sessions made here
# are valid there.
os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DEFAULT_DATABASE}"
)
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
os.environ.update(DEBUG="false", ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="false")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.core import mail  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import OperationalError, connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402

from accounts.models import User  # noqa: E402
from bench import dataset  # noqa: E402
from bench import imports as bench_imports  # noqa: E402

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
PORT = int(os.environ.get("BENCH_PORT", "8977"))
ONLY = os.environ.get("BENCH_ONLY", "")
LABEL = os.environ.get("BENCH_LABEL", "").strip() or "Latest run"
if SCALE > 1:  # its own section: a run at ×5 never replaces the run at ×1 it compares with
    LABEL += f", ×{SCALE} data"
SWEEP_SECONDS = int(os.environ.get("BENCH_SWEEP_SECONDS", "60"))
SKIP_SWEEP = bool(os.environ.get("BENCH_SKIP_SWEEP", "" if SCALE == 1 else "1"))
SKIP_IMPORTS = bool(os.environ.get("BENCH_SKIP_IMPORTS", "" if SCALE == 1 else "1"))
SERVER_WARMUP_SECONDS = 15
GUNICORN_TIMEOUT = 60  # a page slower than this is killed and reported as no answer
EXPLAIN_TIMEOUT = 20  # seconds; a slower statement is EXPLAINed without ANALYZE
OUT = BASE_DIR / "docs" / "benchmarks.md"
VAR = BASE_DIR / "var" / "bench"
EXPLAIN_OUT = VAR / f"explain-x{SCALE}.txt"
RESULTS = VAR / f"results-x{SCALE}.json"
RESULTS_1X = VAR / "results-x1.json"

# The tables that must never be read by a sequential scan on a page: placements,
# sessions and their link tables, follow-ups, reminders, memberships; any other table of
# more than BIG_ROWS rows (counter tables, users) is added when the run starts.
BIG_TABLES = [
    "placements_placement",
    "placements_placementstatuschange",
    "mentoring_mentorassignment",
    "mentoring_mentoringsession",
    "mentoring_sessionstudent",
    "mentoring_sessionprofessional",
    "mentoring_mentoringsession_domains",
    "interviews_followup",
    "interviews_reminder",
    "sites_membership",
]
BIG_ROWS = 100_000

# Issue 15's targets.
TARGET_RATIO = 0.25  # of the bare view's requests per second, same run
TARGET_P95_MS = 150
TARGET_QUERIES = 15
TARGET_DEEP_PAGE = 1.2  # page 200's median latency over page 1's
TARGET_SCALE = 1.3  # median latency at SCALE n over the same page at 1
TARGET_SWEEP = 1000  # reminders per second
DEEP_PAGE = 200

BARE_RUNS: list[float] = []  # the bare view's req/s at the start and at the end of the run


@dataclass
class Page:
    label: str
    persona: str
    path: str
    source: str = "extra"  # "bare", "menu" (a link of the role's navigation) or "extra"
    first_page: str | None = None  # for a deep page: the path of its list's page 1
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    queries: int | None = None
    status: int | None = None
    errors: int = 0
    seq_scans: list[str] = field(default_factory=list)
    # In-process, through the test client (no HTTP, no load): what one request costs.
    inprocess_ms: float = 0.0
    sql_ms: float = 0.0
    python_calls: int = 0
    inprocess_queries: int = 0

    @property
    def key(self) -> str:
        """What names the page across runs and scales (ids in paths may differ)."""
        return f"{self.persona}: {self.label}"


def log(message: str) -> None:
    print(message, flush=True)


# --- Personas --------------------------------------------------------------------------


def session_cookie(user: User) -> str:
    """A logged-in session made the way django.contrib.auth.login makes it."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


def personas() -> dict[str, User]:
    return {
        "facilitator": User.objects.get(pk=dataset.ZONE_FACILITATOR_ID),
        "preceptor": User.objects.get(pk=dataset.FIRST_CLINICIAN),
        "student": User.objects.get(pk=dataset.FIRST_STUDENT_USER + 1),
        "coordinator": User.objects.get(pk=dataset.COORDINATOR_ID),
        "admin": User.objects.get(pk=dataset.ADMIN_ID),
    }


def client_for(user: User) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


# --- The menu walk ---------------------------------------------------------------------


class NavLinks(HTMLParser):
    """The links (href, text) of each <nav> of a page, with the nav's aria-label."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.navs: list[tuple[str, list[tuple[str, str]]]] = []
        self._depth = 0
        self._href: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "nav":
            if self._depth == 0:
                self.navs.append(((attributes.get("aria-label") or "").strip(), []))
            self._depth += 1
        elif tag == "a" and self._depth and attributes.get("href"):
            self._href, self._text = attributes["href"], []

    def handle_endtag(self, tag):
        if tag == "nav" and self._depth:
            self._depth -= 1
        elif tag == "a" and self._href is not None:
            self.navs[-1][1].append((self._href, " ".join("".join(self._text).split())))
            self._href = None

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)


def main_nav_links(html: str) -> list[tuple[str, str]]:
    """The links of the page's main navigation: the <nav aria-label="Main">, else the
    first <nav>."""
    parser = NavLinks()
    parser.feed(html)
    parser.close()
    for label, links in parser.navs:
        if label.lower() in ("main", "main navigation"):
            return links
    return parser.navs[0][1] if parser.navs else []


def local_path(href: str, base: str) -> str | None:
    """The path and query of an href of this site, or None for another site, a
    fragment or a non-HTTP link."""
    if href.startswith(("#", "mailto:", "tel:", "javascript:")):
        return None
    url = urlsplit(urljoin(f"http://127.0.0.1{base}", href))
    if url.netloc != "127.0.0.1" or url.scheme != "http":
        return None
    return url.path + (f"?{url.query}" if url.query else "")


def final_path(client: Client, path: str) -> tuple[str, int]:
    """Where a link lands, following this site's redirects (a menu entry may redirect,
    e.g. to the person's own record), and the status there."""
    for _ in range(5):
        response = client.get(path)
        if response.status_code not in (301, 302, 303, 307, 308):
            return path, response.status_code
        target = local_path(response["Location"], path)
        if target is None:
            return path, response.status_code
        path = target
    return path, response.status_code


def menu_pages(role: str, user: User) -> list[Page]:
    """Every page the role reaches from the main navigation of its home page, as the
    link has it (the list's default filters)."""
    client = client_for(user)
    home = client.get("/")
    if home.status_code != 200:
        raise RuntimeError(f"the home page answers HTTP {home.status_code} to the {role}")
    found: dict[str, Page] = {}
    for href, text in main_nav_links(home.content.decode()):
        path = local_path(href, "/")
        if path is None:
            continue
        landed, status = final_path(client, path)
        # The person's own name (the account link) is named for what it is, so the row
        # keeps its name across data sets.
        label = "your account" if text in (user.full_name, user.email) else text or path
        if landed != path:
            label += f" (→ {url_name(landed)})"
        if landed in found:
            # The brand and "Home" both lead home: keep one row, named by the last text.
            if path == "/":
                found[landed].label = label
            continue
        found[landed] = Page(label, role, landed, source="menu", status=status)
    return list(found.values())


def url_name(path: str) -> str:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return path


# --- Pages reached from the menu pages ------------------------------------------------


class NextLink(HTMLParser):
    """The href of a page's "next page" link: rel="next", or a link reading "Next"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.href: str | None = None
        self._candidate: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag != "a" or not attributes.get("href") or self.href:
            return
        if "next" in (attributes.get("rel") or "").split():
            self.href = attributes["href"]
        else:
            self._candidate, self._text = attributes["href"], []

    def handle_endtag(self, tag):
        if tag == "a" and self._candidate is not None:
            if "".join(self._text).strip().lower().startswith("next") and not self.href:
                self.href = self._candidate
            self._candidate = None

    def handle_data(self, data):
        if self._candidate is not None:
            self._text.append(data)


def deep_page(user: User, path: str, number: int = DEEP_PAGE) -> tuple[str, int]:
    """The path of page `number` of a list, following its Next links (a keyset
    cursor); a numbered page (?page=n) is reached directly. Returns the path and the
    page number reached (fewer when the list is shorter)."""
    client = client_for(user)
    current, reached = path, 1
    while reached < number:
        parser = NextLink()
        parser.feed(client.get(current).content.decode())
        if parser.href is None:
            break
        following = local_path(parser.href.replace("&amp;", "&"), current)
        if following is None:
            break
        if re.search(r"[?&]page=\d+", following):  # a numbered page: jump there
            return re.sub(r"([?&]page=)\d+", rf"\g<1>{number}", following), number
        current, reached = following, reached + 1
    return current, reached


def extra_pages(people: dict[str, User], menus: list[Page]) -> list[Page]:
    """Pages reached from the menu pages that the issue names: a deep page of each long
    list, a filtered list, a site, a CoP, detail pages, the site matrix, a report."""
    from interviews.models import FollowUp
    from mentoring.models import MentoringSession
    from placements.models import Placement

    facilitator = people["facilitator"]
    today = datetime.date.today()
    start = today - datetime.timedelta(days=365)
    extras: list[Page] = []
    menu_paths = {(p.persona, urlsplit(p.path).path): p for p in menus}
    for list_path in ("/placements/", "/mentoring/sessions/", "/interviews/followups/"):
        first = menu_paths.get(("facilitator", list_path))
        if first is None:
            continue
        path, reached = deep_page(facilitator, first.path)
        if reached > 1:
            label = f"{first.label}, page {reached}" + (
                "" if reached == DEEP_PAGE else " (the last)"
            )
            extras.append(Page(label, "facilitator", path, first_page=first.path))
    placement = Placement.objects.filter(site_id=1).order_by("pk").first()
    session = MentoringSession.objects.filter(site_id=1).order_by("-pk").first()
    followup = FollowUp.objects.filter(site_id=1).order_by("pk").first()
    # The pages below open all three.
    assert placement is not None and session is not None and followup is not None
    extras += [
        Page("Placements, filtered (site, completed)", "facilitator",
             "/placements/?site=1&status=completed"),
        Page("site", "facilitator", "/sites/1/"),
        Page("CoP", "facilitator", "/sites/cops/1/"),
        Page("site matrix", "facilitator", "/mentoring/sites/1/matrix/"),
        Page("placement calendar, one site", "facilitator", "/placements/calendar/1/"),
        Page("outcomes report, one site", "facilitator",
             f"/interviews/report/?site=1&start={start.isoformat()}&end={today.isoformat()}"),
        Page("placement", "facilitator", f"/placements/{placement.pk}/"),
        Page("session", "facilitator", f"/mentoring/sessions/{session.pk}/"),
        Page("follow-up", "facilitator", f"/interviews/followups/{followup.pk}/"),
    ]  # fmt: skip
    return extras


def pages(people: dict[str, User]) -> list[Page]:
    """The bare view, each role's menu pages, then the pages reached from them."""
    menus = [page for role, user in people.items() for page in menu_pages(role, user)]
    seen = {(p.persona, p.path) for p in menus}
    extras = [p for p in extra_pages(people, menus) if (p.persona, p.path) not in seen]
    return [Page("bare view (ceiling)", "facilitator", "/bench/bare/", source="bare")] + (
        menus + extras
    )


# --- EXPLAIN -------------------------------------------------------------------------------


def big_tables() -> list[str]:
    """BIG_TABLES that exist with rows, plus any other table of more than BIG_ROWS rows."""
    with connection.cursor() as cursor:
        # An empty table is read by a sequential scan whatever its indexes: only tables
        # with rows count.
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' "
            "AND relnamespace = 'public'::regnamespace "
            "AND ((relname = ANY(%s) AND reltuples >= %s) OR reltuples > %s)",
            [BIG_TABLES, BIG_ROWS // 10, BIG_ROWS],
        )
        return sorted(row[0] for row in cursor.fetchall())


def explain_page(page: Page, user: User, tables: list[str], out) -> None:
    """Run the page in-process, EXPLAIN ANALYZE each query that reads a big table and
    flag sequential scans over them."""
    client = client_for(user)
    with CaptureQueriesContext(connection) as captured:
        client.get(page.path)
    out.write(f"\n## {page.label} ({page.persona}) {page.path}\n")
    for query in captured.captured_queries:
        sql = query["sql"]
        head = sql.lstrip()[:6].upper()
        if head not in ("SELECT", "WITH") or (
            head == "WITH" and re.search(r"\b(INSERT|UPDATE|DELETE)\b", sql, re.IGNORECASE)
        ):
            continue
        if not any(re.search(rf"\b{table}\b", sql) for table in tables):
            continue
        plan = explain(sql)
        out.write(f"\n{sql}\n{plan}\n")
        for table in tables:
            if re.search(rf"Seq Scan on {table}\b", plan):
                page.seq_scans.append(table)


def explain(sql: str) -> str:
    """EXPLAIN ANALYZE of a statement; a plain EXPLAIN (the plan without its run) if it
    runs longer than EXPLAIN_TIMEOUT."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = '{EXPLAIN_TIMEOUT}s'")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
    except OperationalError:  # the timeout
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        return f"(not run: over {EXPLAIN_TIMEOUT} s)\n{plan}"


def measure_inprocess(page: Page, user: User, n: int = 20, budget: float = 5.0) -> None:
    """One request's cost without HTTP or load: the median of `n` requests through the
    test client (fewer, at least 3, for a page slower than `budget` seconds for all),
    their time in SQL, and the Python function calls of one request."""
    import cProfile
    import pstats

    client = client_for(user)
    sql_seconds: list[float] = []

    def timed(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds.append(time.perf_counter() - started)

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        if client.get(page.path).status_code != 200:
            return
    first = time.perf_counter() - started
    if first > budget:  # one slow request says enough (its caches were cold: an upper bound)
        page.inprocess_ms, page.sql_ms = first * 1000, sum(sql_seconds) * 1000
        page.inprocess_queries = len(sql_seconds)
        return
    sql_seconds.clear()
    times: list[float] = []
    with connection.execute_wrapper(timed):
        while len(times) < n and (len(times) < 3 or sum(times) < budget):
            started = time.perf_counter()
            client.get(page.path)
            times.append(time.perf_counter() - started)
    profiler = cProfile.Profile()
    profiler.enable()
    client.get(page.path)
    profiler.disable()
    page.inprocess_ms = statistics.median(times) * 1000
    page.sql_ms = sum(sql_seconds) / len(times) * 1000
    page.inprocess_queries = len(sql_seconds) // len(times)
    page.python_calls = pstats.Stats(profiler).total_calls  # type: ignore[attr-defined]  # set in Stats.__init__, missing from typeshed


# --- Load ------------------------------------------------------------------------------


def check(page: Page, cookie: str) -> None:
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}{page.path}", headers={"Cookie": cookie}
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=GUNICORN_TIMEOUT + 5) as response:
            page.status = response.status
            page.queries = int(response.headers.get("X-Queries", "-1"))
    except urllib.error.HTTPError as error:
        page.status = error.code
        page.queries = int(error.headers.get("X-Queries", "-1"))
    except OSError as error:  # the worker was killed after GUNICORN_TIMEOUT, or worse
        log(f"  {page.key}: no answer ({type(error).__name__}: {error})")
        page.status = 0


def wrk(page: Page, cookie: str, duration: int) -> dict:
    result = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(BASE_DIR / "bench" / "wrk.lua"),
            f"http://127.0.0.1:{PORT}{page.path}",
        ],
        env={**os.environ, "BENCH_COOKIE": cookie},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON"))
    return json.loads(line.removeprefix("BENCH_JSON "))


def measure(page: Page, cookie: str) -> None:
    check(page, cookie)
    if page.status != 200:
        log(f"  {page.key}: HTTP {page.status}, not loaded")
        drain()
        return
    try:
        wrk(page, cookie, 2)  # warm every worker's connection and caches
        data = wrk(page, cookie, DURATION)
    except (subprocess.CalledProcessError, StopIteration) as error:
        log(f"  {page.key}: wrk failed ({error})")
        page.status = 0
        drain()
        return
    page.rps = data["requests"] / (data["duration_us"] / 1e6)
    page.p50_ms = data["p50_us"] / 1000
    page.p95_ms = data["p95_us"] / 1000
    page.errors = data["non2xx"] + data["socket_errors"]
    drain()
    log(
        f"  {page.key}: {page.rps:.0f} rps, p50 {page.p50_ms:.0f} ms, "
        f"p95 {page.p95_ms:.0f} ms, {page.queries} queries"
    )


def drain(timeout: float = 180, quiet: float = 2.0) -> None:
    """Wait until the server has finished the requests wrk left behind (a slow page's
    requests outlive wrk's run, queued for a worker), so they do not slow the next page's
    measurement: until no query of the database has run for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    idle_since = time.monotonic()
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND (state = 'active' OR state_change > now() - interval '0.3 s') "
                "AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= quiet:
                break
            time.sleep(0.2)
    connection.close()


def port_in_use() -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", PORT)) == 0


def serve():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    return subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "ipcop.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--timeout",
            str(GUNICORN_TIMEOUT),
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=env,
    )


def wait_until_up() -> None:
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


# --- The reminder sweep ------------------------------------------------------------------


def time_sweep() -> dict:
    from interviews.models import Reminder
    from interviews.services import reminders_send_due

    dataset.reset_due_reminders()
    due = Reminder.objects.due(django.utils.timezone.now()).count()
    mail.outbox = []
    sent = 0
    started = time.monotonic()
    # The sweep commits every claim and every "sent" mark: it is bound by the database's
    # commits, so by default it runs for SWEEP_SECONDS over the due rows and the rate is
    # measured there (BENCH_SWEEP_SECONDS=0 sends them all).
    while True:
        batch = reminders_send_due(max_batches=5)
        sent += batch
        mail.outbox.clear()
        if batch == 0 or (SWEEP_SECONDS and time.monotonic() - started > SWEEP_SECONDS):
            break
    elapsed = time.monotonic() - started
    dataset.reset_due_reminders()
    # The sweep and the reset leave dead reminder rows; vacuum them now, or autovacuum
    # does it during the next run's page loads and skews them.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE interviews_reminder")
    return {
        "due": due,
        "sent": sent,
        "seconds": elapsed,
        "per_second": sent / elapsed,
        "all": sent >= due,
    }


def explain_sweep(tables: list[str], out) -> list[str]:
    from interviews.models import Reminder

    query = (
        Reminder.objects.due(django.utils.timezone.now())
        .order_by("send_at", "id")
        .values_list("id", flat=True)[:20]
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    out.write(f"\n## reminder sweep claim\n{sql}\n{plan}\n")
    return [t for t in tables if f"Seq Scan on {t}" in plan]


# --- Report ------------------------------------------------------------------------------


def machine() -> dict:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "postgres": pg,
        "django": django.get_version(),
    }


def row_counts() -> dict[str, int]:
    tables = {
        "sites": "sites_site",
        "CoPs": "sites_communityofpractice",
        "memberships": "sites_membership",
        "students": "placements_student",
        "placements": "placements_placement",
        "placement status changes": "placements_placementstatuschange",
        "mentoring sessions": "mentoring_mentoringsession",
        "session students": "mentoring_sessionstudent",
        "session professionals": "mentoring_sessionprofessional",
        "session domains": "mentoring_mentoringsession_domains",
        "follow-ups": "interviews_followup",
        "reminders": "interviews_reminder",
        "users": "accounts_user",
    }
    counts = {}
    with connection.cursor() as cursor:
        for label, table in tables.items():
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            counts[label] = cursor.fetchone()[0]
    return counts


def ok(flag: bool) -> str:
    return "✓" if flag else "✗"


def deep_cost(page: Page, by_path: dict[tuple[str, str], Page]) -> float | None:
    """A deep page's median latency over its list's page 1."""
    first = by_path.get((page.persona, page.first_page)) if page.first_page else None
    if first is None or not first.p50_ms or not page.p50_ms:
        return None
    return page.p50_ms / first.p50_ms


def missed(page: Page, bare: Page, by_path: dict, growth: float | None = None) -> list[str]:
    """The targets a page misses, in short: "answer", "errors", "ratio", "p95",
    "queries", "seq scan", "deep page", "×n"."""
    ratio = page.rps / bare.rps if bare.rps else 0
    cost = deep_cost(page, by_path)
    checks = [
        ("answer", page.status == 200),
        ("errors", page.errors == 0),
        ("ratio", page is bare or ratio >= TARGET_RATIO),
        ("p95", page.p95_ms < TARGET_P95_MS),
        ("queries", (page.queries or 0) <= TARGET_QUERIES),
        ("seq scan", not page.seq_scans),
        ("deep page", cost is None or cost <= TARGET_DEEP_PAGE),
        (f"×{SCALE}", growth is None or growth <= TARGET_SCALE),
    ]
    if page.status != 200:  # nothing was measured: only that counts
        return ["answer"]
    return [name for name, met in checks if not met]


def previous_1x() -> dict | None:
    if SCALE == 1 or not RESULTS_1X.exists():
        return None
    return json.loads(RESULTS_1X.read_text())


def section(results: list[Page], run: dict) -> list[str]:
    """This run's section of docs/benchmarks.md."""
    bare = results[0]
    by_path = {(p.persona, p.path): p for p in results}
    info, build, sweep = run["machine"], run["build"], run["sweep"]
    baseline = previous_1x()
    at_1x = {p["key"]: p for p in baseline["pages"]} if baseline else {}
    lines = [
        f"## {LABEL}",
        "",
        f"- Date: {run['date']}, commit `{run['commit']}`, data set ×{SCALE} (`{run['database']}`)",
        f"- Machine: {info['nproc']} CPUs ({info['cpu']}), {info['memory']} memory; "
        f"PostgreSQL {info['postgres']}, Python {info['python']}, Django {info['django']}",
        f"- Load average (1 min) before / after the run: {run['load'][0]} / {run['load'][1]} "
        "(other work on the machine, e.g. test suites, slows every page down; the web "
        "server, PostgreSQL and wrk share these CPUs)",
        f"- Server: gunicorn, {WORKERS} sync workers, DEBUG off, production middleware; "
        f"wrk, {CONNECTIONS} connections, {DURATION} s per page after a 2 s warm-up; the "
        f"whole run took {run['run_seconds'] / 60:.0f} min",
        "- Data set: " + ", ".join(f"{n:,} {label}" for label, n in run["counts"].items()),
    ]
    if build:
        steps = ", ".join(f"{label} {s:.0f} s" for label, s in (build["steps"] or {}).items())
        lines.append(
            f"- Building this data set took **{build['seconds'] / 60:.1f} min** "
            f"({build['seconds']:.0f} s, on {build['built_at'][:16]}"
            + (", this run" if run["built_now"] else ", reused by this run")
            + f"): {steps}."
        )
    lines += [
        "",
        "The bare view was measured first and again last: "
        + " and ".join(f"{rps:.0f}" for rps in run["bare_runs"])
        + " req/s; the ratios use the higher.",
        "",
    ]
    scale_cols = baseline is not None
    head = (
        "| page | as | path | req/s | ratio to bare | p50 ms | p95 ms | queries | seq scans "
        + (f"| p50 at ×1 ms | p50 ×{SCALE} / ×1 | in-process ×{SCALE} / ×1 " if scale_cols else "")
        + "| met (or missed) | in-process ms (SQL ms) | Python calls |"
    )
    lines += [head, "|---|---|---|---:|---:|---:|---:|---:|---|" + ("---:|---:|---:|" if scale_cols else "") + ":-:|---:|---:|"]  # fmt: skip
    tally: collections.Counter[str] = collections.Counter()
    unmet = 0
    for page in results:
        ratio = page.rps / bare.rps if bare.rps else 0
        extra, growth = "", None
        if scale_cols:
            before = at_1x.get(page.key)
            loaded = page.p50_ms / before["p50_ms"] if before and before["p50_ms"] else None
            growth = (
                page.inprocess_ms / before["inprocess_ms"]
                if before and before.get("inprocess_ms") and page.inprocess_ms
                else None
            )
            extra = (
                (f"{before['p50_ms']:.0f} | " if before else "— | ")
                + (f"{loaded:.2f} | " if loaded else "— | ")
                + (f"{growth:.2f} | " if growth else "— | ")
            )
        misses = missed(page, bare, by_path, growth)
        tally.update(misses)
        unmet += bool(misses)
        status = (
            ""
            if page.status == 200
            else f" (HTTP {page.status})"
            if page.status
            else " (no answer)"
        )
        cost = deep_cost(page, by_path)
        label = page.label + status + (f" ({cost:.2f}× page 1)" if cost is not None else "")
        lines.append(
            f"| {label} | {page.persona} | `{page.path}` | {page.rps:.0f} | {ratio:.2f} | "
            f"{page.p50_ms:.0f} | {page.p95_ms:.0f} | {page.queries} | "
            f"{', '.join(sorted(set(page.seq_scans))) or '—'} | {extra}"
            f"{'✗ ' + ', '.join(misses) if misses else '✓'} | "
            f"{page.inprocess_ms:.1f} ({page.sql_ms:.1f}) | {page.python_calls:,} |"
        )
    lines += [
        "",
        f"{len(results) - unmet} of {len(results)} pages meet every target"
        + (
            "; pages missing each: " + ", ".join(f"{name} {n}" for name, n in tally.most_common())
            if tally
            else ""
        )
        + ".",
    ]
    if baseline:
        lines += [
            "",
            f"The ×1 medians are those of the run of {baseline['date']} (commit "
            f"`{baseline['commit']}`, load average {baseline['load'][0]} / "
            f"{baseline['load'][1]}).",
        ]
    elif SCALE > 1:
        lines += ["", "No run at ×1 was found (var/bench/results-x1.json): no comparison."]
    if sweep:
        lines += [
            "",
            f"Reminder sweep: {sweep['sent']:,} of {sweep['due']:,} due reminders sent in "
            f"{sweep['seconds']:.1f} s{'' if sweep['all'] else ' (time-boxed)'}: "
            f"**{sweep['per_second']:.0f} reminders per second** "
            f"{ok(sweep['per_second'] >= TARGET_SWEEP)} (one process, "
            "`interviews.services.reminders_send_due` in a loop, locmem email backend; the "
            "claim query: "
            + (
                "sequential scan on " + ", ".join(run["sweep_scans"])
                if run["sweep_scans"]
                else "index scan"
            )
            + ").",
        ]
    if run.get("imports"):
        lines += ["", *bench_imports.summary(run["imports"])]
    return lines + [""]


TARGETS = textwrap.fill(
    f"Targets (issue 15), each page: ≥ {TARGET_RATIO}× the bare view's requests per second in "
    f"the same run, p95 < {TARGET_P95_MS} ms at {CONNECTIONS} connections, ≤ {TARGET_QUERIES} "
    f"queries, page {DEEP_PAGE} ≤ {TARGET_DEEP_PAGE}× page 1 (median), no sequential scan over "
    "placements, sessions and their link tables, follow-ups, reminders, memberships (or any "
    f"table of more than {BIG_ROWS:,} rows); at ×5 data, median latency ≤ {TARGET_SCALE}× the "
    "×1 median (judged on the in-process median, one request on an idle server, the same "
    "measurement at both scales: wrk's median under load moves with the machine's load "
    "between the two runs, shown beside it). The reminder sweep: ≥ {TARGET_SWEEP:,} reminders per second. A page that "
    'misses a target names it in the "met" column: answer (not HTTP 200), errors (wrk\'s), '
    f"ratio, p95, queries, seq scan, deep page (page {DEEP_PAGE} over page 1), ×5.",
    width=90,
)

HEADER = f"""# Benchmarks

Written by `make bench` (bench/run.py). Each run writes (or replaces) the section named by
its label: `make bench LABEL="After (main at abc1234)"`; `make bench SCALE=5` measures the
same pages on a data set five times larger, in its own database, against the medians of
the last run at ×1. The query plans of each run are in `var/bench/explain-x<SCALE>.txt`.

What is measured: every page each role reaches from its menu (the links of the main
navigation of its home page, followed where they redirect, with the lists' default
filters) as the facilitator of a health zone of 100 sites (20,000 placements, 200,000
sessions), a preceptor of one site, a student (two placements, 20 sessions) and an admin
(who sees everything); then pages reached from those: page {DEEP_PAGE} of each long list
(following its Next links), a filtered list, a site, a CoP, a placement, a session, a
follow-up, the site matrix and a one-site report; first and last, a bare view (a small
template behind the same middleware and login: the ceiling of this stack).

{TARGETS}

Reading these numbers:
- wrk, gunicorn's workers and PostgreSQL share the machine's CPUs; when other jobs run
  (see each run's load average) every page slows down by the same contention, so
  compare ratios and query counts more than absolute latencies.
- The bare view's cost is the session and user look-ups and the session save every
  logged-in request commits (`SESSION_SAVE_EVERY_REQUEST`, the idle timeout). The server
  gets {SERVER_WARMUP_SECONDS} s of unmeasured load before the first measurement.
- The in-process columns are one request through Django's test client, no HTTP and no
  other load: its median time, the part spent waiting on SQL, and the Python function
  calls it makes (a stable measure of its CPU work). `make profile` shows them per page.
"""


def write_report(results: list[Page], run: dict) -> None:
    """Replace this run's section (by its heading) of docs/benchmarks.md or add it (first,
    or after the same label's run at ×1), keep the others, and rewrite the header above
    them."""
    sections: list[tuple[str, list[str]]] = []
    if OUT.exists():
        current = None
        for line in OUT.read_text().splitlines():
            if line.startswith("## "):
                current = (line[3:].strip(), [line])
                sections.append(current)
            elif current is not None:
                current[1].append(line)
    mine = section(results, run)
    heading = mine[0][3:].strip()
    titles = [title for title, _ in sections]
    base = heading.removesuffix(f", ×{SCALE} data")
    if heading in titles:
        sections = [(t, mine if t == heading else body) for t, body in sections]
    elif base != heading and base in titles:  # a run at ×n goes after its run at ×1
        sections.insert(titles.index(base) + 1, (heading, mine))
    else:  # the newest run first
        sections.insert(0, (heading, mine))
    body = "\n".join("\n".join(lines).rstrip() + "\n" for _, lines in sections)
    OUT.write_text(HEADER + "\n" + body)


def save_results(results: list[Page], run: dict) -> None:
    """This run's numbers in var/bench/results-x<SCALE>.json (a run at ×n compares its
    medians with the last run at ×1)."""
    VAR.mkdir(parents=True, exist_ok=True)
    pages_out = [{**asdict(page), "key": page.key} for page in results]
    RESULTS.write_text(json.dumps({**run, "pages": pages_out}, indent=1, default=str))


def report_again() -> int:
    """BENCH_REPORT_ONLY=1: write the section again from the last run's numbers
    (var/bench/results-x<SCALE>.json), e.g. after a change to the report's form."""
    global LABEL
    saved = json.loads(RESULTS.read_text())
    LABEL = saved["label"]
    names = {f.name for f in Page.__dataclass_fields__.values()}
    results = [Page(**{k: v for k, v in p.items() if k in names}) for p in saved.pop("pages")]
    BARE_RUNS[:] = saved["bare_runs"]
    write_report(results, saved)
    log(f"wrote {OUT.relative_to(BASE_DIR)} (section {LABEL!r}) from {RESULTS.name}")
    return 0


def main() -> int:
    if os.environ.get("BENCH_REPORT_ONLY"):
        return report_again()
    run_started = time.monotonic()
    load_before = os.getloadavg()[0]
    log(f"migrating {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0, interactive=False)
    built_now = dataset.ensure_dataset(log)
    call_command("collectstatic", verbosity=0, interactive=False)
    if shutil.which("wrk") is None:
        log("wrk is missing: install it with `apt-get install wrk`")
        return 1
    people = personas()
    log("walking each role's menu")
    results = pages(people)
    for page in results[1:]:
        log(f"  {page.key}: {page.path}")
    if ONLY:
        results = [results[0]] + [p for p in results[1:] if ONLY in p.key or ONLY in p.path]
    cookies = {role: session_cookie(user) for role, user in people.items()}

    tables = big_tables()
    VAR.mkdir(parents=True, exist_ok=True)
    with EXPLAIN_OUT.open("w") as out:
        log(f"EXPLAIN of the pages' queries → {EXPLAIN_OUT.relative_to(BASE_DIR)}")
        for page in results[1:]:
            explain_page(page, people[page.persona], tables, out)
            if page.seq_scans:
                log(f"  SEQ SCAN on {', '.join(sorted(set(page.seq_scans)))}: {page.key}")
        sweep_scans = explain_sweep(tables, out)
    log("in-process cost of each page (test client, 20 requests)")
    for page in results:
        measure_inprocess(page, people[page.persona])
    connection.close()

    if port_in_use():
        log(f"port {PORT} is taken by another program: set BENCH_PORT")
        return 1
    log(f"serving with gunicorn ({WORKERS} workers) on 127.0.0.1:{PORT}")
    server = serve()
    try:
        wait_until_up()
        # A fresh server answers slower for its first ~10 s; load it unmeasured first.
        wrk(results[0], cookies[results[0].persona], SERVER_WARMUP_SECONDS)
        for page in results:
            measure(page, cookies[page.persona])
        # The ceiling again at the end: a run's first measurement can come out low. The
        # higher of the two is the ceiling every ratio is taken against.
        bare = results[0]
        again = Page(bare.label, bare.persona, bare.path)
        measure(again, cookies[bare.persona])
        BARE_RUNS[:] = [bare.rps, again.rps]
        if again.rps > bare.rps:
            bare.rps, bare.p50_ms, bare.p95_ms = again.rps, again.p50_ms, again.p95_ms
    finally:
        server.terminate()
        server.wait(timeout=30)

    sweep = None
    if not SKIP_SWEEP:
        log("timing the reminder sweep over the due reminders")
        sweep = time_sweep()
        log(f"  {sweep['sent']} sent in {sweep['seconds']:.1f} s: {sweep['per_second']:.0f}/s")

    imports = None
    if not SKIP_IMPORTS and not ONLY:
        log("timing the import of 5,000-row files (preview and confirm, rolled back)")
        imports = bench_imports.time_imports(log)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=BASE_DIR
    ).stdout.strip()
    if ONLY:
        return 0
    run = {
        "label": LABEL,
        "scale": SCALE,
        "database": connection.settings_dict["NAME"],
        "date": f"{datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        "commit": commit,
        "load": (f"{load_before:.1f}", f"{os.getloadavg()[0]:.1f}"),
        "machine": machine(),
        "counts": row_counts(),
        "build": dataset.build_info(),
        "built_now": built_now,
        "bare_runs": BARE_RUNS,
        "sweep": sweep,
        "sweep_scans": sweep_scans,
        "imports": imports,
        "run_seconds": time.monotonic() - run_started,
    }
    save_results(results, run)
    write_report(results, run)
    log(
        f"wrote {OUT.relative_to(BASE_DIR)} (section {LABEL!r}) and {RESULTS.relative_to(BASE_DIR)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
