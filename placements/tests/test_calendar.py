"""The placement calendar: a site's placements week by week, by unit and profession,
against the places its capacities offer; its filters and period, who may open it, and
its cost."""

import datetime

import pytest
from django.urls import reverse

from accounts.tests.factories import ProfessionFactory, UserFactory
from mentoring.tests.factories import MentorAssignmentFactory
from placements.models import Placement, PlacementStatus
from placements.selectors import calendar_weeks
from placements.tests.factories import (
    CapacityFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

D = datetime.date
JAN_TO_MAR = {"start": "2030-01", "months": "3"}


def calendar_url(site) -> str:
    return reverse("placements:calendar", args=[site.pk])


def place(student, unit, start, end, status=PlacementStatus.CONFIRMED, site=None):
    return PlacementFactory(
        student=student,
        site=site or unit.site,
        unit=unit,
        start_date=start,
        end_date=end,
        status=status,
    )


def week_index(calendar, day) -> int:
    return next(i for i, week in enumerate(calendar.weeks) if week.start <= day <= week.end)


@pytest.fixture
def ward(site_a, unit_a, nursing_program):
    """Unit 4B offers three nursing places from January to March 2030; two students hold
    one each, a third asks for one."""
    CapacityFactory(
        site=site_a,
        unit=unit_a,
        profession=nursing_program.profession,
        period_start=D(2030, 1, 1),
        period_end=D(2030, 3, 31),
        places=3,
    )
    ana = StudentFactory(program=nursing_program, user__full_name="Ana Arnold")
    ben = StudentFactory(program=nursing_program, user__full_name="Ben Brook")
    cleo = StudentFactory(program=nursing_program, user__full_name="Cleo Cole")
    return {
        "ana": place(ana, unit_a, D(2030, 1, 7), D(2030, 2, 15)),
        "ben": place(ben, unit_a, D(2030, 2, 4), D(2030, 3, 29), PlacementStatus.ACTIVE),
        "cleo": place(cleo, unit_a, D(2030, 3, 4), D(2030, 3, 15), PlacementStatus.REQUESTED),
    }


class TestWeeks:
    def test_weeks_run_monday_to_sunday_over_the_months(self):
        weeks = calendar_weeks(D(2030, 1, 1), 3)
        # 1 Jan 2030 is a Tuesday: the first week starts on Monday 31 Dec 2029.
        assert weeks[0].start == D(2029, 12, 31)
        assert weeks[-1].start <= D(2030, 3, 31) <= weeks[-1].end
        assert all(w.start.weekday() == 0 and (w.end - w.start).days == 6 for w in weeks)
        assert len(weeks) == 13  # 31 Mar 2030 is a Sunday

    def test_a_year_end_is_crossed(self):
        weeks = calendar_weeks(D(2030, 11, 1), 3)
        assert weeks[-1].end >= D(2031, 1, 31)


class TestContent:
    def test_who_is_where_and_the_places_held_and_free(self, client, facilitator, site_a, ward):
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a), JAN_TO_MAR)
        assert response.status_code == 200
        calendar = response.context["calendar"]
        [unit] = calendar.groups
        assert unit.name == "Unit 4B"
        [nursing] = unit.professions
        names = [p.student_name for p in nursing.placements]
        assert names == ["Ana Arnold", "Ben Brook", "Cleo Cole"]
        # Ana and Ben hold two of the three places of the whole period; Cleo only asks.
        cell = nursing.places[week_index(calendar, D(2030, 2, 11))]
        assert (cell.held, cell.places, cell.free, cell.kind) == (2, 3, 1, "free")
        # Ana's placement spans her weeks as one cell, the others empty.
        ana = nursing.placements[0]
        spans = [(c.span, c.kind) for c in ana.cells]
        first = week_index(calendar, D(2030, 1, 7))
        last = week_index(calendar, D(2030, 2, 15))
        assert spans[first] == (last - first + 1, "confirmed")
        assert sum(c.span for c in ana.cells) == len(calendar.weeks)
        html = response.content.decode()
        assert "2 of 3 held" in html
        assert "1 free" in html
        assert "Requested, holds no place" in html
        assert f'href="{reverse("placements:detail", args=[ward["ben"].pk])}"' in html
        assert (
            '<th scope="col" class="calendar-week"><span class="visually-hidden">Week of </span>7 Jan</th>'
            in html
        )

    def test_weeks_outside_every_capacity_are_not_limited(self, client, facilitator, site_a, ward):
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a), {"start": "2030-03", "months": "2"})
        calendar = response.context["calendar"]
        nursing = calendar.groups[0].professions[0]
        april = nursing.places[week_index(calendar, D(2030, 4, 15))]
        assert april.kind == "unlimited"
        assert "No limit" in response.content.decode()

    def test_counts_over_capacity_say_how_many_over(
        self, client, facilitator, site_a, unit_a, nursing_program, ward
    ):
        # A capacity lowered after two placements took their places.
        unit_a.capacities.update(places=1)
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a), JAN_TO_MAR)
        cell = response.context["calendar"].groups[0].professions[0].places[5]
        assert (cell.held, cell.places, cell.over, cell.kind) == (2, 1, 1, "over")
        html = response.content.decode()
        assert "2 of 1 held" in html
        assert "1 over" in html

    def test_full_places_say_full(self, client, facilitator, site_a, unit_a, ward):
        unit_a.capacities.update(places=2)
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a), JAN_TO_MAR)
        assert response.context["calendar"].groups[0].professions[0].places[5].kind == "full"
        assert "Full" in response.content.decode()

    def test_cancelled_placements_and_other_sites_are_left_out(
        self, client, facilitator, site_a, site_b, unit_a, nursing_program, ward
    ):
        gone = StudentFactory(program=nursing_program, user__full_name="Gone Gary")
        place(gone, unit_a, D(2030, 1, 7), D(2030, 1, 20), PlacementStatus.CANCELLED)
        elsewhere = StudentFactory(program=nursing_program, user__full_name="Elsewhere Eve")
        PlacementFactory(
            student=elsewhere, site=site_b, start_date=D(2030, 1, 7), end_date=D(2030, 1, 20)
        )
        before = StudentFactory(program=nursing_program, user__full_name="Before Bea")
        place(before, unit_a, D(2029, 9, 1), D(2029, 12, 1))
        client.force_login(facilitator)
        html = client.get(calendar_url(site_a), JAN_TO_MAR).content.decode()
        assert "Ana Arnold" in html
        for name in ("Gone Gary", "Elsewhere Eve", "Before Bea"):
            assert name not in html

    def test_site_wide_places_count_placements_in_every_unit(
        self, client, facilitator, site_a, unit_a, nursing_program
    ):
        other_unit = UnitFactory(site=site_a, name="Unit 7C")
        UnitFactory(site=site_a, name="Unit 9Z")  # nothing there
        CapacityFactory(
            site=site_a,
            unit=None,
            profession=nursing_program.profession,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 3, 31),
            places=4,
        )
        for unit, name in [(unit_a, "Ana Arnold"), (other_unit, "Ben Brook")]:
            student = StudentFactory(program=nursing_program, user__full_name=name)
            place(student, unit, D(2030, 1, 7), D(2030, 1, 27))
        place(
            StudentFactory(program=nursing_program, user__full_name="Nora Nounit"),
            None,
            D(2030, 2, 4),
            D(2030, 2, 24),
            site=site_a,
        )
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a), JAN_TO_MAR)
        calendar = response.context["calendar"]
        assert [g.name for g in calendar.groups] == ["Whole site", "Unit 4B", "Unit 7C"]
        whole = calendar.groups[0].professions[0]
        assert [p.student_name for p in whole.placements] == ["Nora Nounit"]
        assert {(c.held, c.places) for c in whole.places} == {(3, 4)}
        assert calendar.groups[1].professions[0].site_wide
        assert calendar.quiet_units == ["Unit 9Z"]
        html = response.content.decode()
        assert "3 of 4 held" in html
        assert "its placements hold the whole site's places" in html
        assert "Unit 9Z" in html

    def test_a_site_with_nothing_in_the_period_says_so(self, client, facilitator, site_a):
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a), JAN_TO_MAR)
        assert response.status_code == 200
        assert "No placement and no capacity at this site in this period" in (
            response.content.decode()
        )


