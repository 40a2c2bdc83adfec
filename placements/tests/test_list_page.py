"""The placements list (`selectors.placement_list_page` over `PlacementFilterForm.filter`
of `placements_visible_to`): what each persona sees, each filter, both sorts, and the
keyset pages forwards and back, against the rules written out here in Python."""

import datetime
from urllib.parse import parse_qsl

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict

from accounts.tests.factories import ProfessionFactory, UserFactory
from ipcop.permissions import placements_visible_to
from mentoring.tests.factories import MentorAssignmentFactory
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
    own = PlacementFactory(student=StudentFactory(user=everything, program=nursing), site=site_a)
    every_placement = [*placements, own]
    # Who sees which placement, as the README says: facilitators their sites', preceptors
    # those they mentor, students their own; a person without a role (or inactive) none.
    sees = {
        "facilitator": lambda p: p.site_id == site_a.pk,
        "preceptor": lambda p: p in placements[:3],
        "student": lambda p: p.student.user_id == student_user.pk,
        "everything": lambda p: (
            p.site_id == site_b.pk or p == placements[5] or p.student.user_id == everything.pk
        ),
        "no role": lambda p: False,
        "inactive": lambda p: False,
    }
    return {
        "facilitator": facilitator,
        "preceptor": preceptor,
        "student": student_user,
        "everything": everything,
        "no role": UserFactory(),
        "inactive": UserFactory(facilitator=True, is_active=False),
        "site_a": site_a,
        "site_b": site_b,
        "unit": unit,
        "nursing": nursing,
        "students": students,
        "placements": every_placement,
        "sees": sees,
    }


def page_of(user, query: str, *, per_page: int = 3, count_limit: int = 1000):
    """The list's page for `query` (a query string), as the view makes it."""
    params = QueryDict(query)
    form = PlacementFilterForm(params, user=user)
    rest = params.copy()
    for name in ("after", "before", "n"):
        rest.pop(name, None)
    return placement_list_page(
        form.filter(placements_visible_to(user)),
        descending=form.descending,
        params=params,
        per_page=per_page,
        query=rest.urlencode(),
        count_limit=count_limit,
    )


def expected(placements, rule, *, ascending: bool = False) -> list[int]:
    """The ids of the placements matching `rule`, in the list's order."""
    chosen = sorted((p.start_date, p.pk) for p in placements if rule(p))
    return [pk for _, pk in (chosen if ascending else reversed(chosen))]


def walk(user, query: str, *, per_page: int = 3) -> list[int]:
    """Every row, following the Next links from the first page to the last, and checking
    that the Previous links walk back through the same pages."""
    page = page_of(user, query, per_page=per_page)
    pages = [page]
    while page.has_next:
        page = page_of(user, page.next_query, per_page=per_page)
        pages.append(page)
        assert page.number == len(pages)
    back = [page]
    while page.has_previous:
        page = page_of(user, page.previous_query, per_page=per_page)
        back.append(page)
    assert [[r["pk"] for r in p] for p in back] == [[r["pk"] for r in p] for p in pages[::-1]]
    assert page.number == 1
    seen = [row["pk"] for p in pages for row in p]
    assert all(p.count == len(seen) for p in pages)
    return seen


