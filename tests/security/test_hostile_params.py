"""Every URL of the access matrix, read with hostile values in every parameter it reads.

For each URL the test first finds the query parameters its view reads: the request's
query string is a QueryDict that notes each key looked up. Then hypothesis sends hostile
values for all of those, plus a few the view does not read, as each persona that may open
the page; the ids in the path get the same treatment. A server error fails the test (the
test client re-raises it).

The cases that once answered 500 are pinned with `@example`, so that every run tries
them rather than only the runs where hypothesis happens to draw them."""

from __future__ import annotations

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.db import transaction
from django.http import QueryDict
from django.urls import URLResolver, get_resolver, resolve
from django.utils.functional import cached_property
from django.utils.http import urlencode
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.security.conftest import build_world
from tests.security.test_access_matrix import COLUMNS, MATRIX, OK, url_for
from tests.security.test_hostile_input import PAYLOADS, assert_escaped

pytestmark = pytest.mark.django_db

# The values that once answered 500 somewhere, tried on every parameter of every URL.
PINNED = [
    "9" * 20,  # overflows bigint: cursors, page numbers, ids
    "²",  # str.isdigit() accepts it, int() does not
    "٣",  # an Arabic-Indic digit: int() accepts it
    "0001-01-01",  # a report period's year before falls off the calendar
    "9999-12-31",  # ... and its day after
    "9999-12-01",  # a start whose six-month follow-up would fall in year 10000
    "a\x00b",  # PostgreSQL refuses NUL in text
    "-1",
]
# Parameters no view reads, and some that sound like ones it might.
UNREAD = ["cursor", "after", "before", "page", "sort", "order", "format", "debug", "id"]

value = st.one_of(
    st.sampled_from(PAYLOADS + PINNED),
    st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=30),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)


class RecordingQueryDict(QueryDict):
    """A query string that notes every key the view asks it for."""

    read: set[str] = set()

    def __getitem__(self, key):
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        self.read.add(key)
        return super().__contains__(key)


@pytest.fixture
def recording_get(monkeypatch):
    def get(request):
        from django.core.handlers.wsgi import get_bytes_from_wsgi

        raw = get_bytes_from_wsgi(request.environ, "QUERY_STRING", "")
        return RecordingQueryDict(raw, encoding=request._encoding)

    prop = cached_property(get)
    prop.__set_name__(WSGIRequest, "GET")
    monkeypatch.setattr(WSGIRequest, "GET", prop)
    read: set[str] = set()
    monkeypatch.setattr(RecordingQueryDict, "read", read)
    return read


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


def readers(name: str) -> list[str]:
    """The personas that may open the page (GET answers 200), as on their own rows."""
    gets = MATRIX[name][0]
    return [
        p for (p, side), answer in zip(COLUMNS, gets, strict=True) if side == "a" and answer == OK
    ]


def personas_for(name: str) -> list[str]:
    """Who reads the page in this test: the facilitator where they may (their pages read
    the most parameters), else the first persona that may; nobody if nobody may."""
    may = readers(name)
    return ["facilitator"] if "facilitator" in may else may[:1]


# Lists read different parameters for each role (the sessions list's "mine"), so each
# role that may open one reads it here; other pages once, by one persona.
LISTS = {"placements:list", "mentoring:session_list", "interviews:followup_list",
         "sites:cop_list", "placements:export"}  # fmt: skip
CASES = [
    pytest.param(name, persona, id=f"{name}-{persona}")
    for name in sorted(MATRIX)
    for persona in (readers(name) if name in LISTS else personas_for(name))
]
ANSWERS = (200, 302, 400, 403, 404, 429)


def hostile_settings(examples: int):
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


@pytest.mark.parametrize(("name", "persona"), CASES)
def test_hostile_query_values_never_answer_500(
    db, client_as, shared_world, recording_get, name, persona
):
    client = client_as(shared_world.persona(persona))
    url = url_for(name, shared_world, "a")
    assert client.get(url).status_code == OK
    params = sorted(recording_get | set(UNREAD))

    def get(data: dict) -> None:
        response = client.get(f"{url}?{urlencode(data, doseq=True)}")
        assert response.status_code in ANSWERS, (name, data, response.status_code)
        assert_escaped(response)

    @hostile_settings(examples=8)
    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(params, value)))
    def hostile(data):
        with transaction.atomic():
            get(data)
            transaction.set_rollback(True)

    for pinned in PINNED:  # every parameter at once, then each alone
        hostile = example(data=dict.fromkeys(params, pinned))(hostile)
    hostile()
    for param in sorted(recording_get):  # each parameter the view reads, alone
        for pinned in PINNED:
            get({param: pinned})


PATH_IDS = ["9" * 20, "9223372036854775808", "0", "-1", "1.0"]


def routes(patterns=None, namespace="", prefix=""):
    """Each URL name with its full route, such as `placements:detail` and `<int:pk>/`."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from routes(pattern.url_patterns, inner, route)
        elif pattern.name:
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route


WITH_IDS = sorted(name for name, route in routes() if "<int:" in route and name in MATRIX)
PATH_IDS = ["9" * 20, "9223372036854775808", "0", "-1", "1.0"]


@pytest.mark.parametrize("name", WITH_IDS)
def test_hostile_ids_in_the_path_answer_404(db, client_as, shared_world, name):
    """An id in the path that no row can have (past bigint, zero) is a page not found,
    for GET and POST alike."""
    url = url_for(name, shared_world, "a")
    match = resolve(url)
    client = client_as(shared_world.admin)
    for hostile in PATH_IDS:
        for real in match.kwargs.values():
            bad_url = url.replace(f"/{real}/", f"/{hostile}/", 1)
            assert bad_url != url, name
            for method in (client.get, client.post):
                response = method(bad_url)
                assert response.status_code in (404, 405), (name, bad_url, response.status_code)