class TestPeriodAndFilters:
    def test_the_period_defaults_to_this_month_and_three(self, client, facilitator, site_a):
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a))
        first = datetime.date.today().replace(day=1)
        assert response.context["first_month"] == first
        assert response.context["months"] == 3
        assert f'value="{first:%Y-%m}"' in response.content.decode()

    def test_previous_and_next_move_by_the_period_and_keep_the_filters(
        self, client, facilitator, site_a, nursing_program
    ):
        client.force_login(facilitator)
        response = client.get(
            calendar_url(site_a), {"start": "2030-01", "months": "2", "program": nursing_program.pk}
        )
        assert response.context["previous_url"] == (
            f"?start=2029-11&months=2&program={nursing_program.pk}"
        )
        assert (
            response.context["next_url"] == f"?start=2030-03&months=2&program={nursing_program.pk}"
        )
        html = response.content.decode()
        assert 'rel="next">Next 2 months</a>' in html
        # The printed page has no form: its heading names the period and the filter.
        assert "January 2030 to February 2030 · BScN — University of Alberta</p>" in html

    def test_program_and_profession_filters_narrow_rows_and_places(
        self, client, facilitator, site_a, unit_a, nursing_program, ward
    ):
        physio = ProgramFactory(name="MScPT", profession=ProfessionFactory(code="physio"))
        other_nursing = ProgramFactory(name="LPN", profession=nursing_program.profession)
        pete = StudentFactory(program=physio, user__full_name="Pete Physio")
        lena = StudentFactory(program=other_nursing, user__full_name="Lena Lpn")
        place(pete, unit_a, D(2030, 1, 7), D(2030, 1, 27))
        place(lena, unit_a, D(2030, 1, 7), D(2030, 1, 27))
        client.force_login(facilitator)

        def shown(**params):
            response = client.get(calendar_url(site_a), {**JAN_TO_MAR, **params})
            assert response.status_code == 200
            assert not response.context["form"].errors
            calendar = response.context["calendar"]
            return {
                (block.name, p.student_name)
                for group in calendar.groups
                for block in group.professions
                for p in block.placements
            }, [block.places is not None for g in calendar.groups for block in g.professions]

        everyone, _ = shown()
        assert {name for _, name in everyone} == {
            "Ana Arnold", "Ben Brook", "Cleo Cole", "Pete Physio", "Lena Lpn"
        }  # fmt: skip
        rows, limited = shown(profession=physio.profession_id)
        assert rows == {(physio.profession.name, "Pete Physio")}
        assert limited == [False]  # no physiotherapy capacity: not limited
        rows, limited = shown(program=other_nursing.pk)
        assert rows == {(nursing_program.profession.name, "Lena Lpn")}
        assert limited == [True]  # the program's profession's places
        # Lena holds a nursing place too: the places count every program of the profession.
        response = client.get(calendar_url(site_a), {**JAN_TO_MAR, "program": other_nursing.pk})
        assert response.context["calendar"].groups[0].professions[0].places[2].held == 3

    @pytest.mark.parametrize(
        ("params", "field", "message"),
        [
            ({"start": "2030-13"}, "start", "such as 2026-12"),
            ({"start": "next month"}, "start", "such as 2026-12"),
            ({"start": "1899-12"}, "start", "between 1900-01 and 2198-12"),
            ({"start": "2199-01"}, "start", "between 1900-01 and 2198-12"),
            ({"months": "5"}, "months", "Select a valid choice"),
            ({"months": "9" * 20}, "months", "Select a valid choice"),
            ({"program": "abc"}, "program", "Select a valid choice"),
            ({"profession": "9" * 20}, "profession", "Select a valid choice"),
        ],
    )
    def test_bad_values_get_a_message_and_the_calendar_shows_without_them(
        self, client, facilitator, site_a, params, field, message
    ):
        client.force_login(facilitator)
        response = client.get(calendar_url(site_a), params)
        assert response.status_code == 200
        assert message in response.context["form"].errors[field][0]
        html = response.content.decode()
        assert "Some of your choices are not valid" in html
        assert "invalid-feedback" in html
        assert response.context["months"] in (1, 2, 3, 6)
        # A bad value is not carried into the links.
        assert params[field] not in (response.context["next_url"] or "")

    def test_a_program_and_another_profession_contradict(
        self, client, facilitator, site_a, nursing_program
    ):
        physio = ProfessionFactory(code="physio")
        ProgramFactory(profession=physio)
        client.force_login(facilitator)
        response = client.get(
            calendar_url(site_a), {"program": nursing_program.pk, "profession": physio.pk}
        )
        assert response.status_code == 200
        assert response.context["form"].errors["profession"] == [
            "This program's students are of another profession."
        ]


