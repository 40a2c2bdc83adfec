"""The placements list's filters and rows: units offered for the chosen site only, names
read from the filter's choices instead of joins, the count read with the page."""

import datetime

import pytest
from django import forms
from django.db import connection
from django.forms.utils import flatatt as django_flatatt
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.safestring import SafeString

from accounts.tests.factories import ProfessionFactory, UserFactory
from ipcop.lib.widgets import FastSelect, FastTextInput, PlainChoices, flatatt
from placements.forms import FilterDateInput
from placements.models import Program
from placements.selectors import placement_list_page, placement_rows, program_rows
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
        assert f">{placement.start_date.isoformat()}<" in html
        assert placement.get_model_display() in html
        assert '<span class="badge text-bg-success">Active</span>' in html

    def test_names_are_escaped(self, client, facilitator, placement):
        placement.student.user.full_name = "<b>Sam</b>"
        placement.student.user.save()
        client.force_login(facilitator)
        html = client.get(reverse("placements:list")).content.decode()
        assert "&lt;b&gt;Sam&lt;/b&gt;" in html and "<b>Sam</b>" not in html

    def test_rows_of_a_site_the_filter_does_not_name_are_still_named(
        self, client, admin_user, placement
    ):
        # The names come from the filter's choices; any row outside them is looked up.
        page = placement_list_page(
            admin_user, {}, descending=True, params={}, per_page=10, query="", count_limit=10
        )
        rows = page.object_list
        placement_rows(rows, site_names={}, programs={}, profession_names={})
        assert (rows[0]["site"], rows[0]["unit"], rows[0]["program"]) == (
            "Site A",
            "Unit 4B",
            "BScN",
        )
        assert rows[0]["profession"] == placement.student.program.profession.name


class TestListStatement:
    def test_a_person_who_may_see_no_placement_gets_an_empty_list(self, client, placement):
        client.force_login(UserFactory())  # no role: the visible placements are `pk IN ()`
        response = client.get(reverse("placements:list"))
        assert response.status_code == 200
        assert listed(response) == [] and response.context["page"].count == 0
        assert "No placement matches." in response.content.decode()


def test_program_rows_are_the_orms(nursing_program):
    ProgramFactory(name="Aardvark studies", institution="Zeta College")
    ProgramFactory(name="Zoology", institution="Alpha University")
    expected = list(
        Program.objects.values_list(
            "id", "name", "institution", "profession_id", "profession__name"
        )
    )
    assert program_rows() == expected and len(expected) == 3


class TestCount:
    def test_the_count_comes_with_the_page_in_one_statement(self, client, facilitator, placement):
        client.force_login(facilitator)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("placements:list"))
        assert response.context["page"].count == 1
        assert not response.context["page"].count_is_lower_bound
        # The statement is prepared on its connection's first use, then EXECUTEd by name.
        listing = [
            q["sql"]
            for q in queries
            if "placements_placement" in q["sql"] or "ipcop_placement_list" in q["sql"]
        ]
        assert len(listing) == 1, listing

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


class TestFastSelect:
    def test_renders_like_a_select_with_the_value_selected_and_labels_escaped(self):
        widget = FastSelect(choices=PlainChoices([("", "Any"), (1, "A & B"), (2, "<i>")]))
        html = widget.render("site", 1, attrs={"id": "id_site"})
        assert html == (
            '<select name="site" id="id_site"><option value="">Any</option>'
            '<option value="1" selected>A &amp; B</option>'
            '<option value="2">&lt;i&gt;</option></select>'
        )

    @pytest.mark.parametrize(
        "choices, value",
        [
            ([("", "Any"), (1, "A & B"), (2, "<i>"), (3, "\"q\" 'r'")], 2),
            ([("", "Any"), ("a&b", "x"), ("a&b", "again"), (None, "none")], "a&b"),
            ([(1, "One"), (2, "Two")], None),
            ([(1, "One")], "1"),
            ([], None),
            ([(1, "bad\0label"), (2, "B")], 2),  # a NUL: the option by option way
            ([(1, "One"), (2, SafeString("<b>Two</b>"))], 1),  # not a plain str: likewise
        ],
    )
    def test_all_options_escaped_at_once_are_the_same_as_one_by_one(self, choices, value):
        widget = FastSelect(choices=PlainChoices(choices))
        fast = widget.render("site", value)
        selected = set(widget.format_value(value))
        assert fast == f'<select name="site">{widget._options(selected)}</select>'
        if choices and all(type(label) is str and "\0" not in label for _, label in choices):
            assert widget._plain_options(set(selected)) is not None

    def test_groups_become_optgroups(self):
        widget = FastSelect(choices=[("North", [(1, "One")]), ("South", [(2, "Two")])])
        html = widget.render("unit", "2")
        assert '<optgroup label="North"><option value="1">One</option></optgroup>' in html
        assert '<option value="2" selected>Two</option>' in html


ATTRS = {"class": "form-control", "aria-invalid": "true", "required": True, "disabled": False}


class TestFastInputs:
    """The filter's inputs, rendered in Python, give Django's HTML exactly."""

    @pytest.mark.parametrize("value", [None, "", "Sam", "a \"b\" <c> & 'd'"])
    def test_text_input_renders_like_djangos(self, value):
        attrs = {"id": "id_q", "aria-describedby": "id_q_helptext"}
        fast = FastTextInput(attrs=ATTRS).render("q", value, attrs=attrs)
        assert fast == forms.TextInput(attrs=ATTRS).render("q", value, attrs=attrs)

    @pytest.mark.parametrize("value", [None, datetime.date(2026, 3, 1), "soon<"])
    def test_date_input_renders_like_djangos(self, value):
        class DjangoDateInput(forms.DateInput):
            input_type = "date"

        fast = FilterDateInput(attrs=ATTRS).render("start_from", value, attrs={"id": "x"})
        django = DjangoDateInput(format="%Y-%m-%d", attrs=ATTRS)
        assert fast == django.render("start_from", value, attrs={"id": "x"})

    def test_flatatt_is_djangos(self):
        attrs = {"id": "a&b", "class": 'x"y', "required": True, "disabled": False, "z": None}
        assert flatatt(attrs) == django_flatatt(attrs)
        assert flatatt({}) == django_flatatt({}) == ""
