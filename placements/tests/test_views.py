"""Placement pages per role: who sees what (404), who may change what (403), writes."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse

from accounts.models import Profession
from accounts.tests.factories import UserFactory
from mentoring.tests.factories import MentorAssignmentFactory
from placements.models import (
    Capacity,
    Placement,
    PlacementStatus,
    PlacementStatusChange,
)
from placements.tests.factories import (
    CapacityFactory,
    ImportJobFactory,
    PlacementFactory,
    PlacementOfferFactory,
    PlacementRequestFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def login(client, user):
    client.force_login(user)
    return client


def listed(response) -> list[int]:
    """The ids of the placements a list response shows, in order."""
    return [row["pk"] for row in response.context["page"]]


def bulk_placements(n, *, site, student=None, program=None):
    """n placements at `site` (of one student, or of n students of `program`)."""
    start = D(2029, 1, 1)
    return Placement.objects.bulk_create(
        Placement(
            student=student or StudentFactory(program=program),
            site=site,
            start_date=start + datetime.timedelta(days=7 * i),
            end_date=start + datetime.timedelta(days=7 * i + 5),
            status=PlacementStatus.COMPLETED,
        )
        for i in range(n)
    )


class TestList:
    def test_facilitator_sees_only_their_sites_placements(
        self, client, facilitator, placement, placement_b
    ):
        response = login(client, facilitator).get(reverse("placements:list"))
        assert response.status_code == 200
        assert listed(response) == [placement.pk]

    def test_filters_narrow_the_rows(self, client, facilitator, placement, site_a, nursing_program):
        other = PlacementFactory(
            site=site_a, student=StudentFactory(program=nursing_program), confirmed=True
        )
        url = reverse("placements:list")
        login(client, facilitator)
        assert listed(client.get(url, {"status": "confirmed"})) == [other.pk]
        assert listed(client.get(url, {"q": "Sam Stud"})) == [placement.pk]
        assert listed(client.get(url, {"q": placement.student.student_number})) == [placement.pk]

    def test_bad_filter_values_are_reported_and_ignored(self, client, facilitator, placement):
        response = login(client, facilitator).get(
            reverse("placements:list"), {"site": "xyz", "start_from": "not-a-date", "page": "abc"}
        )
        assert response.status_code == 200
        assert "site" in response.context["form"].errors
        assert "start_from" in response.context["form"].errors
        assert listed(response) == [placement.pk]

    def test_another_facilitators_site_is_not_a_filter_choice(
        self, client, facilitator, placement, site_b
    ):
        response = login(client, facilitator).get(reverse("placements:list"), {"site": site_b.pk})
        assert "site" in response.context["form"].errors

    def test_sort_by_start_date_both_ways(self, client, facilitator, site_a, nursing_program):
        rows = bulk_placements(3, site=site_a, program=nursing_program)
        url = reverse("placements:list")
        login(client, facilitator)
        pks = [row.pk for row in rows]
        assert listed(client.get(url, {"sort": "start"})) == pks
        assert listed(client.get(url)) == pks[::-1]

    def test_list_needs_login(self, client):
        response = client.get(reverse("placements:list"))
        assert response.status_code == 302

    @pytest.mark.parametrize("rows", [10, 200])
    @pytest.mark.parametrize("filters", [{}, {"status": "completed"}, {"site": "a"}])
    def test_query_count_does_not_grow_with_rows(
        self,
        client,
        facilitator,
        site_a,
        unit_a,
        nursing_program,
        rows,
        filters,
        django_assert_max_num_queries,
    ):
        placements = bulk_placements(rows, site=site_a, program=nursing_program)
        Placement.objects.filter(pk__in=[p.pk for p in placements]).update(unit=unit_a)
        login(client, facilitator)
        if filters.get("site"):
            filters = {"site": site_a.pk}
        # session, user, sites, programs with professions, (the site's units,) the page
        # with its names, the count (none when all fits on page 1), saving the session
        # (3 with the test's savepoint).
        with django_assert_max_num_queries(10):
            response = client.get(reverse("placements:list"), filters)
        assert response.context["page"].count == rows


class TestKeysetPagination:
    def test_next_and_previous_walk_every_row_once_in_order(
        self, client, facilitator, site_a, nursing_program
    ):
        rows = bulk_placements(60, site=site_a, program=nursing_program)
        # Two placements on one day: the id breaks the tie across a page boundary.
        rows[35].start_date = rows[34].start_date
        rows[35].save()
        login(client, facilitator)
        url = reverse("placements:list")
        expected = list(
            Placement.objects.filter(site=site_a)
            .order_by("-start_date", "-id")
            .values_list("pk", flat=True)
        )
        seen, pages, query = [], [], ""
        while True:
            page = client.get(url + query).context["page"]
            pages.append(page)
            seen += [row["pk"] for row in page]
            if not page.has_next:
                break
            query = "?" + page.next_query
        assert seen == expected
        assert [p.number for p in pages] == [1, 2, 3]
        back = client.get(url + "?" + pages[-1].previous_query).context["page"]
        assert [row["pk"] for row in back] == [row["pk"] for row in pages[1]]
        assert back.number == 2

    @pytest.mark.parametrize("sort", ["start", "-start"])
    def test_previous_links_walk_back_to_the_first_page(
        self, client, facilitator, site_a, nursing_program, sort
    ):
        rows = bulk_placements(60, site=site_a, program=nursing_program)
        rows[25].start_date = rows[24].start_date
        rows[25].save()
        login(client, facilitator)
        url = reverse("placements:list")
        forward, query = [], f"?sort={sort}"
        while True:
            page = client.get(url + query).context["page"]
            forward.append([row["pk"] for row in page])
            if not page.has_next:
                break
            query = "?" + page.next_query
        backward = []
        while page.has_previous:
            page = client.get(url + "?" + page.previous_query).context["page"]
            backward.append([row["pk"] for row in page])
        assert backward == forward[-2::-1]
        assert page.number == 1 and len(forward) == 3

    def test_count_stops_at_the_limit(self, client, facilitator, site_a, nursing_program):
        from ipcop.lib import keyset

        bulk_placements(12, site=site_a, program=nursing_program)
        login(client, facilitator)
        original, keyset.COUNT_LIMIT = keyset.COUNT_LIMIT, 10
        try:
            page = client.get(reverse("placements:list")).context["page"]
        finally:
            keyset.COUNT_LIMIT = original
        assert page.count_is_lower_bound is True

    def test_a_bad_cursor_shows_the_first_page(self, client, facilitator, site_a, nursing_program):
        bulk_placements(3, site=site_a, program=nursing_program)
        response = login(client, facilitator).get(
            reverse("placements:list"), {"after": "not-a-date_x", "before": "2020-01-01_abc"}
        )
        assert response.status_code == 200
        assert len(response.context["page"]) == 3


class TestExport:
    def test_exports_exactly_the_filtered_rows_of_all_pages(
        self, client, facilitator, site_a, nursing_program
    ):
        bulk_placements(60, site=site_a, program=nursing_program)
        PlacementFactory(site=site_a, student=StudentFactory(program=nursing_program))  # requested
        PlacementFactory()  # another site
        response = login(client, facilitator).get(
            reverse("placements:export"), {"status": "completed"}
        )
        assert response["Content-Type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert len(rows) == 60
        assert {row["status"] for row in rows} == {"completed"}
        assert {row["site"] for row in rows} == {"Site A"}

    def test_cells_that_spreadsheets_would_run_as_formulas_are_escaped(
        self, client, facilitator, placement
    ):
        placement.notes = '=HYPERLINK("http://evil")'
        placement.save()
        placement.student.user.full_name = "@SUM(1+1)"
        placement.student.user.save()
        response = login(client, facilitator).get(reverse("placements:export"))
        row = next(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert row["notes"] == '\'=HYPERLINK("http://evil")'
        assert row["student"] == "'@SUM(1+1)"

    def test_student_exports_only_their_own(self, client, student, placement, placement_b):
        response = login(client, student.user).get(reverse("placements:export"))
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert [int(r["id"]) for r in rows] == [placement.pk]


class TestDetail:
    def test_facilitator_sees_detail_history_and_actions(self, client, facilitator, placement):
        login(client, facilitator)
        client.post(
            reverse("placements:transition", args=[placement.pk]), {"to_status": "confirmed"}
        )
        response = client.get(reverse("placements:detail", args=[placement.pk]))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Status history" in content and "Fay Facilitator" in content
        assert [s for s, _ in response.context["transitions"]] == ["active", "cancelled"]
        assert "Mentoring team" in content

    def test_outsider_gets_404(self, client, outsider, placement):
        assert (
            login(client, outsider)
            .get(reverse("placements:detail", args=[placement.pk]))
            .status_code
            == 404
        )

    def test_student_sees_own_without_actions(self, client, student, placement):
        response = login(client, student.user).get(
            reverse("placements:detail", args=[placement.pk])
        )
        assert response.status_code == 200
        assert response.context["transitions"] == []

    def test_student_gets_404_for_another_students_placement(
        self, client, student, placement, site_a
    ):
        other = PlacementFactory(site=site_a)
        response = login(client, student.user).get(reverse("placements:detail", args=[other.pk]))
        assert response.status_code == 404

    def test_preceptor_sees_only_placements_they_mentor(self, client, preceptor, placement, site_a):
        MentorAssignmentFactory(placement=placement, mentor=preceptor)
        other = PlacementFactory(site=site_a)
        login(client, preceptor)
        assert client.get(reverse("placements:detail", args=[placement.pk])).status_code == 200
        assert client.get(reverse("placements:detail", args=[other.pk])).status_code == 404

    @pytest.mark.parametrize("changes", [1, 30])
    def test_detail_query_count_is_constant(
        self, client, facilitator, placement, changes, django_assert_max_num_queries
    ):
        PlacementStatusChange.objects.bulk_create(
            PlacementStatusChange(
                placement=placement, to_status="requested", changed_by=facilitator
            )
            for _ in range(changes)
        )
        login(client, facilitator)
        with django_assert_max_num_queries(14):
            client.get(reverse("placements:detail", args=[placement.pk]))


class TestCreateAndEdit:
    def form_data(self, site, **overrides):
        data = {
            "site": site.pk,
            "start_date": "2030-03-02",
            "end_date": "2030-04-10",
            "model": "ip_mentoring",
            "notes": "",
        }
        data.update(overrides)
        return data

    def test_facilitator_requests_a_placement(self, client, facilitator, student, site_a, unit_a):
        response = login(client, facilitator).post(
            reverse("placements:create"),
            self.form_data(
                site_a, student=student.user.email, unit=unit_a.pk, contact=facilitator.email
            ),
        )
        placement = Placement.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("placements:detail", args=[placement.pk])
        assert (placement.student, placement.unit, placement.contact) == (
            student,
            unit_a,
            facilitator,
        )
        assert placement.created_by == facilitator
        assert placement.status_changes.get().to_status == "requested"

    def test_overlap_shows_a_message_and_saves_nothing(
        self, client, facilitator, placement, site_a
    ):
        response = login(client, facilitator).post(
            reverse("placements:create"),
            self.form_data(
                site_a,
                student=placement.student.student_number,
                start_date=placement.start_date.isoformat(),
                end_date=placement.end_date.isoformat(),
            ),
        )
        assert response.status_code == 200
        assert "dates overlap" in str(response.context["form"].non_field_errors())
        assert Placement.objects.count() == 1

    def test_bad_input_is_reported_next_to_fields(self, client, facilitator, site_a, site_b):
        response = login(client, facilitator).post(
            reverse("placements:create"),
            self.form_data(
                site_b, student="nobody@example.org", end_date="2030-01-01", contact="x@example.org"
            ),
        )
        errors = response.context["form"].errors
        assert set(errors) >= {"student", "site", "contact"}
        assert not Placement.objects.exists()

    def test_end_before_start_is_reported(self, client, facilitator, student, site_a):
        response = login(client, facilitator).post(
            reverse("placements:create"),
            self.form_data(site_a, student=student.user.email, end_date="2030-01-01"),
        )
        assert "end_date" in response.context["form"].errors

    @pytest.mark.parametrize("who", ["preceptor", "student"])
    def test_other_roles_cannot_create(self, client, who, preceptor, student):
        user = preceptor if who == "preceptor" else student.user
        assert login(client, user).get(reverse("placements:create")).status_code == 403

    def test_facilitator_edits_dates(self, client, facilitator, placement, site_a):
        response = login(client, facilitator).post(
            reverse("placements:edit", args=[placement.pk]),
            self.form_data(site_a, start_date="2031-01-05", end_date="2031-02-05", notes="Moved"),
        )
        assert response.status_code == 302
        placement.refresh_from_db()
        assert (placement.start_date, placement.notes) == (D(2031, 1, 5), "Moved")

    def test_edit_form_shows_current_values(self, client, facilitator, placement):
        response = login(client, facilitator).get(reverse("placements:edit", args=[placement.pk]))
        assert response.context["form"].initial["site"] == placement.site_id
        assert "student" not in response.context["form"].fields

    def test_outsider_edit_is_404_and_mentor_edit_is_403(
        self, client, outsider, preceptor, placement
    ):
        MentorAssignmentFactory(placement=placement, mentor=preceptor)
        url = reverse("placements:edit", args=[placement.pk])
        assert login(client, outsider).get(url).status_code == 404
        assert login(client, preceptor).post(url, {}).status_code == 403


class TestTransitions:
    def url(self, placement):
        return reverse("placements:transition", args=[placement.pk])

    def test_confirm_records_who(self, client, facilitator, placement):
        response = login(client, facilitator).post(self.url(placement), {"to_status": "confirmed"})
        assert response.status_code == 302
        placement.refresh_from_db()
        assert placement.status == "confirmed"
        assert placement.status_changes.get(to_status="confirmed").changed_by == facilitator

    def test_over_capacity_shows_the_reason(self, client, facilitator, placement, site_a, nursing):
        CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=placement.start_date,
            period_end=placement.end_date,
            places=1,
        )
        PlacementFactory(
            site=site_a,
            student=StudentFactory(program=placement.student.program),
            confirmed=True,
            start_date=placement.start_date,
        )
        response = login(client, facilitator).post(
            self.url(placement), {"to_status": "confirmed"}, follow=True
        )
        assert "No place left" in response.content.decode()
        placement.refresh_from_db()
        assert placement.status == "requested"

    def test_illegal_step_shows_the_reason(self, client, facilitator, placement):
        response = login(client, facilitator).post(
            self.url(placement), {"to_status": "completed"}, follow=True
        )
        assert "cannot become completed" in response.content.decode()

    def test_unknown_status_is_a_message_not_an_error(self, client, facilitator, placement):
        response = login(client, facilitator).post(
            self.url(placement), {"to_status": "zzz"}, follow=True
        )
        assert response.status_code == 200
        placement.refresh_from_db()
        assert placement.status == "requested"

    def test_get_is_not_allowed(self, client, facilitator, placement):
        assert login(client, facilitator).get(self.url(placement)).status_code == 405

    def test_student_cannot_change_own_placement(self, client, student, placement):
        assert (
            login(client, student.user)
            .post(self.url(placement), {"to_status": "cancelled"})
            .status_code
            == 403
        )

    def test_outsider_gets_404(self, client, outsider, placement):
        assert (
            login(client, outsider)
            .post(self.url(placement), {"to_status": "cancelled"})
            .status_code
            == 404
        )


class TestStudentHome:
    def test_shows_current_upcoming_and_past_with_mentors_and_contact(
        self, client, student, placement, site_a, facilitator
    ):
        mentor = UserFactory(preceptor=True, full_name="Mia Mentor")
        MentorAssignmentFactory(placement=placement, mentor=mentor)
        upcoming = PlacementFactory(
            student=student,
            site=SiteFactory(name="Future Clinic"),
            start_date=D.today() + datetime.timedelta(days=60),
        )
        past = PlacementFactory(
            student=student,
            site=SiteFactory(name="Old Hospital"),
            completed=True,
            start_date=D.today() - datetime.timedelta(days=200),
        )
        PlacementFactory(site=site_a)  # another student's
        response = login(client, student.user).get(reverse("home"))
        content = response.content.decode()
        ctx = next(
            p["context"] for p in response.context["panels"] if "placements" in p["template"]
        )
        assert [p["pk"] for p in ctx["current"]] == [placement.pk]
        assert [p["pk"] for p in ctx["upcoming"]] == [upcoming.pk]
        assert [p["pk"] for p in ctx["past"]] == [past.pk]
        for text in (
            "Site A",
            "Unit 4B",
            "1 Main St",
            "Mia Mentor",
            "Fay Facilitator",
            "Future Clinic",
            "Old Hospital",
            "IP mentoring",
        ):
            assert text in content
        assert content.count("<h1") == 1

    def test_student_without_placements_is_told_so(self, client, student):
        response = login(client, student.user).get(reverse("home"))
        assert "You have no placement yet." in response.content.decode()

    @pytest.mark.parametrize("rows", [10, 200])
    def test_query_count_does_not_grow_with_placements(
        self, client, student, site_a, rows, django_assert_max_num_queries
    ):
        placements = bulk_placements(rows, site=site_a, student=student)
        mentor = UserFactory(preceptor=True)
        for p in placements[:5]:
            MentorAssignmentFactory(placement=p, mentor=mentor)
        login(client, student.user)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("home"))
        assert response.status_code == 200


class TestSiteCapacityTag:
    def test_shows_used_and_free_per_period_and_profession(
        self, site_a, unit_a, nursing, nursing_program, django_assert_num_queries
    ):
        CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=3,
        )
        CapacityFactory(
            unit=unit_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=1,
        )
        for unit, status in [
            (unit_a, "confirmed"),
            (None, "active"),
            (None, "requested"),
            (None, "cancelled"),
        ]:
            PlacementFactory(
                student=StudentFactory(program=nursing_program),
                site=site_a,
                unit=unit,
                start_date=D(2030, 2, 1),
                status=status,
            )
        template = Template("{% load placement_tags %}{% site_capacity site %}")
        with django_assert_num_queries(1):
            html = template.render(Context({"site": site_a}))
        rows = [line.strip() for line in html.split("<tr>")[2:]]
        # Site-wide: 3 places, 2 held (one in unit 4B, one without unit), 1 free.
        assert (
            'Whole site</td>\n      <td class="text-end" data-label="Places">3</td>\n'
            '      <td class="text-end" data-label="Used">2</td>\n'
            '      <td class="text-end" data-label="Free">1</td>' in html
        )
        assert (
            'Unit 4B</td>\n      <td class="text-end" data-label="Places">1</td>\n'
            '      <td class="text-end" data-label="Used">1</td>\n'
            '      <td class="text-end" data-label="Free">0</td>' in html
        )
        assert len(rows) == 2

    def test_without_capacity_says_so(self, site_a):
        html = Template("{% load placement_tags %}{% site_capacity site %}").render(
            Context({"site": site_a})
        )
        assert "Capacity is not recorded" in html


class TestCapacityPages:
    def test_facilitator_offers_places(self, client, facilitator, site_a, nursing):
        response = login(client, facilitator).post(
            reverse("placements:capacity_create"),
            {
                "site": site_a.pk,
                "profession": nursing.pk,
                "period_start": "2030-01-01",
                "period_end": "2030-04-30",
                "places": 2,
            },
        )
        assert response.status_code == 302
        assert Capacity.objects.get().places == 2
        listing = client.get(reverse("placements:capacity_list"))
        assert listing.status_code == 200 and "Site A" in listing.content.decode()

    def test_the_list_shows_each_capacitys_used_and_free_places_page_by_page(
        self, client, facilitator, site_a, unit_a, nursing, nursing_program, site_b
    ):
        from placements import views

        whole = CapacityFactory(
            site=site_a, profession=nursing, period_start=D(2030, 1, 1), places=3
        )
        ward = CapacityFactory(unit=unit_a, profession=nursing, period_start=D(2030, 1, 1))
        later = CapacityFactory(site=site_a, profession=nursing, period_start=D(2031, 1, 1))
        CapacityFactory(site=site_b)  # another facilitator's site
        for unit, status in [(unit_a, "active"), (None, "confirmed"), (None, "requested")]:
            PlacementFactory(
                student=StudentFactory(program=nursing_program),
                site=site_a,
                unit=unit,
                start_date=D(2030, 2, 1),
                status=status,
            )
        login(client, facilitator)
        original, views.PAGE_SIZE = views.PAGE_SIZE, 2
        try:
            first = client.get(reverse("placements:capacity_list")).context["page"]
            second = client.get(reverse("placements:capacity_list"), {"page": 2}).context["page"]
        finally:
            views.PAGE_SIZE = original
        # By site, period, profession, then unit (the whole site after its units).
        assert [(r["pk"], r["used"], r["free"]) for r in first] == [
            (ward.pk, 1, 1),
            (whole.pk, 2, 1),
        ]
        assert [(r["pk"], r["used"], r["free"]) for r in second] == [(later.pk, 0, 2)]
        assert first.paginator.num_pages == 2

    def test_lowering_below_held_places_is_refused(
        self, client, facilitator, site_a, nursing, nursing_program
    ):
        capacity = CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=2,
        )
        for _ in range(2):
            PlacementFactory(
                student=StudentFactory(program=nursing_program),
                site=site_a,
                start_date=D(2030, 2, 1),
                confirmed=True,
            )
        response = login(client, facilitator).post(
            reverse("placements:capacity_edit", args=[capacity.pk]),
            {
                "site": site_a.pk,
                "profession": nursing.pk,
                "period_start": "2030-01-01",
                "period_end": "2030-04-30",
                "places": 1,
            },
        )
        assert "2 placements already hold a place" in str(response.context["form"].errors["places"])
        capacity.refresh_from_db()
        assert capacity.places == 2

    def test_other_sites_capacity_is_404_and_other_roles_403(
        self, client, outsider, preceptor, site_a
    ):
        capacity = CapacityFactory(site=site_a)
        assert (
            login(client, outsider)
            .get(reverse("placements:capacity_edit", args=[capacity.pk]))
            .status_code
            == 404
        )
        assert login(client, preceptor).get(reverse("placements:capacity_list")).status_code == 403

    @pytest.mark.parametrize("rows", [10, 200])
    def test_capacity_list_query_count(
        self, client, facilitator, site_a, rows, django_assert_max_num_queries
    ):
        profession = Profession.objects.first()
        Capacity.objects.bulk_create(
            Capacity(
                site=site_a,
                profession=profession,
                period_start=D(2030, 1, 1) + datetime.timedelta(days=i),
                period_end=D(2030, 2, 1) + datetime.timedelta(days=i),
                places=1,
            )
            for i in range(rows)
        )
        login(client, facilitator)
        with django_assert_max_num_queries(10):
            assert client.get(reverse("placements:capacity_list")).status_code == 200


class TestAccessMatrix:
    """Every placements URL, by role: anonymous → login, and the answer for each persona."""

    # name: (needs a placement pk, method, {persona: status})
    MATRIX = {
        "list": (
            False,
            "get",
            {"facilitator": 200, "preceptor": 200, "student": 200, "coordinator": 200},
        ),
        "students": (
            False,
            "get",
            {"facilitator": 403, "preceptor": 403, "student": 403, "coordinator": 200},
        ),
        "export": (False, "get", {"facilitator": 200, "preceptor": 200, "student": 200}),
        "create": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "detail": (
            True,
            "get",
            {"facilitator": 200, "outsider": 404, "student": 200, "coordinator": 200},
        ),
        "edit": (
            True,
            "get",
            {"facilitator": 200, "outsider": 404, "student": 403, "coordinator": 403},
        ),
        "transition": (
            True,
            "post",
            {"facilitator": 302, "outsider": 404, "student": 403, "coordinator": 403},
        ),
        "cancel": (True, "get", {"facilitator": 200, "outsider": 404, "student": 403}),
        # Without a selection: the page says to select placements.
        "bulk": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "bulk_apply": (False, "post", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "capacity_list": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "capacity_create": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "capacity_edit": (None, "get", {"facilitator": 200, "outsider": 404, "student": 403}),
        "import": (
            False,
            "get",
            {"facilitator": 200, "preceptor": 403, "student": 403, "coordinator": 200},
        ),
        "import_confirm": (False, "post", {"facilitator": 302, "preceptor": 403, "student": 403}),
        "import_template": (
            "template",
            "get",
            {"facilitator": 200, "preceptor": 403, "student": 403},
        ),
        # Another person's import job is not theirs to see, whatever their role.
        "import_job": ("job", "get", {"facilitator": 200, "outsider": 404, "student": 404}),
        "import_job_status": ("job", "get", {"facilitator": 200, "outsider": 404, "student": 404}),
        "calendar_sites": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        # The student placed at site A sees the site, not its calendar of everyone placed.
        "calendar": ("site", "get", {"facilitator": 200, "outsider": 404, "student": 403}),
        # Site A's agreement: its facilitator reads it and its document, admins change it.
        "agreement_list": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "agreement_create": (False, "get", {"facilitator": 403, "preceptor": 403, "student": 403}),
        "agreement_detail": (
            "agreement",
            "get",
            {"facilitator": 200, "outsider": 404, "student": 403},
        ),
        "agreement_document": (
            "agreement",
            "get",
            {"facilitator": 200, "outsider": 404, "student": 403},
        ),
        "agreement_edit": (
            "agreement",
            "get",
            {"facilitator": 403, "outsider": 404, "student": 403},
        ),
        # Requests and offers: a coordinator's answers are in test_request_views.
        "request_list": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "request_create": (False, "get", {"facilitator": 403, "preceptor": 403, "student": 403}),
        "request_detail": ("request", "get", {"facilitator": 200, "outsider": 404, "student": 403}),
        "request_accept": (
            "request",
            "post",
            {"facilitator": 302, "outsider": 404, "student": 403},
        ),
        "request_decline": (
            "request",
            "get",
            {"facilitator": 200, "outsider": 404, "student": 403},
        ),
        "request_propose": (
            "request",
            "get",
            {"facilitator": 200, "outsider": 404, "student": 403},
        ),
        "request_accept_proposal": (
            "request",
            "post",
            {"facilitator": 403, "outsider": 404, "student": 403},
        ),
        "request_withdraw": (
            "request",
            "post",
            {"facilitator": 403, "outsider": 404, "student": 403},
        ),
        "offer_list": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "offer_create": (False, "get", {"facilitator": 200, "preceptor": 403, "student": 403}),
        "offer_close": ("offer", "post", {"facilitator": 302, "outsider": 404, "student": 403}),
        "offer_claim": ("offer", "get", {"facilitator": 403, "outsider": 403, "student": 403}),
    }

    def test_every_url_of_the_app_is_in_the_matrix(self):
        from placements.urls import urlpatterns

        assert {pattern.name for pattern in urlpatterns} == set(self.MATRIX)

    @pytest.mark.parametrize("name", sorted(MATRIX))
    def test_each_persona_gets_the_expected_answer(
        self,
        client,
        name,
        facilitator,
        outsider,
        preceptor,
        student,
        placement,
        site_a,
        site_b,
        coordinator,
    ):
        needs_pk, method, expected = self.MATRIX[name]
        if needs_pk is None:
            args = [CapacityFactory(site=site_a).pk]
        elif needs_pk == "job":
            args = [ImportJobFactory(owner=facilitator).pk]
        elif needs_pk == "site":
            args = [site_a.pk]
        elif needs_pk == "template":
            args = ["students", "csv"]
        elif needs_pk == "agreement":
            agreement = site_a.agreements.get()
            agreement.document = SimpleUploadedFile("signed.pdf", b"%PDF-1.4\n%%EOF\n")
            agreement.save()
            args = [agreement.pk]
        elif needs_pk == "request":
            later = datetime.date.today() + datetime.timedelta(weeks=20)
            args = [PlacementRequestFactory(student=student, site=site_a, start_date=later).pk]
        elif needs_pk == "offer":
            args = [PlacementOfferFactory(site=site_a).pk]
        else:
            args = [placement.pk] if needs_pk else []
        url = reverse(f"placements:{name}", args=args)
        data = {"to_status": "confirmed"} if name == "transition" else {}
        anonymous = getattr(client, method)(url, data)
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
        personas = {
            "facilitator": facilitator,
            "outsider": outsider,
            "preceptor": preceptor,
            "student": student.user,
            "coordinator": coordinator,
        }
        for persona, status in expected.items():
            client.force_login(personas[persona])
            assert getattr(client, method)(url, data).status_code == status, persona


# --- A student's own list ----------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 30])
def test_a_student_sees_their_own_placements_without_filters_or_export(
    client, student, site_a, rows, django_assert_max_num_queries
):
    mine = [
        PlacementFactory(
            student=student,
            site=site_a,
            start_date=datetime.date(2020, 1, 1) + datetime.timedelta(days=60 * n),
            end_date=datetime.date(2020, 1, 20) + datetime.timedelta(days=60 * n),
        )
        for n in range(rows)
    ]
    PlacementFactory(site=site_a)  # another student's
    client.force_login(student.user)
    # Session, user, the navigation's communities question, the page and its rows, and
    # the session's save (an UPDATE in a savepoint).
    with django_assert_max_num_queries(8):
        response = client.get(reverse("placements:list"))
    page = response.content.decode()
    assert "My placements" in page
    assert "Export these rows" not in page and "Filter placements" not in page
    from placements import views

    shown = response.context["page"]
    assert shown.count == rows
    assert {row["pk"] for row in shown} <= {p.pk for p in mine}
    assert len(shown) == min(rows, views.PAGE_SIZE)
