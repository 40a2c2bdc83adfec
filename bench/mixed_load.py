"""The locustfile of `make load` (bench/load_run.py starts the servers and runs it).

Four kinds of people use IPCoP at once, each logged in through the real login form as an
account of their own (bench/load_people.py makes them): facilitators, preceptors,
students and admins, reading pages and writing through the app's forms (real POSTs with
their CSRF token). Every URL, id and form field is found in the pages, as a person finds
them by following links; nothing but the first page ("/") is known in advance.

A request fails on a 5xx, a connection error, a time-out or any other status than the
page's (each person follows only their own links, so no 403 or 404 is expected here), and
a page that lacks what the person looks for is a failure too ("check"). A write the app
refuses with a form error (200 and the form with its message) is a refusal by design,
not a failure: such refusals are counted apart.

Request names are "<kind> <role>: <page>", kind being read, write, login or check, so that
bench/load_run.py reports each kind; at the end the per-kind figures go to the JSON file
named by LOAD_RESULT.

Only loopback addresses are accepted as the host: this load never leaves the machine.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import http.cookiejar
import ipaddress
import itertools
import json
import os
import random
import re
import uuid
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

from locust import FastHttpUser, between, events, task
from locust.exception import RescheduleTask
from locust.stats import StatsEntry

PASSWORD = os.environ.get("LOAD_PASSWORD", "ipcop-demo")
USERS_PER_ROLE = int(os.environ.get("LOAD_USERS_PER_ROLE", "50"))
EMAIL_DOMAIN = "ipcop.example"
REDIRECTS = (301, 302, 303)
MAX_REDIRECTS = 5

refusals: Counter[str] = Counter()  # writes the app refused with a form error, by name
accepted: Counter[str] = Counter()  # writes the app accepted, by name


@events.init.add_listener
def only_loopback(environment, **_kwargs):
    host = urlsplit(environment.host or "").hostname or ""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback:
        raise SystemExit(f"mixed_load: {environment.host!r} is not a loopback address")


# --- Reading pages ---------------------------------------------------------------------


class Form:
    def __init__(self, action: str, method: str):
        self.action = action
        self.method = method
        self.fields: list[tuple[str, str]] = []  # what the browser sends as it stands
        self.choices: dict[str, list[str]] = {}  # every value of checkboxes, radios, selects

    def data(self, **changes) -> list[tuple[str, str]]:
        """The fields as the browser would send them, with `changes` (a value or a list
        of values per field name) in place of what the page had."""
        sent = [(name, value) for name, value in self.fields if name not in changes]
        for name, value in changes.items():
            values = value if isinstance(value, list | tuple) else [value]
            sent += [(name, str(v)) for v in values]
        return sent

    def values(self, name: str) -> list[str]:
        return [value for field, value in self.fields if field == name]


class Page(HTMLParser):
    """Links (href, text, rel, class), forms and form errors of one HTML page."""

    ERROR_CLASSES = {"is-invalid", "invalid-feedback", "alert-danger", "errorlist"}

    def __init__(self, url: str, text: str):
        super().__init__(convert_charrefs=True)
        self.url = url
        self.links: list[dict] = []
        self.forms: list[Form] = []
        self.has_errors = False
        self._link: dict | None = None
        self._form: Form | None = None
        self._select: tuple[str, bool, list] | None = None
        self._textarea: list | None = None
        self.feed(text)
        self.close()

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    def handle_starttag(self, tag, attr_list):
        attrs = {name: value or "" for name, value in attr_list}
        if self.ERROR_CLASSES & set(attrs.get("class", "").split()):
            self.has_errors = True
        if tag == "a" and "href" in attrs:
            self._link = {**attrs, "href": urljoin(self.url, attrs["href"]), "text": ""}
            self.links.append(self._link)
        elif tag == "form":
            action = urljoin(self.url, attrs.get("action") or self.url)
            self._form = Form(action, attrs.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text").lower()
            name, value = attrs["name"], attrs.get("value", "on" if kind == "checkbox" else "")
            if kind in ("checkbox", "radio"):
                self._form.choices.setdefault(name, []).append(value)
                if "checked" in attrs:
                    self._form.fields.append((name, value))
            elif kind not in ("submit", "button", "reset", "file", "image"):
                self._form.fields.append((name, value))
        elif tag == "select" and attrs.get("name"):
            self._select = (attrs["name"], "multiple" in attrs, [])
            self._form.choices[attrs["name"]] = []
        elif tag == "option" and self._select is not None:
            name, _, selected = self._select
            self._form.choices[name].append(attrs.get("value", ""))
            if "selected" in attrs:
                selected.append(attrs.get("value", ""))
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = [attrs["name"], ""]

    def handle_data(self, data):
        if self._link is not None:
            self._link["text"] += data
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "a":
            if self._link is not None:
                self._link["text"] = " ".join(self._link["text"].split())
            self._link = None
        elif tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, multiple, selected = self._select
            options = self._form.choices[name]
            # A single select sends its first option when none is marked selected.
            chosen = selected if multiple else (selected[-1:] or options[:1])
            self._form.fields += [(name, value) for value in chosen]
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            # The browser drops the newline that follows <textarea>.
            self._form.fields.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None

    # Finding things a person would click on.
    def hrefs(self, pattern: str) -> list[str]:
        """Links whose path matches `pattern` (a regular expression over the path), once each."""
        found = dict.fromkeys(
            link["href"]
            for link in self.links
            if re.search(pattern, urlsplit(link["href"]).path) and self.same_site(link["href"])
        )
        return list(found)

    def link_rel(self, rel: str) -> str | None:
        return next((link["href"] for link in self.links if link.get("rel") == rel), None)

    def nav(self) -> dict[str, str]:
        """The navigation bar: label: URL."""
        return {
            link["text"]: link["href"]
            for link in self.links
            if "nav-link" in link.get("class", "").split()
        }

    def form(self, action: str | None = None, method: str = "post") -> Form | None:
        """The first form with `method` whose action's path matches `action`, skipping the
        navigation bar's log-out form."""
        for form in self.forms:
            path = urlsplit(form.action).path
            if form.method != method or path.endswith("/logout/"):
                continue
            if action is None or re.search(action, path):
                return form
        return None

    def forms_to(self, action: str) -> list[Form]:
        return [f for f in self.forms if f.method == "post" and re.search(action, f.action)]

    def same_site(self, url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(self.url).netloc


# --- The simulated people ----------------------------------------------------------------


class UnexpectedPage(RescheduleTask):
    """The answer is not the page a person expects: already counted as a failed request,
    it ends the task (as a return would) and the person goes on to the next one."""


class Person(FastHttpUser):
    abstract = True
    role = ""
    # A person reads a page for a few seconds before the next click.
    wait_time = between(1, 5)
    connection_timeout = 10.0
    network_timeout = 60.0  # seconds: a request still unanswered after a minute fails
    # The load generator stands where production's TLS proxy stands (the servers run with
    # BEHIND_TLS_PROXY=true): it says each request came in over HTTPS, so Django marks
    # its cookies Secure and checks a form's origin against https://.
    default_headers = {"X-Forwarded-Proto": "https"}
    numbers: itertools.count

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.numbers = itertools.count(1)  # each role's accounts: load-<role>-01, -02, ...

    def on_start(self):
        self.number = next(self.numbers)
        self.email = f"load-{self.role}-{self.number:02d}@{EMAIL_DOMAIN}"
        self.origin = f"https://{urlsplit(self.host).netloc}"
        # ...and sends those Secure cookies back over the loopback's plain HTTP.
        self.client.cookiejar.set_policy(
            http.cookiejar.DefaultCookiePolicy(secure_protocols=("https", "wss", "http"))
        )
        self.menu: dict[str, str] = {}
        # A failed login is counted; the tasks that need the menu then fail in turn.
        with contextlib.suppress(UnexpectedPage):
            self.login()

    # Requests ---------------------------------------------------------------------------
    def name(self, kind: str, what: str) -> str:
        return f"{kind} {self.role}: {what}"

    def get(self, url: str, what: str, kind: str = "read") -> Page:
        """GET a page and parse it, following redirects (a hop is a request of its own,
        "<page> (redirect)"); anything but a 200 HTML page of the logged-in person fails
        the request and ends the task."""
        url = urljoin(self.host, url)
        name = self.name(kind, what)
        for _ in range(MAX_REDIRECTS):
            with self.client.get(
                url, name=name, allow_redirects=False, catch_response=True
            ) as response:
                status = response.status_code
                if status in REDIRECTS:
                    # The hop is reported apart; the page it leads to keeps the name.
                    response.request_meta["name"] = self.name(kind, f"{what} (redirect)")
                    url = urljoin(url, response.headers.get("Location") or "")
                    if kind != "login" and urlsplit(url).path.endswith("/login/"):
                        response.failure(f"sent to the login page from {what}")
                        raise UnexpectedPage(url)
                    response.success()
                    continue
                if status != 200:
                    response.failure(f"HTTP {status} for {urlsplit(url).path}")
                    raise UnexpectedPage(url)
                response.success()
                page = Page(url, response.text)
                self.menu.update(page.nav())
                return page
        raise self.missing(f"more than {MAX_REDIRECTS} redirects from {what}")

    def post(self, form: Form, page: Page, what: str, data, kind: str = "write") -> str:
        """Submit `form` of `page` as the browser does (the form's CSRF token, the Origin
        and Referer of the page). Returns where the app redirected to, or "" when it sent
        the form back with an error message (a refusal by design)."""
        name = self.name(kind, what)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": self.origin,
            "Referer": self.origin + page.url.removeprefix(self.host),
        }
        with self.client.post(
            form.action,
            data=urlencode(data),
            name=name,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            status = response.status_code
            if status in REDIRECTS:
                response.success()
                accepted[name] += 1
                return urljoin(page.url, response.headers.get("Location") or "")
            if status == 200 and Page(form.action, response.text).has_errors:
                response.success()
                refusals[name] += 1
                return ""
            response.failure(f"HTTP {status} for POST {urlsplit(form.action).path}")
            raise UnexpectedPage(form.action)

    def open(self, label: str) -> Page:
        """Follow the navigation bar's link `label`."""
        if label not in self.menu:
            raise self.missing(f"no “{label}” in the navigation bar")
        return self.get(self.menu[label], label)

    def missing(self, what: str) -> UnexpectedPage:
        """Record a page that lacks what the person looks for as a failed request."""
        events.request.fire(
            request_type="CHECK",
            name=self.name("check", "page content"),
            response_time=0,
            response_length=0,
            exception=UnexpectedPage(what),
            context={},
        )
        return UnexpectedPage(what)

    def pick(self, items: list, what: str):
        if not items:
            raise self.missing(what)
        return random.choice(items)

    # Login -------------------------------------------------------------------------------
    def login(self):
        page = self.get("/", "login page", kind="login")  # "/" sends a visitor to log in
        form = page.form(r"/login/$") or page.form()
        if form is None:
            raise self.missing("no login form")
        data = form.data(username=self.email, password=PASSWORD)
        if not self.post(form, page, "log in", data, kind="login"):
            raise self.missing(f"login refused for {self.email}")
        try:
            self.home()
        except UnexpectedPage:
            # A failing home page is counted; the login page shows a logged-in person the
            # same navigation bar, so the person can go on with the other pages.
            self.get(page.url, "login page", kind="login")

    def home(self) -> Page:
        page = self.get("/", "home")
        if not self.menu:
            raise self.missing("no navigation bar on the home page")
        return page


class Facilitator(Person):
    role = "facilitator"
    fixed_count = USERS_PER_ROLE

    @task(3)
    def read_home(self):
        self.home()

    @task(1)
    def read_sites(self):
        return self.open("Sites")

    @task(2)
    def read_site(self):
        sites = self.read_sites().hrefs(r"^/sites/\d+/$")
        self.get(self.pick(sites, "no site in the sites list"), "site")

    @task(1)
    def read_cops(self):
        return self.open("Communities")

    @task(2)
    def read_cop(self) -> Page:
        cops = self.read_cops().hrefs(r"^/sites/cops/\d+/$")
        return self.get(self.pick(cops, "no CoP in the CoP list"), "CoP")

    @task(2)
    def read_placements_filtered(self):
        page = self.open("Placements")
        filters = page.form(method="get")
        if filters is None or "site" not in filters.choices:
            raise self.missing("no filters on the placements list")
        site = self.pick([v for v in filters.choices["site"] if v], "no site to filter by")
        status = random.choice([v for v in filters.choices.get("status", []) if v] or [""])
        query = urlencode(filters.data(site=site, status=status))
        self.get(f"{page.path}?{query}", "placements list, filtered")

    @task(1)
    def read_placements_page_2(self):
        page = self.open("Placements")
        following = page.link_rel("next")
        if following is None:
            raise self.missing("no next page on the placements list")
        self.get(following, "placements list, page 2")

    @task(2)
    def read_followups(self):
        page = self.open("Follow-ups")
        tabs = page.hrefs(r"^/interviews/followups/$")
        tabs = [t for t in tabs if urlsplit(t).query]
        if tabs:
            self.get(random.choice(tabs), "follow-ups list, a tab")

    @task(1)
    def read_outcomes(self):
        self.open("Outcomes")

    @task(1)
    def read_capacity(self):
        self.open("Capacity")

    # Writes ------------------------------------------------------------------------------
    @task(2)
    def write_meeting_or_initiative(self):
        cop = self.read_cop()
        if random.random() < 0.5:
            form_page = self.get(
                self.pick(cop.hrefs(r"/meetings/new/$"), "no “record a meeting” link"),
                "meeting form",
            )
            form = form_page.form()
            if form is None:
                raise self.missing("no meeting form")
            people = form.choices.get("attendees", [])
            attendees = random.sample(people, k=min(len(people), random.randint(2, 6)))
            data = form.data(
                attendees=attendees,
                topics="Load test: handover between professions.",
                decisions="Try the shared handover sheet for two weeks.",
                action_items="Each profession names a contact.",
            )
            self.post(form, form_page, "record a meeting", data)
        else:
            form_page = self.get(
                self.pick(cop.hrefs(r"/initiatives/new/$"), "no “new initiative” link"),
                "initiative form",
            )
            form = form_page.form()
            if form is None:
                raise self.missing("no initiative form")
            themes = [v for v in form.choices.get("theme", []) if v]
            data = form.data(
                title=f"Load test initiative {uuid.uuid4().hex[:8]}",
                theme=random.choice(themes) if themes else "",
                description="Made by the load test.",
            )
            self.post(form, form_page, "add an initiative", data)

    @task(2)
    def write_move_initiative(self):
        cop = self.read_cop()
        moves = cop.forms_to(r"/initiatives/\d+/move/$")
        # People mostly move an initiative forward; some drop one.
        forward = [f for f in moves if "dropped" not in f.values("status")]
        form = random.choice(forward if forward and random.random() < 0.8 else moves or [None])
        if form is None:
            # Every initiative of this CoP is settled: start a new one instead.
            self.write_meeting_or_initiative()
            return
        self.post(form, cop, "move an initiative", form.data())

    @task(2)
    def write_schedule_followup(self):
        listing = self.open("Follow-ups")
        open_tabs = [t for t in listing.hrefs(r"^/interviews/followups/$") if "due=" in t]
        if open_tabs:
            listing = self.get(random.choice(open_tabs), "follow-ups list, a tab")
        followups = listing.hrefs(r"^/interviews/followups/\d+/$")
        random.shuffle(followups)
        for url in followups[:3]:
            detail = self.get(url, "follow-up")
            schedule = detail.hrefs(r"/schedule/$")
            if schedule:
                break
        else:
            return  # none of these is open: a person would look again later
        form_page = self.get(schedule[0], "schedule form")
        form = form_page.form()
        if form is None:
            raise self.missing("no schedule form")
        when = dt.datetime.now() + dt.timedelta(days=random.randint(3, 40))
        mode = random.choice(form.choices.get("mode") or ["phone"])
        data = form.data(
            scheduled_at=when.replace(hour=10, minute=0).strftime("%Y-%m-%dT%H:%M"),
            mode=mode,
            location="" if mode == "phone" else "Meeting room 2",
        )
        self.post(form, form_page, "schedule a follow-up", data)


class Preceptor(Person):
    role = "preceptor"
    fixed_count = USERS_PER_ROLE

    @task(3)
    def read_home(self):
        self.home()

    @task(2)
    def read_placements(self):
        page = self.open("Placements")
        placements = page.hrefs(r"^/placements/\d+/$")
        if placements:
            self.get(random.choice(placements), "placement")

    @task(2)
    def read_sessions(self):
        self.open("Sessions")

    @task(2)
    def write_log_session(self):
        page = self.open("Log a session")
        form = page.form()
        if form is None or "students" not in form.choices:
            # A preceptor mentoring at several sites first chooses the site.
            sites = page.hrefs(r"/sessions/new/$")
            sites = [s for s in sites if urlsplit(s).query]
            page = self.get(self.pick(sites, "no session form nor site"), "log a session")
            form = page.form()
            if form is None or "students" not in form.choices:
                raise self.missing("no session form")
        students = form.values("students") or [random.choice(form.choices["students"])]
        domains = form.choices.get("domains", [])
        professionals = form.choices.get("professionals", [])
        data = form.data(
            students=students,
            activity=random.choice(form.choices["activity"]),
            domains=random.sample(domains, k=min(len(domains), random.randint(1, 3))),
            professionals=random.sample(professionals, k=min(len(professionals), 1)),
            notes="Logged by the load test.",
        )
        self.post(form, page, "log a session", data)


class Student(Person):
    role = "student"
    fixed_count = USERS_PER_ROLE

    @task(3)
    def read_home(self):
        self.home()

    @task(2)
    def read_record(self):
        self.open("My IP learning record")

    @task(2)
    def read_sessions(self) -> Page:
        return self.open("Sessions")

    @task(2)
    def write_reflection(self):
        sessions = self.read_sessions().hrefs(r"^/mentoring/sessions/\d+/$")
        page = self.get(self.pick(sessions, "no session in the student's list"), "session")
        form = page.form(r"/reflection/$")
        if form is None:
            raise self.missing("no reflection form on a session the student attended")
        data = form.data(reflection=f"Load test reflection {uuid.uuid4().hex[:8]}.")
        self.post(form, page, "add a reflection", data)


class Admin(Person):
    role = "admin"
    fixed_count = USERS_PER_ROLE

    @task(1)
    def read_admin_index(self) -> Page:
        return self.open("Admin")

    @task(2)
    def read_admin_changelist(self):
        index = self.read_admin_index()
        lists = index.hrefs(r"/placements/placement/$") + index.hrefs(
            r"/mentoring/mentoringsession/$"
        )
        url = self.pick(lists, "no placements or sessions in the admin index")
        what = "admin placements" if "/placement/" in url else "admin sessions"
        self.get(url, what)

    @task(3)
    def read_app_list(self):
        self.open(random.choice(["Sites", "Communities", "Placements", "Sessions", "Follow-ups"]))


# --- The result, by kind ------------------------------------------------------------------


@events.quitting.add_listener
def write_result(environment, **_kwargs):
    path = os.environ.get("LOAD_RESULT")
    if not path:
        return
    stats = environment.stats
    kinds: dict[str, StatsEntry] = {}
    for entry in stats.entries.values():
        kind = entry.name.split(" ", 1)[0]
        merged = kinds.setdefault(kind, StatsEntry(stats, kind, ""))
        merged.extend(entry)
    total = stats.total
    seconds = max((total.last_request_timestamp or 0) - total.start_time, 1e-9)
    result = {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "seconds": seconds,
        "rps": total.num_requests / seconds,
        "errors": [
            {"name": e.name, "method": e.method, "error": str(e.error), "count": e.occurrences}
            for e in stats.errors.values()
        ],
        "kinds": {
            kind: {
                "requests": entry.num_requests,
                "failures": entry.num_failures,
                "p50_ms": entry.get_response_time_percentile(0.5),
                "p95_ms": entry.get_response_time_percentile(0.95),
                "max_ms": entry.max_response_time,
            }
            for kind, entry in sorted(kinds.items())
        },
        "writes_accepted": dict(accepted),
        "writes_refused": dict(refusals),
        "exceptions": len(getattr(environment.runner, "exceptions", {}) or {}),
    }
    with open(path, "w") as out:
        json.dump(result, out, indent=2)