class TestAccess:
    def test_another_facilitators_site_is_not_found(self, client, site_a, outsider):
        client.force_login(outsider)
        assert client.get(calendar_url(site_a)).status_code == 404

    def test_a_site_id_that_does_not_exist_is_not_found(self, client, facilitator):
        client.force_login(facilitator)
        response = client.get(reverse("placements:calendar", args=[2**40]))
        assert response.status_code == 404

    def test_the_student_placed_at_the_site_is_refused(self, client, placement, site_a):
        # As the site page and the IP matrix: it names every student placed there.
        client.force_login(placement.student.user)
        assert client.get(calendar_url(site_a)).status_code == 403

    def test_a_preceptor_mentoring_there_is_refused(self, client, placement, site_a):
        assignment = MentorAssignmentFactory(placement=placement)
        client.force_login(assignment.mentor)
        assert client.get(calendar_url(site_a)).status_code == 403
        assert client.get(reverse("placements:calendar_sites")).status_code == 403

    def test_a_student_elsewhere_gets_not_found(self, client, site_a):
        client.force_login(StudentFactory().user)
        assert client.get(calendar_url(site_a)).status_code == 404

    def test_anonymous_is_sent_to_log_in(self, client, site_a):
        response = client.get(calendar_url(site_a))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))

    def test_admin_opens_any_site(self, client, admin_user, site_a):
        client.force_login(admin_user)
        assert client.get(calendar_url(site_a)).status_code == 200

    def test_the_chooser_lists_only_the_facilitators_sites(
        self, client, facilitator, site_a, site_b
    ):
        SiteFactory(name="Site C", facilitators=[facilitator])
        client.force_login(facilitator)
        response = client.get(reverse("placements:calendar_sites"))
        assert response.status_code == 200
        html = response.content.decode()
        assert [site.name for site in response.context["page"]] == ["Site A", "Site C"]
        assert f'href="{calendar_url(site_a)}"' in html
        assert calendar_url(site_b) not in html

    def test_the_chooser_refuses_a_student(self, client):
        client.force_login(StudentFactory().user)
        assert client.get(reverse("placements:calendar_sites")).status_code == 403

    def test_a_facilitator_sees_placements_at_their_site_only(
        self, client, facilitator, site_a, unit_a, nursing_program
    ):
        # A student placed at both sites appears in each site's calendar once, there.
        student = StudentFactory(program=nursing_program, user__full_name="Two Sites")
        place(student, unit_a, D(2030, 1, 7), D(2030, 1, 20))
        PlacementFactory(
            student=student,
            site=SiteFactory(),
            start_date=D(2030, 2, 4),
            end_date=D(2030, 2, 17),
            status=PlacementStatus.CONFIRMED,
        )
        client.force_login(facilitator)
        calendar = client.get(calendar_url(site_a), JAN_TO_MAR).context["calendar"]
        [[row]] = [block.placements for g in calendar.groups for block in g.professions]
        assert row.start_date == D(2030, 1, 7)


