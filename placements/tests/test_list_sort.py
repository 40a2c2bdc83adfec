"""The placements list sorted by its column headers (student, site, start, status), both
ways, page by page through the keyset cursor: the same rows as a sort in Python, every
page after the first read from the cursor (stable when rows are added before it), the
sort kept in the page links and the header links, and each order served by an index."""

import datetime
import re
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import UserFactory
from ipcop.permissions import placements_visible_to
from placements import views
from placements.forms import PlacementFilterForm
from placements.models import PlacementStatus
from placements.selectors import placement_list_page
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)
# Names that sort alike in any collation (capitalised ASCII), with ties (two people of
# one name, and each person placed twice) and the cursor's separator and URL specials.
NAMES = ["Ada Zed", "Bo_b Jones", "Cy 100% & Co", "Ada Zed", "Eve Stone"]
SITES = ["Alpha", "Bravo_1", "Charlie"]


@pytest.fixture
def sorted_world():
    facilitator = UserFactory(facilitator=True)
    sites = [SiteFactory(name=name, facilitators=[facilitator]) for name in SITES]
    elsewhere = SiteFactory(name="Aardvark")  # not the facilitator's: never listed
    program = ProgramFactory()
    students = [StudentFactory(program=program, user__full_name=name) for name in NAMES]
    statuses = list(PlacementStatus.values)
    placements = []
    for i in range(16):
        start = DAY + datetime.timedelta(days=7 * (i // 4))  # ties on the start date too
        placements.append(
            PlacementFactory(
                student=students[i % len(students)],
                site=sites[i % len(sites)],
                start_date=start,
                end_date=start + datetime.timedelta(days=20),
                status=statuses[i % len(statuses)],
            )
        )
    PlacementFactory(site=elsewhere, student=students[0])
    return {"facilitator": facilitator, "placements": placements}


KEYS = {
    "start": lambda p: p.start_date,
    "student": lambda p: p.student.user.full_name,
    "site": lambda p: p.site.name,
    "status": lambda p: p.status,
}


def expected(placements, sort: str) -> list[int]:
    key = KEYS[sort.removeprefix("-")]
    ordered = sorted(placements, key=lambda p: (key(p), p.pk))
    return [p.pk for p in (ordered[::-1] if sort.startswith("-") else ordered)]


def page_of(user, query: str, per_page: int = 3):
    params = QueryDict(query)
    form = PlacementFilterForm(params, user=user)
    rest = params.copy()
    for name in ("after", "before", "n"):
        rest.pop(name, None)
    return placement_list_page(
        form.filter(placements_visible_to(user)),
        sort=form.sort_key,
        descending=form.descending,
        params=params,
        per_page=per_page,
        query=rest.urlencode(),
    )


def walk(user, query: str, per_page: int = 3) -> list[int]:
    """Every row, by the Next links, and back by the Previous links to the same pages."""
    page = page_of(user, query, per_page)
    pages = [page]
    while page.has_next:
        page = page_of(user, page.next_query, per_page)
        pages.append(page)
    back = [page]
    while page.has_previous:
        page = page_of(user, page.previous_query, per_page)
        back.append(page)
    assert [[r["pk"] for r in p] for p in back] == [[r["pk"] for r in p] for p in pages[::-1]]
    return [row["pk"] for p in pages for row in p]


SORTS = ["start", "-start", "student", "-student", "site", "-site", "status", "-status"]


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_walks_every_row_in_order_both_ways(sorted_world, sort):
    user = sorted_world["facilitator"]
    seen = walk(user, f"sort={sort}")
    assert seen == expected(sorted_world["placements"], sort)


def add_a_row_sorting_first(world, sort: str) -> None:
    """A placement that sorts before every other one in `sort` (with "status", the
    first status's rows keep their order by id, so a new one would come after them)."""
    if sort == "status":
        return
    first = world["placements"][0]
    fields = {"student": first.student, "site": first.site, "start_date": DAY}
    latest, earliest = sort.startswith("-"), not sort.startswith("-")
    key = sort.lstrip("-")
    if key == "start":
        fields["start_date"] = DAY + datetime.timedelta(days=400 if latest else -400)
    elif key == "student":
        name = "Aaron" if earliest else "Zoe"
        fields["student"] = StudentFactory(program=first.student.program, user__full_name=name)
    elif key == "site":
        name = "Aaa" if earliest else "Zulu"
        fields["site"] = SiteFactory(name=name, facilitators=[world["facilitator"]])
    else:
        fields["status"] = PlacementStatus.REQUESTED  # "-status": requested, newest id
    PlacementFactory(**fields, end_date=fields["start_date"] + datetime.timedelta(days=5))


@pytest.mark.parametrize("sort", SORTS)
def test_page_two_follows_the_cursor_and_stays_put_when_rows_are_added(sorted_world, sort):
    user = sorted_world["facilitator"]
    first = page_of(user, f"sort={sort}")
    want = expected(sorted_world["placements"], sort)
    assert [r["pk"] for r in first] == want[:3]
    assert parse_qs(first.next_query)["sort"] == [sort]
    # A row that sorts before the cursor, added while the person reads page 1: page 2
    # still starts right after page 1's last row, nothing repeated or skipped.
    add_a_row_sorting_first(sorted_world, sort)
    second = page_of(user, first.next_query)
    assert second.number == 2
    assert [r["pk"] for r in second] == want[3:6]


def test_a_cursor_of_another_sort_or_a_hostile_one_is_harmless(sorted_world):
    user = sorted_world["facilitator"]
    for query in [
        "sort=student&after=2026-03-02_5&n=2",
        "sort=site&after=a%00b_3&n=2",
        "sort=status&before=" + "x" * 400 + "_3",
        "sort=start&after=Ada Zed_4",
    ]:
        page = page_of(user, query)
        assert len(page) <= 3  # a page, not an error


def test_headers_sort_both_ways_and_keep_the_filters(client, sorted_world):
    client.force_login(sorted_world["facilitator"])
    response = client.get(reverse("placements:list"), {"sort": "student", "status": "active"})
    html = response.content.decode()
    headers = response.context["headers"]
    assert headers["student"]["aria_sort"] == "ascending"
    assert parse_qs(headers["student"]["query"]) == {"sort": ["-student"], "status": ["active"]}
    assert parse_qs(headers["site"]["query"]) == {"sort": ["site"], "status": ["active"]}
    assert parse_qs(headers["start"]["query"])["sort"] == ["-start"]
    assert headers["site"]["aria_sort"] == ""
    assert re.search(r'<th scope="col" aria-sort="ascending"><a class="sort-link" href="\?', html)
    assert html.count("aria-sort=") == 1
    assert "sort Z to A" in html  # what the sorted column's link does, for screen readers
    # The filter form carries the order, so filtering again keeps it.
    assert '<option value="student" selected>' in html
    # The list opens latest start first, and says so.
    default = client.get(reverse("placements:list")).context["headers"]
    assert default["start"]["aria_sort"] == "descending"
    assert parse_qs(default["start"]["query"])["sort"] == ["start"]


def test_the_next_link_keeps_the_sort_and_the_filters(client, sorted_world, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    client.force_login(sorted_world["facilitator"])
    response = client.get(reverse("placements:list"), {"sort": "-site", "model": "ip_mentoring"})
    page = response.context["page"]
    assert page.has_next
    params = parse_qs(page.next_query)
    assert params["sort"] == ["-site"] and params["model"] == ["ip_mentoring"]
    second = client.get(f"{reverse('placements:list')}?{page.next_query}")
    want = expected(sorted_world["placements"], "-site")
    assert [r["pk"] for r in second.context["page"]] == want[5:10]


@pytest.mark.parametrize("rows", [10, 200])
@pytest.mark.parametrize("sort", ["student", "-site", "status"])
def test_sorted_list_query_count(client, rows, sort, django_assert_max_num_queries):
    facilitator = UserFactory(facilitator=True)
    site = SiteFactory(facilitators=[facilitator])
    program = ProgramFactory()
    for i in range(rows):
        PlacementFactory(
            site=site, student=StudentFactory(program=program, user__full_name=f"Student {i}")
        )
    client.force_login(facilitator)
    first = client.get(reverse("placements:list"), {"sort": sort})
    with django_assert_max_num_queries(12):
        response = client.get(f"{reverse('placements:list')}?{first.context['page'].next_query}")
    assert response.status_code == 200


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_is_served_by_an_index_not_a_scan_of_the_placements(
    sorted_world, admin_user, sort
):
    """With sequential scans priced out, PostgreSQL still scans the table when no index
    can serve a query: each page's reads of placements, page 1 and page 2, use one."""
    first = page_of(admin_user, f"sort={sort}")
    with CaptureQueriesContext(connection) as queries:
        page_of(admin_user, f"sort={sort}")
        page_of(admin_user, first.next_query)
    reads = [q["sql"] for q in queries if "placements_placement" in q["sql"]]
    assert reads
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in reads:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "Seq Scan on placements_placement" not in plan, plan
