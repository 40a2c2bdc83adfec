"""An import that helps: every error of every row, templates to start from (which import
as they are), the separator found from the first line, and no button when a file would
change nothing."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from ipcop.permissions import sites_facilitated_by
from placements.importers import EXAMPLE_EMAIL, ImportFileError, parse_file, run_import
from placements.models import ImportJob, Placement, Student
from placements.tests.factories import StudentFactory
from sites.models import Site
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

GOOD_STUDENTS = (
    "email,full_name,program,student_number,cohort_year\n"
    "ann@example.org,Ann Able,BScN,1001,2026\n"
    "ben@example.org,Ben Baker,BScN,1002,2026\n"
)


def judge(kind, text, facilitator, *, commit=False):
    return run_import(
        kind,
        parse_file(text.encode(), kind),
        user=facilitator,
        sites=sites_facilitated_by(facilitator),
        commit=commit,
    )


def upload(client, kind, content: bytes, name="file.csv"):
    return client.post(
        reverse("placements:import"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv")},
    )


class TestEveryErrorOfEveryRow:
    def test_a_student_row_lists_each_of_its_mistakes(self, facilitator, nursing_program):
        text = (
            "email,full_name,program,cohort_year\n"
            ",Ann,Dentistry,twenty\n"  # no email, unknown program, bad year
            "ben@example.org,,BScN,1800\n"  # no name for a new person, bad year
        )
        result = judge("students", text, facilitator)
        errors = {row.line: row.errors for row in result.rows}
        assert errors[2] == [
            "email is empty",
            "unknown program “Dentistry”",
            "cohort_year “twenty” is not a year",
        ]
        assert errors[3] == ["cohort_year “1800” is not a year", "full_name is empty"]

    def test_a_placement_row_lists_each_of_its_mistakes(self, facilitator, site_a):
        text = (
            "student_email,site,start_date,end_date,model,status,contact_email\n"
            "nobody@example.org,Nowhere,2030-13-01,2030-01-01,boat,done,who@example.org\n"
            "nobody@example.org,Site A,2030-02-01,2030-01-01,,,\n"
        )
        result = judge("placements", text, facilitator)
        errors = {row.line: row.errors for row in result.rows}
        assert errors[2] == [
            "unknown student “nobody@example.org”",
            "unknown site “Nowhere”",
            "bad date in start_date: “2030-13-01” (use YYYY-MM-DD)",
            "unknown model “boat” (ip_mentoring or traditional)",
            "unknown status “done” (requested, confirmed or active)",
            "unknown contact “who@example.org”",
        ]
        assert errors[3] == [
            "unknown student “nobody@example.org”",
            "end_date is before start_date",
        ]

    def test_the_preview_page_shows_every_error(self, client, facilitator, nursing_program):
        client.force_login(facilitator)
        response = upload(
            client, "students", b"email,full_name,program,cohort_year\n,Ann,Dentistry,twenty\n"
        )
        page = response.content.decode()
        for message in ("email is empty", "unknown program", "is not a year"):
            assert message in page


class TestTemplates:
    @pytest.mark.parametrize("kind", ["students", "placements"])
    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_each_template_downloads_and_reads_back(
        self, client, facilitator, nursing_program, site_a, kind, file_format
    ):
        client.force_login(facilitator)
        response = client.get(reverse("placements:import_template", args=[kind, file_format]))
        assert response.status_code == 200
        assert (
            response["Content-Disposition"]
            == f'attachment; filename="ipcop-{kind}-template.{file_format}"'
        )
        (row,) = parse_file(response.content, kind)
        assert row["line"] == 2
        assert row["program"] == "BScN"
        if kind == "placements":
            assert (row["student_email"], row["site"]) == (EXAMPLE_EMAIL, "Site A")

    @pytest.mark.parametrize("file_format", ["csv", "xlsx"])
    def test_the_templates_import_cleanly_one_after_the_other(
        self, client, facilitator, nursing_program, site_a, file_format
    ):
        """The students template enrols its example person; the placements template,
        imported next, places them at the person's site."""
        client.force_login(facilitator)
        for kind, model in (("students", Student), ("placements", Placement)):
            url = reverse("placements:import_template", args=[kind, file_format])
            content = client.get(url).content
            response = upload(client, kind, content, name=f"template.{file_format}")
            result = response.context["result"]
            assert result.ok, [row.errors for row in result.rows]
            assert result.counts == {"create": 1, "update": 0, "unchanged": 0}
            client.post(reverse("placements:import_confirm"), {"token": response.context["token"]})
            assert model.objects.count() == 1
        placement = Placement.objects.select_related("student__user", "site").get()
        assert (placement.student.user.email, placement.site) == (EXAMPLE_EMAIL, site_a)
        assert (placement.end_date - placement.start_date).days == 27

    def test_the_workbook_explains_its_columns_on_a_second_sheet(
        self, client, facilitator, nursing_program
    ):
        client.force_login(facilitator)
        content = client.get(
            reverse("placements:import_template", args=["students", "xlsx"])
        ).content
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
        assert workbook.sheetnames == ["Students", "Columns explained"]
        help_rows = list(workbook["Columns explained"].iter_rows(values_only=True))
        assert help_rows[0] == ("column", "required", "meaning")
        assert help_rows[1][:2] == ("email", "yes")

    def test_the_import_page_links_every_template(self, client, facilitator):
        client.force_login(facilitator)
        page = client.get(reverse("placements:import")).content.decode()
        for kind in ("students", "placements"):
            for file_format in ("csv", "xlsx"):
                assert reverse("placements:import_template", args=[kind, file_format]) in page

    @pytest.mark.parametrize(("kind", "file_format"), [("people", "csv"), ("students", "xls")])
    def test_unknown_templates_answer_404(self, client, facilitator, kind, file_format):
        client.force_login(facilitator)
        url = reverse("placements:import_template", args=[kind, file_format])
        assert client.get(url).status_code == 404

    def test_template_queries_do_not_depend_on_the_sites(
        self, client, facilitator, nursing_program, django_assert_max_num_queries
    ):
        client.force_login(facilitator)
        url = reverse("placements:import_template", args=["placements", "xlsx"])
        for count in (10, 200):
            SiteFactory.create_batch(count - Site.objects.count(), facilitators=[facilitator])
            with django_assert_max_num_queries(7):
                assert client.get(url).status_code == 200


