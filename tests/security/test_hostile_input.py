"""Every form posted with hostile and malformed data (hypothesis): very long strings,
control characters including NUL (PostgreSQL refuses it in text), HTML and script, SQL
fragments, impossible dates and numbers, and ids of another site's rows.

Whatever comes in: never a server error (the test client re-raises one), never a row
that fails its own model validation, never the script echoed unescaped."""

import pytest
from django.apps import apps
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security.conftest import build_world
from tests.security.test_access_matrix import MATRIX, OK, REDIRECT, url_for

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert('xss')</script>"
IMG = '"><img src=x onerror=alert(1)>'
PAYLOADS = [
    SCRIPT, IMG, "' OR 1=1 --", "Robert'); DROP TABLE placements_placement;--",
    "\x00", "a\x00b", "\x1b[31m", "\r\n\t", "\u202egnp.exe", "😀" * 50,
    "A" * 10_000, "9" * 40, "-1", "0", "1e309", "NaN", "2026-02-30", "0000-00-00",
    "9999-12-31", "31/12/2026", "2026-13-01T25:61", "=cmd|' /C calc'!A0", "@SUM(1+1)",
    "../../etc/passwd", "%00", "{{ 7*7 }}", "{% debug %}", "", " ",
]  # fmt: skip
hostile_text = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=60),  # incl. C0 controls
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

# Who posts each form: the persona that may use it, so the data reaches the form.
POSTER = {
    "mentoring:session_reflect": "student",
    "mentoring:session_log": "preceptor",
    "password_change": "student",
    "login": "anonymous",
    "password_reset": "anonymous",
    "password_reset_confirm": "anonymous",
}
# Views that only take POST (no form to read the fields from).
POST_ONLY_FIELDS = {
    "placements:transition": ["to_status", "note"],
    "interviews:followup_close": ["action"],
    "interviews:quote_delete": [],
    "sites:initiative_move": ["status"],
    "mentoring:session_reflect": ["reflection"],
    "mentoring:team_remove": [],
    "placements:import_confirm": ["token"],
    "logout": [],
}
# Forms on the GET of list pages: their filters take hostile query strings too.
FILTER_PAGES = [
    "placements:list", "placements:export", "interviews:followup_list", "interviews:report",
    "interviews:report_csv", "mentoring:session_list", "mentoring:recognition", "sites:list",
    "sites:cop_list", "mentoring:learning_record", "placements:capacity_list",
    "sites:member_add", "sites:member_candidates",
]  # fmt: skip
FILTER_FIELDS = ["site", "unit", "program", "profession", "status", "model", "start_from",
                 "start_to", "q", "due", "start", "end", "page", "sort", "zone", "kind"]  # fmt: skip

# Each example is rolled back, session included; these views also change the client's
# cookies, so the person logs in again before each example.
RELOGIN = {"logout", "login", "password_change"}
# Each example posts, follows the redirect and checks every changed row: kept modest so
# the suite stays fast (about forty forms).
POST_EXAMPLES = 15
WRITES = sorted(name for name, (_, post) in MATRIX.items() if 405 not in post)
APPS = ("accounts", "sites", "placements", "mentoring", "interviews")


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


MODELS = [model for label in APPS for model in apps.get_app_config(label).get_models()]


def snapshot() -> dict:
    rows = {}
    for model in MODELS:
        for values in model._base_manager.values_list():
            rows[(model, values[0])] = values
    return rows


def assert_changed_rows_valid(before: dict) -> None:
    """Every row the request created or changed passes its model's validation."""
    for (model, pk), values in snapshot().items():
        if before.get((model, pk)) != values:  # the first value is the primary key
            row = model._base_manager.get(pk=pk)
            # Erased/unusable passwords and auto fields are not form input.
            row.full_clean(exclude=["password"], validate_unique=True)
            for value in values:
                assert not (isinstance(value, str) and "\x00" in value), (model, pk)


def assert_escaped(response) -> None:
    content = b"".join(response) if response.streaming else response.content
    assert SCRIPT.encode() not in content
    assert b"<img src=x onerror" not in content


def form_fields(client, url: str) -> list[str]:
    response = client.get(url)
    form = response.context and response.context.get("form")
    return list(form.fields) if form is not None else []


def login(client, world, name):
    persona = POSTER.get(name, "facilitator")
    client.logout()
    user = world.persona(persona)
    if user is not None:
        client.force_login(user)
    return persona


@pytest.mark.parametrize("name", WRITES)
def test_hostile_posts_never_break_anything(db, client, shared_world, name):
    login(client, shared_world, name)
    url = url_for(name, shared_world, "a")
    fields = POST_ONLY_FIELDS.get(name) or form_fields(client, url)
    foreign = [str(obj.pk) for obj in vars(shared_world.b).values() if hasattr(obj, "pk")]
    value = st.one_of(hostile_text, st.sampled_from(foreign), st.lists(hostile_text, max_size=3))

    @settings(
        max_examples=POST_EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(fields, value)))
    def post(data):
        with transaction.atomic():
            if name in RELOGIN:
                login(client, shared_world, name)
            before = snapshot()
            response = client.post(url, data, follow=True)
            assert response.status_code in (OK, 403, 404, 429), response.status_code
            assert_escaped(response)
            assert_changed_rows_valid(before)
            transaction.set_rollback(True)

    post()


@pytest.mark.parametrize("name", FILTER_PAGES)
def test_hostile_query_strings_are_ignored_or_refused(db, client, shared_world, name):
    persona = "preceptor" if name == "mentoring:recognition" else "facilitator"
    client.force_login(shared_world.persona(persona))
    url = url_for(name, shared_world, "a")

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(FILTER_FIELDS, hostile_text)))
    def get(data):
        response = client.get(url, data)
        assert response.status_code in (OK, REDIRECT, 400, 404), response.status_code
        assert_escaped(response)

    get()