PERSONAS = ["facilitator", "preceptor", "student", "everything", "no role", "inactive"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("sort", ["", "sort=start"])
def test_each_persona_sees_exactly_their_placements_page_by_page(world, persona, sort):
    seen = walk(world[persona], sort)
    assert seen == expected(world["placements"], world["sees"][persona], ascending=bool(sort))
    if persona in ("facilitator", "everything"):
        assert len(seen) > 3  # the walk did cross pages


def test_an_admin_sees_every_placement_and_anonymous_none(world, admin_user):
    assert walk(admin_user, "") == expected(world["placements"], lambda p: True)
    assert [r["pk"] for r in page_of(admin_user, "", per_page=50)] == walk(admin_user, "")
    assert walk(AnonymousUser(), "") == []


FILTERS = {
    "status=active": lambda w, p: p.status == "active",
    "status=cancelled&sort=start": lambda w, p: p.status == "cancelled",
    "model=traditional": lambda w, p: p.model == "traditional",
    "start_from=2026-03-09": lambda w, p: p.start_date >= datetime.date(2026, 3, 9),
    "start_to=2026-03-16": lambda w, p: p.start_date <= datetime.date(2026, 3, 16),
    "start_from=2026-03-09&start_to=2026-03-23&model=ip_mentoring": lambda w, p: (
        datetime.date(2026, 3, 9) <= p.start_date <= datetime.date(2026, 3, 23)
        and p.model == "ip_mentoring"
    ),
    # The student search: name or email containing the text in any case (LIKE's
    # wildcards are plain characters), or the exact student number.
    "q=sam": lambda w, p: "sam" in p.student.user.full_name.lower(),
    "q=SMITH": lambda w, p: "smith" in p.student.user.full_name.lower(),
    "q=100%": lambda w, p: "100%" in p.student.user.full_name,
    "q=_": lambda w, p: "_" in p.student.user.full_name,
    "q=o_b": lambda w, p: "o_b" in p.student.user.full_name,
    "q=%": lambda w, p: "%" in p.student.user.full_name,
    "q=EXAMPLE.ORG": lambda w, p: True,
    "q=zed&status=requested": lambda w, p: (
        p.student.user.full_name == "Zed" and p.status == "requested"
    ),
    "site={site_a}": lambda w, p: p.site_id == w["site_a"].pk,
    "site={site_a}&unit={unit}": lambda w, p: p.unit_id == w["unit"].pk,
    "unit={unit}": lambda w, p: p.unit_id == w["unit"].pk,
    "program={nursing}": lambda w, p: p.student.program_id == w["nursing"].pk,
    "profession={profession}": lambda w, p: (
        p.student.program.profession_id == w["nursing"].profession_id
    ),
    "profession={profession}&q=sam&site={site_a}&sort=start": lambda w, p: (
        p.student.program.profession_id == w["nursing"].profession_id
        and "sam" in p.student.user.full_name.lower()
        and p.site_id == w["site_a"].pk
    ),
    # Not a choice, not a date, not a sort: reported on the form and ignored.
    "site=999999": lambda w, p: True,
    "start_from=not-a-date": lambda w, p: True,
    "sort=sideways": lambda w, p: True,
}


@pytest.mark.parametrize("query", FILTERS)
def test_each_filter_keeps_exactly_its_placements(world, admin_user, query):
    rule = FILTERS[query]
    url_query = query.format(
        site_a=world["site_a"].pk,
        unit=world["unit"].pk,
        nursing=world["nursing"].pk,
        profession=world["nursing"].profession_id,
    )
    ascending = "sort=start" in query
    for persona, user in (
        ("facilitator", world["facilitator"]),
        ("everything", world["everything"]),
        ("admin", admin_user),
    ):
        sees = world["sees"].get(persona, lambda p: True)
        want = expected(
            world["placements"],
            lambda p, sees=sees: sees(p) and rule(world, p),
            ascending=ascending,
        )
        assert walk(user, url_query, per_page=2) == want, persona


def test_a_student_number_matches_exactly(world, admin_user):
    number = world["students"][2].student_number
    assert page_of(admin_user, f"q={number}", per_page=50).count == 3
    assert page_of(admin_user, f"q={number[:-1]}", per_page=50).count == 0


def test_rows_show_the_names_and_labels_of_each_placement(world, admin_user):
    unit_placement = world["placements"][1]
    row = next(r for r in page_of(admin_user, "", per_page=50) if r["pk"] == unit_placement.pk)
    student = unit_placement.student
    assert row == {
        "pk": unit_placement.pk,
        "start_date": unit_placement.start_date,
        "end_date": unit_placement.end_date,
        "model": unit_placement.model,
        "model_label": unit_placement.get_model_display(),
        "status": unit_placement.status,
        "status_label": unit_placement.get_status_display(),
        "student_name": student.user.full_name,
        "program_name": student.program.name,
        "profession_name": student.program.profession.name,
        "site_name": "Alpha",
        "unit_name": "Ward 3",
    }


def test_the_count_stops_at_the_limit(world, admin_user):
    page = page_of(admin_user, "", per_page=2, count_limit=4)
    assert page.count == 4 and page.count_is_lower_bound
    assert not page_of(admin_user, "", per_page=2, count_limit=15).count_is_lower_bound


@pytest.mark.parametrize(
    "cursor",
    ["after=nonsense", "before=2026-13-01_4", "after=2026-03-09_abc", "n=-3", "n=x"],
)
def test_a_bad_cursor_is_the_first_page(world, admin_user, cursor):
    page = page_of(admin_user, cursor)
    assert page.number == 1 and not page.has_previous
    assert [r["pk"] for r in page] == expected(world["placements"], lambda p: True)[:3]


def test_an_empty_page_after_the_last_row_keeps_the_count(world, admin_user):
    # A cursor past the end (e.g. the rows were deleted since): no rows, the list's count.
    page = page_of(admin_user, "after=2000-01-01_1&n=4")
    assert list(page) == [] and page.count == 15


def test_links_keep_the_filters(world, admin_user):
    page = page_of(admin_user, "status=requested&sort=start", per_page=1)
    assert dict(parse_qsl(page.next_query))["status"] == "requested"
