"""Hostile numbers in query strings read as absent, never as a server error (issue 16's
review: 20-digit cursors and page numbers overflowed bigint; "²" passed `isdigit()`)."""

import pytest
from django.urls import reverse

from ipcop.lib.keyset import parse_cursor, positive_int
from ipcop.lib.params import MAX_ID, id_param, page_param

HOSTILE = ["99999999999999999999", "²", "٣", "-1", "0", "1e3", " 1", "1\x00", "", "x"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_ids_and_pages_read_as_absent(value):
    assert id_param(value) is None
    assert page_param(value) == 1
    assert positive_int(value) == 1
    assert parse_cursor(f"2026-01-01_{value}") is None


def test_good_values_pass_within_bounds():
    assert id_param("42") == 42
    assert id_param(str(MAX_ID)) == MAX_ID
    assert id_param(str(MAX_ID + 1)) is None
    assert page_param("7") == 7
    assert parse_cursor("9999-12-31_5") is not None  # a date PostgreSQL can compare


@pytest.mark.parametrize("value", ["2_2026-01-01_5", "2026-01-01_5", "true_2026-01-01_5", "1_"])
def test_ranked_cursors_need_a_0_or_1_rank(value):
    assert parse_cursor(value, ranked=True) is None


def test_ranked_cursor_reads_rank_date_and_id():
    import datetime

    assert parse_cursor("1_2026-01-02_5", ranked=True) == (True, datetime.date(2026, 1, 2), 5)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    ["placements:list", "mentoring:session_list", "interviews:followup_list", "sites:list"],
)
@pytest.mark.parametrize(
    "query",
    [
        "after=2026-01-01_99999999999999999999&n=99999999999999999999",
        "before=0001-01-01_1&n=²",
        "after=9999-12-31_9223372036854775807",
        "after=1_2026-01-01_99999999999999999999&before=7_x_1",
        "site=99999999999999999999&unit=²&program=٣&page=99999999999999999999",
    ],
)
def test_lists_answer_hostile_query_strings(client, admin_user, name, query):
    client.force_login(admin_user)
    assert client.get(f"{reverse(name)}?{query}").status_code == 200


@pytest.mark.django_db
def test_the_session_form_ignores_a_hostile_site_or_placement(client, admin_user):
    client.force_login(admin_user)
    for query in ("site=99999999999999999999", "placement=²", "site=٣"):
        assert client.get(f"{reverse('mentoring:session_log')}?{query}").status_code in (
            200,
            302,
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "start=0001-01-01&end=0001-01-02",
        "end=0001-01-01",
        "start=9999-12-30&end=9999-12-31",
        "end=9999-12-31",
    ],
)
def test_the_report_refuses_dates_out_of_range_with_a_message(client, admin_user, query):
    """The report's period in year 1 or 9999 overflowed Python's dates (a 500)."""
    client.force_login(admin_user)
    response = client.get(f"{reverse('interviews:report')}?{query}")
    assert response.status_code == 200
    assert "Give a date between 1900-01-01 and 2199-12-31." in response.content.decode()
