"""The placements list's page is one hand-written statement (`placement_list_page`): it
must give exactly what `keyset_page` gives over the ORM's definition of the list,
`PlacementFilterForm.filter(placements_visible_to(user))`: the same rows in the same
order, the same links, page number and count, for every role, filter, sort and cursor."""

import datetime
from urllib.parse import parse_qsl

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict

from accounts.tests.factories import ProfessionFactory, UserFactory
from ipcop.lib.keyset import keyset_page
from ipcop.permissions import placement_scope_sql, placements_visible_to
from mentoring.tests.factories import MentorAssignmentFactory
from placements import selectors
from placements.forms import PlacementFilterForm
from placements.models import PlacementModel, PlacementStatus
from placements.selectors import placement_list_page
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def world():
    """Two sites, two professions, students whose names hold LIKE's wildcards, and
    placements sharing start dates (the cursor's tie-breaker), in every status."""
    facilitator = UserFactory(facilitator=True)
    site_a = SiteFactory(name="Alpha", facilitators=[facilitator])
    site_b = SiteFactory(name="Bravo")
    unit = UnitFactory(site=site_a, name="Ward 3")
    nursing = ProgramFactory(name="BScN", profession=ProfessionFactory(code="nursing"))
    pharmacy = ProgramFactory(name="PharmD", profession=ProfessionFactory(code="pharmacy"))
    names = ["Sam Smith", "Ada 100% Lovelace", "Bo_b Jones", "sam SMITHERS", "Zed"]
    students = [
        StudentFactory(program=nursing if i % 2 else pharmacy, user__full_name=name)
        for i, name in enumerate(names)
    ]
    statuses = list(PlacementStatus.values)
    placements = []
    for i in range(14):
        start = DAY + datetime.timedelta(days=7 * (i // 3))  # three placements a date
        placements.append(
            PlacementFactory(
                student=students[i % len(students)],
                site=site_a if i % 4 else site_b,
                unit=unit if i % 4 == 1 else None,
                start_date=start,
                end_date=start + datetime.timedelta(days=30),
                status=statuses[i % len(statuses)],
                model=PlacementModel.TRADITIONAL if i % 3 == 0 else PlacementModel.IP_MENTORING,
            )
        )
    preceptor = UserFactory(preceptor=True)
    for placement in placements[:3]:
        MentorAssignmentFactory(placement=placement, mentor=preceptor)
    student_user = students[1].user
    everything = UserFactory(facilitator=True, preceptor=True, is_student=True)
    site_b.facilitators.add(everything)
    MentorAssignmentFactory(placement=placements[5], mentor=everything)
    PlacementFactory(student=StudentFactory(user=everything, program=nursing), site=site_a)
    return {
        "facilitator": facilitator,
        "preceptor": preceptor,
        "student": student_user,
        "everything": everything,
        "no role": UserFactory(),
        "inactive": UserFactory(facilitator=True, is_active=False),
        "site_a": site_a,
        "unit": unit,
        "nursing": nursing,
        "students": students,
    }


def both(user, query: str, *, per_page: int = 3, count_limit: int = 1000):
    """The page by the statement and by keyset_page over the ORM's queryset."""
    params = QueryDict(query)
    form = PlacementFilterForm(params, user=user)
    filters = form.list_filters()
    rest = params.copy()
    for name in ("after", "before", "n"):
        rest.pop(name, None)
    options = {
        "descending": form.cleaned_data.get("sort") != "start",
        "params": params,
        "per_page": per_page,
        "query": rest.urlencode(),
        "count_limit": count_limit,
    }
    statement = placement_list_page(user, filters, **options)
    orm = keyset_page(
        form.filter(placements_visible_to(user)), field="start_date", rows=None, **options
    )
    return statement, orm


def same(statement, orm) -> None:
    assert [row["pk"] for row in statement] == [p.pk for p in orm]
    for name in (
        "number",
        "has_next",
        "has_previous",
        "next_query",
        "previous_query",
        "count",
        "count_is_lower_bound",
    ):
        assert getattr(statement, name) == getattr(orm, name), name


PERSONAS = ["facilitator", "preceptor", "student", "everything", "no role", "inactive"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("sort", ["", "sort=start"])
@pytest.mark.parametrize("few_sites", [10, 0], ids=["by-site", "walk"])
def test_every_page_forwards_and_back_is_the_orms(world, persona, sort, few_sites, monkeypatch):
    """A facilitator's unfiltered list has two forms (each site's first rows for a few
    sites, the walk of the list's order for many): both are checked."""
    monkeypatch.setattr(selectors, "FEW_SITES", few_sites)
    user = world[persona]
    statement, orm = both(user, sort)
    same(statement, orm)
    pages = [statement]
    while statement.has_next:  # to the last page by `after` cursors
        statement, orm = both(user, statement.next_query)
        same(statement, orm)
        pages.append(statement)
    while statement.has_previous:  # and back by `before` cursors
        statement, orm = both(user, statement.previous_query)
        same(statement, orm)
    seen = [row["pk"] for page in pages for row in page]
    assert len(seen) == len(set(seen)) == pages[0].count
    if persona in ("facilitator", "everything"):
        assert len(pages) >= 2  # the walk did cross pages


def test_an_admin_and_anonymous_are_the_orms(world, admin_user):
    same(*both(admin_user, ""))
    same(*both(admin_user, "", per_page=50))
    same(*both(AnonymousUser(), ""))
    assert placement_scope_sql(admin_user) == (None, {})
    assert placement_scope_sql(AnonymousUser())[0] == "FALSE"


@pytest.mark.parametrize(
    "query",
    [
        "status=active",
        "status=cancelled&sort=start",
        "model=traditional",
        "start_from=2026-03-09",
        "start_to=2026-03-16",
        "start_from=2026-03-09&start_to=2026-03-23&model=ip_mentoring",
        "q=sam",
        "q=SMITH",
        "q=100%",
        "q=_",
        "q=o_b",
        "q=%",
        "q=zed&status=requested",
        "site={site_a}",
        "site={site_a}&unit={unit}",
        "unit={unit}",
        "program={nursing}",
        "profession={profession}",
        "profession={profession}&q=sam&site={site_a}&sort=start",
        "site=999999",  # not a choice: reported and ignored
        "start_from=not-a-date",
        "sort=sideways",
    ],
)
def test_each_filter_is_the_orms(world, admin_user, query):
    query = query.format(
        site_a=world["site_a"].pk,
        unit=world["unit"].pk,
        nursing=world["nursing"].pk,
        profession=world["nursing"].profession_id,
    )
    for user in (world["facilitator"], world["everything"], admin_user):
        statement, orm = both(user, query, per_page=2)
        same(statement, orm)
        if statement.has_next:
            same(*both(user, statement.next_query, per_page=2))


def test_a_student_number_matches_exactly(world, admin_user):
    number = world["students"][2].student_number
    statement, orm = both(admin_user, f"q={number}", per_page=50)
    same(statement, orm)
    assert statement.count == 3
    assert both(admin_user, f"q={number[:-1]}", per_page=50)[0].count == 0


def test_the_count_stops_at_the_limit_as_the_orms(world, admin_user):
    statement, orm = both(admin_user, "", per_page=2, count_limit=4)
    same(statement, orm)
    assert statement.count == 4 and statement.count_is_lower_bound


@pytest.mark.parametrize(
    "cursor",
    ["after=nonsense", "before=2026-13-01_4", "after=2026-03-09_abc", "n=-3", "n=x"],
)
def test_a_bad_cursor_is_the_first_page(world, admin_user, cursor):
    statement, orm = both(admin_user, cursor)
    same(statement, orm)
    assert statement.number == 1 and not statement.has_previous


def test_an_empty_page_after_the_last_row_keeps_the_count(world, admin_user):
    # A cursor past the end (e.g. the rows were deleted since): no rows, the list's count.
    statement, orm = both(admin_user, "after=2000-01-01_1&n=4")
    same(statement, orm)
    assert list(statement) == [] and statement.count == 15


def test_links_keep_the_filters(world, admin_user):
    statement, _ = both(admin_user, "status=requested&sort=start", per_page=1)
    assert dict(parse_qsl(statement.next_query))["status"] == "requested"