class TestLinks:
    def test_site_page_placements_list_and_capacity_link_to_the_calendar(
        self, client, facilitator, site_a, unit_a, nursing_program
    ):
        CapacityFactory(site=site_a, unit=unit_a, period_start=D(2030, 2, 1))
        client.force_login(facilitator)
        url = calendar_url(site_a)
        assert url in client.get(reverse("sites:detail", args=[site_a.pk])).content.decode()
        chooser = reverse("placements:calendar_sites")
        assert chooser in client.get(reverse("placements:list")).content.decode()
        capacity = client.get(reverse("placements:capacity_list")).content.decode()
        assert f"{url}?start=2030-02" in capacity
        assert chooser in capacity

    def test_students_see_no_calendar_link_on_their_list(self, client, placement):
        client.force_login(placement.student.user)
        html = client.get(reverse("placements:list")).content.decode()
        assert reverse("placements:calendar_sites") not in html


class TestQueries:
    @pytest.mark.parametrize("rows", [10, 200])
    def test_query_count_does_not_grow_with_the_placements(
        self, client, facilitator, site_a, unit_a, nursing_program, rows,
        django_assert_max_num_queries,
    ):  # fmt: skip
        CapacityFactory(
            site=site_a,
            unit=unit_a,
            profession=nursing_program.profession,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 3, 31),
            places=rows,
        )
        students = [StudentFactory(program=nursing_program) for _ in range(rows)]
        Placement.objects.bulk_create(
            Placement(
                student=student,
                site=site_a,
                unit=unit_a if i % 2 else None,
                start_date=D(2030, 1, 1) + datetime.timedelta(days=i % 60),
                end_date=D(2030, 1, 20) + datetime.timedelta(days=i % 60),
                status=PlacementStatus.CONFIRMED,
            )
            for i, student in enumerate(students)
        )
        client.force_login(facilitator)
        # session, user, the site, the programs (the filters' choices), the units, the
        # placements, the capacities with their places held, saving the session (with
        # the test's savepoints).
        with django_assert_max_num_queries(10):
            response = client.get(
                calendar_url(site_a), {**JAN_TO_MAR, "profession": nursing_program.profession_id}
            )
        shown = sum(
            len(block.placements)
            for group in response.context["calendar"].groups
            for block in group.professions
        )
        assert shown == rows


def test_the_chooser_reads_a_few_queries(client, django_assert_max_num_queries):
    facilitator = UserFactory(facilitator=True)
    for n in range(60):
        SiteFactory(name=f"Site {n:02}", facilitators=[facilitator])
    client.force_login(facilitator)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("placements:calendar_sites"))
    assert len(response.context["page"].object_list) == 50