class TestSeparators:
    @pytest.mark.parametrize("separator", [",", ";", "\t"])
    def test_the_separator_is_found_from_the_first_line(self, separator):
        text = (
            f"email{separator}full_name{separator}program{separator}cohort_year\n"
            f'a@x.org{separator}"Able, Ann"{separator}BScN{separator}2026\n'
        )
        (row,) = parse_file(text.encode(), "students")
        assert (row["email"], row["full_name"], row["program"], row["cohort_year"]) == (
            "a@x.org",
            "Able, Ann",
            "BScN",
            "2026",
        )

    def test_a_semicolon_file_with_commas_in_its_cells(self):
        text = "student_email;site;start_date;end_date;notes\na@x.org;Site A;2030-01-06;2030-02-14;Bring badge, lunch\n"
        (row,) = parse_file(text.encode(), "placements")
        assert row["notes"] == "Bring badge, lunch"

    @pytest.mark.parametrize(
        "content",
        [b"Lorem ipsum dolor sit amet\nconsectetur adipiscing\n", b"email|full_name|program\n"],
    )
    def test_a_file_that_is_no_table_gets_a_clear_message(self, content):
        with pytest.raises(ImportFileError, match="no column names separated by commas"):
            parse_file(content, "students")

    def test_the_page_explains_a_file_that_is_no_table(self, client, facilitator):
        client.force_login(facilitator)
        response = upload(client, "students", b"\x00garbage without any structure\n")
        errors = " ".join(response.context["form"].errors["file"])
        assert "does not name the columns" in errors
        assert not ImportJob.objects.exists()


class TestNothingToImport:
    def test_no_import_button_when_no_row_would_change(self, client, facilitator, nursing_program):
        client.force_login(facilitator)
        first = upload(client, "students", GOOD_STUDENTS.encode())
        client.post(reverse("placements:import_confirm"), {"token": first.context["token"]})
        assert Student.objects.count() == 2
        again = upload(client, "students", GOOD_STUDENTS.encode())
        page = again.content.decode()
        assert again.context["result"].counts == {"create": 0, "update": 0, "unchanged": 2}
        assert "Nothing to import" in page
        assert "Import 0 rows" not in page
        assert reverse("placements:import_confirm") not in page
        job = ImportJob.objects.latest("pk")
        page = client.get(reverse("placements:import_job", args=[job.pk])).content.decode()
        assert "Nothing to import" in page and "Import 0 rows" not in page

    def test_the_button_names_the_rows_that_change(self, client, facilitator, nursing_program):
        StudentFactory(program=nursing_program, user__email="ann@example.org", student_number="1001",
                       cohort_year=2026)  # fmt: skip
        client.force_login(facilitator)
        page = upload(client, "students", GOOD_STUDENTS.encode()).content.decode()
        assert ">Import 1 row</button>" in page
