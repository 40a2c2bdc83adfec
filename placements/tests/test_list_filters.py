"""The placements list's filters and rows: units offered for the chosen site only, the
filter's choices, a row's cells, the count."""

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.tests.factories import ProfessionFactory, UserFactory
from ipcop.lib.formats import weekday_date
from placements.forms import PlacementFilterForm
from placements.models import Program
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory
from sites.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


def listed(response) -> list[int]:
    return [row["pk"] for row in response.context["page"]]


def unit_choices(response) -> list:
    return [value for value, _ in response.context["form"].fields["unit"].choices]


class TestUnitFilter:
    def test_without_a_site_no_unit_is_offered_and_the_field_says_why(
        self, client, facilitator, placement, unit_a
    ):
        client.force_login(facilitator)
        response = client.get(reverse("placements:list"))
        assert unit_choices(response) == [""]
        assert "Choose a site and filter to list its units." in response.content.decode()

    def test_the_chosen_sites_units_are_offered_by_name(
        self, client, facilitator, placement, site_a, unit_a, site_b
    ):
        UnitFactory(site=site_b, name="Elsewhere")
        second = UnitFactory(site=site_a, name="2 North")
        client.force_login(facilitator)
        response = client.get(reverse("placements:list"), {"site": site_a.pk})
        assert unit_choices(response) == ["", second.pk, unit_a.pk]
        assert f'<option value="{second.pk}">2 North</option>' in response.content.decode()

    def test_a_unit_filters_with_or_without_its_site(
        self, client, facilitator, placement, site_a, unit_a, nursing_program
    ):
        PlacementFactory(site=site_a, student=StudentFactory(program=nursing_program))  # no unit
        client.force_login(facilitator)
        url = reverse("placements:list")
        assert listed(client.get(url, {"site": site_a.pk, "unit": unit_a.pk})) == [placement.pk]
        # A link with the unit alone (bookmarked, shared) still filters and shows the unit.
        response = client.get(url, {"unit": unit_a.pk})
        assert listed(response) == [placement.pk]
        assert f'<option value="{unit_a.pk}" selected>Site A — Unit 4B</option>' in (
            response.content.decode()
        )

    def test_a_unit_of_another_site_is_an_error_and_ignored(
        self, client, facilitator, placement, site_a, site_b
    ):
        elsewhere = UnitFactory(site=site_b)
        client.force_login(facilitator)
        url = reverse("placements:list")
        for params in ({"unit": elsewhere.pk}, {"site": site_a.pk, "unit": elsewhere.pk}):
            response = client.get(url, params)
            assert "unit" in response.context["form"].errors
            assert listed(response) == [placement.pk]


class TestOtherFilters:
    def test_profession_filters_through_its_programs(self, client, facilitator, placement, site_a):
        physio = ProfessionFactory(code="listfilter", name="List filter profession")
        other = PlacementFactory(
            site=site_a, student=StudentFactory(program=ProgramFactory(profession=physio))
        )
        client.force_login(facilitator)
        response = client.get(reverse("placements:list"), {"profession": physio.pk})
        assert listed(response) == [other.pk]

    def test_an_error_is_shown_next_to_its_field(self, client, facilitator, placement):
        client.force_login(facilitator)
        html = client.get(reverse("placements:list"), {"start_from": "soon"}).content.decode()
        assert 'class="form-control is-invalid" aria-invalid="true"' in html
        assert 'aria-describedby="id_start_from_error"' in html
        assert '<div id="id_start_from_error" class="invalid-feedback d-block">' in html
        assert '<label class="form-label" for="id_start_from">' in html


class TestRows:
    def test_a_row_shows_student_program_profession_site_unit_dates_model_status(
        self, client, facilitator, placement
    ):
        placement.status = "active"
        placement.save()
        client.force_login(facilitator)
        html = client.get(reverse("placements:list")).content.decode()
        detail = reverse("placements:detail", args=[placement.pk])
        assert f'<a href="{detail}">Sam Student</a>' in html
        assert 'BScN <span class="text-muted">(' in html
        assert "Site A, Unit 4B" in html
        assert f">{weekday_date(placement.start_date)}<" in html
        assert placement.get_model_display() in html
        assert '<span class="badge text-bg-success">Active</span>' in html

    def test_names_are_escaped(self, client, facilitator, placement):
        placement.student.user.full_name = "<b>Sam</b>"
        placement.student.user.save()
        client.force_login(facilitator)
        html = client.get(reverse("placements:list")).content.decode()
        assert "&lt;b&gt;Sam&lt;/b&gt;" in html and "<b>Sam</b>" not in html


class TestListStatement:
    def test_a_person_who_may_see_no_placement_gets_an_empty_list(self, client, placement):
        client.force_login(UserFactory())  # no role: the visible placements are `pk IN ()`
        response = client.get(reverse("placements:list"))
        assert response.status_code == 200
        assert listed(response) == [] and response.context["page"].count == 0
        assert "No placement matches." in response.content.decode()


def test_program_and_profession_choices_name_every_program(facilitator, nursing_program):
    ProgramFactory(name="Aardvark studies", institution="Zeta College")
    ProgramFactory(name="Zoology", institution="Alpha University")
    ProfessionFactory(name="No program yet")
    form = PlacementFilterForm(QueryDict(""), user=facilitator)
    labels = [label for _, label in form.fields["program"].choices]
    assert labels == [
        "Any",
        "Zoology — Alpha University",
        "BScN — University of Alberta",
        "Aardvark studies — Zeta College",
    ]
    # Only professions with a program: one without has no placement to filter.
    professions = {p.profession.name for p in Program.objects.select_related("profession")}
    assert [label for _, label in form.fields["profession"].choices] == [
        "Any",
        *sorted(professions),
    ]


class TestCount:
    def test_a_first_page_holding_the_whole_list_is_not_counted_again(
        self, client, facilitator, placement
    ):
        client.force_login(facilitator)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("placements:list"))
        assert response.context["page"].count == 1
        assert not response.context["page"].count_is_lower_bound
        assert not [q for q in queries if "COUNT(" in q["sql"]]

    def test_a_later_page_is_counted(self, client, facilitator, site_a, nursing_program):
        for _ in range(3):
            PlacementFactory(site=site_a, student=StudentFactory(program=nursing_program))
        client.force_login(facilitator)
        from placements import views

        original, views.PAGE_SIZE = views.PAGE_SIZE, 2
        try:
            first = client.get(reverse("placements:list")).context["page"]
            second = client.get(reverse("placements:list") + "?" + first.next_query)
        finally:
            views.PAGE_SIZE = original
        assert first.count == 3 and second.context["page"].count == 3
