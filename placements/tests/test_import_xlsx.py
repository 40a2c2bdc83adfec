"""Excel (.xlsx) import: the first sheet is read into the same rows as the CSV of the same
table, so every CSV rule (columns, line numbers, preview, nothing changes on a bad row)
holds for workbooks too."""

import csv
import datetime
import io
import re
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ipcop.permissions import sites_facilitated_by
from placements import importers
from placements.importers import ImportFileError, parse_file, run_import
from placements.models import Student
from placements.tests.factories import StudentFactory
from placements.tests.test_import import imported_placements, snapshot

pytestmark = pytest.mark.django_db

D = datetime.date
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_of(table, *, first_sheet=None):
    """A workbook whose first sheet holds `table` from A1 (an empty list leaves its row
    out of the file, as Excel does with an empty row); `first_sheet` adds a sheet before."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if first_sheet is not None:
        sheet.title = "Notes"
        for row in first_sheet:
            sheet.append(row)
        sheet = workbook.create_sheet("Data")
        workbook.move_sheet(sheet, offset=-1)
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_of(table):
    out = io.StringIO()
    csv.writer(out).writerows(
        [
            "" if value is None else value.isoformat() if isinstance(value, D) else value
            for value in row
        ]
        for row in table
    )
    return out.getvalue().encode()


def outcome(result):
    return [(row.line, row.action, row.summary, row.errors) for row in result.rows]


STUDENTS = [
    ["Email", "Full name", "program", "student_number", "cohort_year"],
    ["ann@example.org", "Ann Able", "BScN", 1001, 2026],
    ["ben@example.org", " Ben Baker ", "BScN", "1002", 2026],
]


@pytest.fixture
def students(nursing_program):
    return [
        StudentFactory(program=nursing_program, user__email=f"s{i}@example.org") for i in range(3)
    ]


def placements_table(unit_a, facilitator):
    return [
        ["student_email", "site", "unit", "start_date", "end_date", "model", "status"]
        + ["contact_email", "notes"],
        ["s0@example.org", "Site A", unit_a.name, D(2030, 1, 6), D(2030, 2, 14)]
        + ["ip_mentoring", "confirmed", facilitator.email, "Bring badge"],
        ["s1@example.org", "site a", None, D(2030, 1, 6), "2030-02-14", "traditional"],
        ["s2@example.org", "Site A", "", "2030-01-06", D(2030, 2, 14), None, "active"],
    ]


class TestReadingTheSheet:
    def test_rows_are_those_of_the_same_table_saved_as_csv(self, unit_a, facilitator):
        table = placements_table(unit_a, facilitator)
        rows = parse_file(xlsx_of(table), "placements")
        assert rows == parse_file(csv_of(table), "placements")
        assert rows[0]["start_date"] == "2030-01-06" and rows[1]["end_date"] == "2030-02-14"
        assert parse_file(xlsx_of(STUDENTS), "students") == parse_file(csv_of(STUDENTS), "students")

    def test_date_and_number_cells_read_as_the_text_they_show(self):
        table = [
            ["email", "full_name", "program", "student_number", "cohort_year"],
            ["a@x.org", "A", "BScN", 1234, 2026.0],
            ["b@x.org", datetime.datetime(2030, 1, 6, 0, 0), "BScN", "0042", 2026],
        ]
        rows = parse_file(xlsx_of(table), "students")
        assert (rows[0]["student_number"], rows[0]["cohort_year"]) == ("1234", "2026")
        assert (rows[1]["full_name"], rows[1]["student_number"]) == ("2030-01-06", "0042")

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            (None, ""),
            (1234, "1234"),
            (1234.0, "1234"),
            (12.5, "12.5"),
            (datetime.datetime(2030, 1, 6, 9, 30), "2030-01-06"),
            (D(2030, 1, 6), "2030-01-06"),
            ("  x  ", "x"),
        ],
    )
    def test_cell_values_become_the_text_a_csv_would_hold(self, value, text):
        assert importers._cell_text(value) == text

    def test_blank_rows_are_counted_so_line_numbers_match_the_sheet(self):
        table = [
            ["email", "full_name", "program"],
            ["a@x.org", "A", "BScN"],
            [],  # row 3: not in the file at all
            ["  ", None, ""],  # row 4: cells with nothing in them
            ["b@x.org", "B", "BScN"],
        ]
        rows = parse_file(xlsx_of(table), "students")
        assert [(r["line"], r["email"]) for r in rows] == [(2, "a@x.org"), (5, "b@x.org")]

    def test_only_the_first_sheet_is_read(self):
        rows = parse_file(
            xlsx_of(STUDENTS, first_sheet=[["this", "is", "not", "read"]]), "students"
        )
        assert [r["email"] for r in rows] == ["ann@example.org", "ben@example.org"]

    def test_the_format_is_told_by_the_content_not_the_name(
        self, client, facilitator, nursing_program
    ):
        client.force_login(facilitator)
        upload = SimpleUploadedFile("students.csv", xlsx_of(STUDENTS), "text/csv")
        response = client.post(reverse("placements:import"), {"kind": "students", "file": upload})
        assert response.context["result"].counts["create"] == 2

    @pytest.mark.parametrize(
        ("table", "reason"),
        [
            ([], "empty: the first row must name the columns"),
            ([STUDENTS[0]], "header but no rows"),
            ([["email", "full_name"], ["a", "b"]], "Missing column: program"),
            ([["email", "full_name", "program", "shoe size"]], "Unknown column: shoe_size"),
            ([["email", "full_name", "program"], ["a", "b", "c", "d"]], "Row 2 has more cells"),
        ],
    )
    def test_unusable_sheets_are_refused_with_the_reason(self, table, reason):
        with pytest.raises(ImportFileError, match=reason):
            parse_file(xlsx_of(table), "students")

    def test_reading_stops_after_one_row_more_than_allowed(self, monkeypatch):
        monkeypatch.setattr(importers, "MAX_ROWS", 3)
        read = []
        records = importers._xlsx_records

        def counted(content, *limits):
            for record in records(content, *limits):
                read.append(record[0])
                yield record

        monkeypatch.setattr(importers, "_xlsx_records", counted)
        table = [STUDENTS[0]] + [[f"s{i}@x.org", "S", "BScN"] for i in range(10)]
        with pytest.raises(ImportFileError, match="more than 3 rows"):
            parse_file(xlsx_of(table), "students")
        assert read == [1, 2, 3, 4, 5]

    def test_empty_rows_count_towards_a_limit_on_the_rows_read(self, monkeypatch):
        monkeypatch.setattr(importers, "MAX_ROWS", 3)  # so at most row 2 * 3 + 1 is read
        table = [STUDENTS[0], STUDENTS[1]] + [[]] * 4 + [STUDENTS[2]]
        assert [r["line"] for r in parse_file(xlsx_of(table), "students")] == [2, 7]
        with pytest.raises(ImportFileError, match="goes on past row 7"):
            parse_file(xlsx_of([*table[:-1], [], STUDENTS[2]]), "students")

    def test_a_workbook_too_large_once_unpacked_is_refused(self, monkeypatch):
        monkeypatch.setattr(importers, "MAX_XLSX_UNPACKED_BYTES", 1000)
        with pytest.raises(ImportFileError, match="too large once unpacked"):
            parse_file(xlsx_of(STUDENTS), "students")

    def test_a_stray_cell_far_to_the_right_does_not_widen_every_row(self):
        workbook = openpyxl.load_workbook(io.BytesIO(xlsx_of(STUDENTS)))
        workbook.active["XFD2"] = "far away"
        out = io.BytesIO()
        workbook.save(out)
        rows = parse_file(out.getvalue(), "students")
        assert [r["email"] for r in rows] == ["ann@example.org", "ben@example.org"]


def zip_of(files):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return out.getvalue()


UNREADABLE = [
    pytest.param(lambda: xlsx_of(STUDENTS)[:2000], "cannot be read", id="truncated-xlsx"),
    pytest.param(lambda: zip_of({"notes.txt": "not a workbook"}), "cannot be read", id="zip"),
    pytest.param(lambda: zip_of({}), "cannot be read", id="empty-zip"),
    pytest.param(
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000),
        "old Excel workbook \\(.xls\\) or a password-protected one",
        id="xls-or-encrypted",
    ),
]


class TestUnreadableWorkbooks:
    @pytest.mark.parametrize(("content", "reason"), UNREADABLE)
    def test_parsing_gives_the_file_level_reason(self, content, reason):
        with pytest.raises(ImportFileError, match=reason):
            parse_file(content(), "students")

    @pytest.mark.parametrize(("content", "reason"), UNREADABLE)
    def test_the_page_shows_the_reason_and_saves_nothing(
        self, client, facilitator, nursing_program, content, reason
    ):
        client.force_login(facilitator)
        before = snapshot()
        upload = SimpleUploadedFile("students.xlsx", content(), XLSX_TYPE)
        response = client.post(reverse("placements:import"), {"kind": "students", "file": upload})
        assert response.status_code == 200
        assert response.templates[0].name == "placements/import_upload.html"
        errors = " ".join(response.context["form"].errors["file"])
        assert re.search(reason, errors)
        assert snapshot() == before


class TestImportingAWorkbook:
    def test_students_preview_then_confirm_as_the_csv_does(self, facilitator, nursing_program):
        before = snapshot()
        from_csv = run_import(
            "students",
            parse_file(csv_of(STUDENTS), "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=False,
        )
        rows = parse_file(xlsx_of(STUDENTS), "students")
        preview = run_import(
            "students",
            rows,
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=False,
        )
        assert outcome(preview) == outcome(from_csv)
        assert preview.counts == {"create": 2, "update": 0, "unchanged": 0}
        assert snapshot() == before
        result = run_import(
            "students", rows, user=facilitator, sites=sites_facilitated_by(facilitator), commit=True
        )
        assert result.committed and outcome(result) == outcome(preview)
        ann = Student.objects.get(user__email="ann@example.org")
        assert (ann.student_number, ann.cohort_year) == ("1001", 2026)
        assert Student.objects.get(user__email="ben@example.org").user.full_name == "Ben Baker"
        # The same table as CSV now finds everything in place.
        again = run_import(
            "students",
            parse_file(csv_of(STUDENTS), "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert again.counts == {"create": 0, "update": 0, "unchanged": 2}

    def test_placements_preview_then_confirm_as_the_csv_does(self, facilitator, students, unit_a):
        table = placements_table(unit_a, facilitator)
        before = snapshot()
        from_csv = run_import(
            "placements",
            parse_file(csv_of(table), "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=False,
        )
        rows = parse_file(xlsx_of(table), "placements")
        preview = run_import(
            "placements",
            rows,
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=False,
        )
        assert outcome(preview) == outcome(from_csv) and preview.ok
        assert snapshot() == before
        result = run_import(
            "placements",
            rows,
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.committed and outcome(result) == outcome(preview)
        by_email = imported_placements(facilitator, unit_a)
        first = by_email["s0@example.org"]
        assert (first.start_date, first.end_date) == (D(2030, 1, 6), D(2030, 2, 14))
        assert by_email["s2@example.org"].status == "active"

    def test_a_bad_row_changes_nothing_and_is_reported_at_its_sheet_row(
        self, facilitator, nursing_program
    ):
        table = [
            STUDENTS[0],
            STUDENTS[1],
            [],  # row 3, blank
            ["x@example.org", "X", "Dentistry"],  # row 4: unknown program
            ["y@example.org", "Y", "BScN", None, "twenty"],  # row 5: bad year
        ]
        before = snapshot()
        result = run_import(
            "students",
            parse_file(xlsx_of(table), "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert not result.committed
        reasons = {row.line: " ".join(row.errors) for row in result.bad_rows}
        assert set(reasons) == {4, 5}
        assert "unknown program “Dentistry”" in reasons[4]
        assert "is not a year" in reasons[5]
        assert snapshot() == before

    def test_upload_preview_then_confirm_on_the_pages(self, client, facilitator, nursing_program):
        client.force_login(facilitator)
        page = client.get(reverse("placements:import")).content.decode()
        assert 'accept=".csv,.xlsx,' in page and "CSV or Excel (.xlsx) file" in page
        upload = SimpleUploadedFile("students.xlsx", xlsx_of(STUDENTS), XLSX_TYPE)
        response = client.post(reverse("placements:import"), {"kind": "students", "file": upload})
        assert response.status_code == 200
        assert "Preview of students.xlsx" in response.content.decode()
        assert not Student.objects.exists()
        response = client.post(
            reverse("placements:import_confirm"), {"token": response.context["token"]}, follow=True
        )
        assert "2 created, 0 changed, 0 unchanged" in response.content.decode()
        assert Student.objects.count() == 2
