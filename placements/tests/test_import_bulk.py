"""The import judges a file's rows in bulk (issue: a 5,000-row file took 30 s and its
worker was killed): the queries of a preview do not grow with its rows, the rows of one
file see each other as one import after another would, and a NUL character is a row's
error, never a server error."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from interviews.models import FollowUp, Reminder
from ipcop.permissions import sites_facilitated_by
from placements import importers
from placements.importers import parse_file, run_import
from placements.models import (
    Capacity,
    ImportJob,
    Placement,
    PlacementStatus,
    PlacementStatusChange,
    Student,
)
from placements.selectors import capacities_for, placements_holding
from placements.tests.factories import (
    CapacityFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import SiteFactory, UnitFactory

pytestmark = pytest.mark.django_db

D = datetime.date
STUDENTS_HEADER = "email,full_name,program,student_number,cohort_year\n"
PLACEMENTS_HEADER = "student_email,site,unit,start_date,end_date,model,status,contact_email,notes\n"


def rows_of(text: str, kind: str) -> list[dict]:
    return parse_file(text.encode(), kind)


def preview(facilitator, kind: str, text: str):
    return run_import(
        kind,
        rows_of(text, kind),
        user=facilitator,
        sites=sites_facilitated_by(facilitator),
        commit=False,
    )


def students_file(n: int, placed: list[Student], program) -> str:
    """`n` rows: the students `placed` at the facilitator's site get a new cohort, the
    others are new people."""
    lines = [
        f"{s.user.email},{s.user.full_name},{program.name},{s.student_number},2031\n"
        for s in placed
    ]
    lines += [
        f"new{i}@example.org,New {i},{program.name},N{i},2030\n" for i in range(n - len(placed))
    ]
    return STUDENTS_HEADER + "".join(lines)


def placements_file(students: list[Student], site, unit, contact) -> str:
    """One placement per student, alternately requested, confirmed and active."""
    statuses = ["requested", "confirmed", "active"]
    return PLACEMENTS_HEADER + "".join(
        f"{s.user.email},{site.name},{unit.name if i % 2 else ''},2030-01-06,2030-02-14,,"
        f"{statuses[i % 3]},{contact.email if i % 5 == 0 else ''},Row {i}\n"
        for i, s in enumerate(students)
    )


class TestPreviewQueries:
    """The number of queries of a preview is the same for 50 rows as for 500."""

    @pytest.mark.parametrize("rows", [50, 500])
    def test_students_preview(
        self, facilitator, site_a, nursing_program, rows, django_assert_max_num_queries
    ):
        placed = StudentFactory.create_batch(rows // 5, program=nursing_program)
        for student in placed:
            PlacementFactory(student=student, site=site_a)
        text = students_file(rows, placed, nursing_program)
        with django_assert_max_num_queries(6):
            result = preview(facilitator, "students", text)
        assert result.ok, result.bad_rows[:3]
        assert result.counts == {"create": rows - rows // 5, "update": rows // 5, "unchanged": 0}

    @pytest.mark.parametrize("rows", [50, 500])
    def test_placements_preview(
        self, facilitator, site_a, nursing, nursing_program, rows, django_assert_max_num_queries
    ):
        unit = UnitFactory(site=site_a, name="Unit 4B")
        CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 6, 30),
            places=rows,
        )
        students = StudentFactory.create_batch(rows, program=nursing_program)
        # Some already have this placement (to change), one a clashing one elsewhere.
        for student in students[: rows // 10]:
            PlacementFactory(
                student=student, site=site_a, start_date=D(2030, 1, 6), end_date=D(2030, 2, 7)
            )
        text = placements_file(students, site_a, unit, facilitator)
        with django_assert_max_num_queries(8):
            result = preview(facilitator, "placements", text)
        assert result.ok, result.bad_rows[:3]
        assert result.counts["create"] == rows - rows // 10
        assert result.counts["update"] == rows // 10

    @pytest.mark.parametrize("rows", [50, 500])
    def test_the_upload_page(
        self, client, facilitator, site_a, nursing_program, rows, django_assert_max_num_queries
    ):
        text = students_file(rows, [], nursing_program)
        client.force_login(facilitator)
        upload = SimpleUploadedFile("students.csv", text.encode(), "text/csv")
        with django_assert_max_num_queries(16):
            response = client.post(
                reverse("placements:import"), {"kind": "students", "file": upload}
            )
        assert response.context["result"].counts["create"] == rows
        assert ImportJob.objects.get().status == "ready"


class TestConfirmInBulk:
    def test_a_placements_file_creates_steps_follow_ups_and_reminders(
        self, facilitator, site_a, nursing_program
    ):
        unit = UnitFactory(site=site_a, name="Unit 4B")
        students = StudentFactory.create_batch(6, program=nursing_program)
        text = placements_file(students, site_a, unit, facilitator)
        result = run_import(
            "placements",
            rows_of(text, "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.committed, result.bad_rows
        placements = Placement.objects.order_by("student__user__email")
        assert (
            sorted(p.status for p in placements)
            == ["active"] * 2 + ["confirmed"] * 2 + ["requested"] * 2
        )
        # The profession the insert trigger writes, which capacity counts by.
        assert {p.profession_id for p in placements} == {nursing_program.profession_id}
        active = placements.filter(status="active")
        for placement in active:
            assert list(placement.status_changes.values_list("from_status", "to_status")) == [
                ("", "requested"),
                ("requested", "confirmed"),
                ("confirmed", "active"),
            ]
        # The follow-up each active placement is due, with its reminders to the facilitator.
        followups = FollowUp.objects.filter(placement__in=active)
        assert followups.count() == 2
        assert Reminder.objects.filter(followup__in=followups, recipient=facilitator).exists()
        assert PlacementStatusChange.objects.count() == 2 * 1 + 2 * 2 + 2 * 3

    def test_rows_of_one_file_compete_for_the_last_place_in_file_order(
        self, facilitator, site_a, nursing, nursing_program
    ):
        CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 6, 30),
            places=2,
        )
        held = PlacementFactory(
            site=site_a, student__program=nursing_program, start_date=D(2030, 3, 1), confirmed=True
        )
        students = StudentFactory.create_batch(2, program=nursing_program)
        text = PLACEMENTS_HEADER + "".join(
            f"{s.user.email},Site A,,2030-01-06,2030-02-14,,confirmed,,\n" for s in students
        )
        result = preview(facilitator, "placements", text)
        assert result.rows[0].action == "create" and not result.rows[0].errors
        assert "No place left" in result.rows[1].errors[0]
        assert str(held.student.user) in result.rows[1].errors[0]

    def test_a_person_new_in_the_file_may_be_enrolled_in_two_programs(
        self, facilitator, site_a, nursing_program
    ):
        other = ProgramFactory(name="MN", profession=nursing_program.profession)
        text = STUDENTS_HEADER + (
            f"two@example.org,Two Programs,{nursing_program.name},,\n"
            f"two@example.org,,{other.name},,\n"
        )
        result = run_import(
            "students",
            rows_of(text, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.committed, result.bad_rows
        assert Student.objects.filter(user__email="two@example.org").count() == 2
        assert len(result.new_people) == 1

    def test_a_student_number_given_up_by_one_row_is_free_for_a_later_row(
        self, facilitator, site_a, nursing_program
    ):
        moving = StudentFactory(program=nursing_program, student_number="A-1")
        PlacementFactory(student=moving, site=site_a)
        text = STUDENTS_HEADER + (
            f"{moving.user.email},X,{nursing_program.name},A-2,\n"
            f"fresh@example.org,Fresh,{nursing_program.name},A-1,\n"
        )
        result = run_import(
            "students",
            rows_of(text, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.committed, result.bad_rows
        assert Student.objects.get(user__email="fresh@example.org").student_number == "A-1"

    def test_a_row_saved_meanwhile_by_someone_else_makes_the_file_fail_cleanly(
        self, facilitator, site_a, nursing_program, monkeypatch
    ):
        """The rows are judged, then saved; an enrolment that slipped in between (a
        constraint catches it) fails the file with a message, and nothing is saved."""
        text = STUDENTS_HEADER + f"race@example.org,Race,{nursing_program.name},R-1,\n"
        original = importers.StudentImporter.save

        def someone_else_first(importer):
            StudentFactory(program=nursing_program, student_number="R-1")
            original(importer)

        monkeypatch.setattr(importers.StudentImporter, "save", someone_else_first)
        result = run_import(
            "students",
            rows_of(text, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert not result.committed and result.error == importers.SAVE_CONFLICT
        assert not Student.objects.filter(user__email="race@example.org").exists()


class TestNulCharacters:
    """PostgreSQL stores no NUL in text: a cell with one is the row's error."""

    def test_a_nul_in_a_cell_is_a_row_error_and_saves_nothing(
        self, facilitator, site_a, nursing_program
    ):
        text = STUDENTS_HEADER + (
            f"ok@example.org,Ok,{nursing_program.name},,\n"
            f"nul\x00@example.org,Nul,{nursing_program.name},,\n"
            f"other@example.org,Ann\x00Bell,{nursing_program.name},,\n"
        )
        result = run_import(
            "students",
            rows_of(text, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert not result.committed
        assert [row.line for row in result.bad_rows] == [3, 4]
        assert "email contains a NUL character" in result.rows[1].errors[0]
        assert "full_name contains a NUL character" in result.rows[2].errors[0]
        assert not Student.objects.exists()

    def test_a_nul_in_a_placements_file_is_shown_on_the_page(self, client, facilitator, site_a):
        student = StudentFactory()
        text = PLACEMENTS_HEADER + f"{student.user.email},Site\x00 A,,2030-01-06,2030-02-14,,,,\n"
        client.force_login(facilitator)
        upload = SimpleUploadedFile("p.csv", text.encode(), "text/csv")
        response = client.post(reverse("placements:import"), {"kind": "placements", "file": upload})
        assert response.status_code == 200
        assert "site contains a NUL character" in response.content.decode()

    def test_a_nul_in_the_header_refuses_the_file(self, client, facilitator):
        client.force_login(facilitator)
        upload = SimpleUploadedFile("p.csv", b"email\x00,full_name,program\na,b,c\n", "text/csv")
        response = client.post(reverse("placements:import"), {"kind": "students", "file": upload})
        assert response.status_code == 200
        assert "NUL character" in str(response.context["form"].errors["file"])
        assert not ImportJob.objects.exists()


def test_capacity_rules_in_python_agree_with_their_queries(nursing):
    """Capacity.limits and held_by, which the import uses, answer as capacities_for and
    Placement.objects.holding do."""
    site = SiteFactory()
    unit, other_unit = UnitFactory(site=site), UnitFactory(site=site)
    capacities = [
        CapacityFactory(
            site=site,
            unit=where,
            profession=nursing,
            period_start=start,
            period_end=start + datetime.timedelta(days=60),
        )
        for where in (None, unit)
        for start in (D(2030, 1, 1), D(2030, 6, 1))
    ]
    statuses = [s.value for s in PlacementStatus]
    placements = [
        PlacementFactory(
            site=site,
            unit=where,
            student__program__profession=nursing,
            start_date=start,
            end_date=start + datetime.timedelta(days=20),
            status=statuses[i % len(statuses)],
        )
        for i, (where, start) in enumerate(
            (where, D(2029, 12, 1) + datetime.timedelta(days=30 * k))
            for where in (None, unit, other_unit)
            for k in range(9)
        )
    ]
    for capacity in Capacity.objects.filter(pk__in=[c.pk for c in capacities]):
        held = set(placements_holding(capacity).values_list("pk", flat=True))
        assert held == {p.pk for p in placements if capacity.held_by(p)}
        for p in placements:
            limited = set(
                capacities_for(
                    site_id=p.site_id,
                    unit_id=p.unit_id,
                    profession_id=nursing.pk,
                    start=p.start_date,
                    end=p.end_date,
                ).values_list("pk", flat=True)
            )
            assert (capacity.pk in limited) == capacity.limits(p)
