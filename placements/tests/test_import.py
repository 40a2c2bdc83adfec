"""CSV import of students and placements: preview, confirm, bad rows, re-import
(test_import_xlsx.py reads the same tables from Excel workbooks)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from interviews.models import FollowUp
from ipcop.permissions import sites_facilitated_by
from placements.importers import ImportFileError, parse_file, run_import
from placements.models import Placement, PlacementStatusChange, Student
from placements.tests.factories import (
    CapacityFactory,
    PlacementFactory,
    ProgramFactory,
    StudentFactory,
)
from sites.tests.factories import UnitFactory

pytestmark = pytest.mark.django_db

D = datetime.date


def rows_of(text, kind):
    return parse_file(text.encode(), kind)


def imported_placements(facilitator, unit_a) -> dict:
    """The placements of the good placements file (as CSV here, as .xlsx in
    test_import_xlsx.py), by student email, after checking what its first two rows set."""
    by_email = {p.student.user.email: p for p in Placement.objects.select_related("student__user")}
    first = by_email["s0@example.org"]
    assert (first.status, first.unit, first.contact, first.notes) == (
        "confirmed",
        unit_a,
        facilitator,
        "Bring badge",
    )
    assert by_email["s1@example.org"].model == "traditional"
    return by_email


def snapshot():
    """Everything an import may write, to prove that nothing changed."""
    return (
        list(User.objects.order_by("pk").values()),
        list(Student.objects.order_by("pk").values()),
        list(Placement.objects.order_by("pk").values()),
        PlacementStatusChange.objects.count(),
        FollowUp.objects.count(),
    )


class TestParsing:
    def test_line_numbers_match_the_spreadsheet_even_with_blank_lines(self):
        rows = rows_of("Email,Full name,Program\na@x.org,A,BScN\n\nb@x.org,B,BScN\n", "students")
        assert [(r["line"], r["email"]) for r in rows] == [(2, "a@x.org"), (4, "b@x.org")]

    def test_a_row_with_a_cell_over_several_lines_keeps_later_line_numbers(self):
        text = 'email,full_name,program\na@x.org,"A\nsecond line",BScN\nb@x.org,B,BScN\n'
        rows = rows_of(text, "students")
        assert [(r["line"], r["email"]) for r in rows] == [(2, "a@x.org"), (4, "b@x.org")]

    def test_header_names_are_forgiving_about_case_spaces_and_hyphens(self):
        rows = rows_of("EMAIL, full-name ,Program\na@x.org,A,BScN\n", "students")
        assert rows[0]["full_name"] == "A"

    def test_byte_order_mark_from_excel_is_ignored(self):
        rows = parse_file("\ufeffemail,full_name,program\na@x.org,A,BScN\n".encode(), "students")
        assert rows[0]["email"] == "a@x.org"

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            (b"", "empty"),
            (b"email,full_name,program\n", "no rows"),
            (b"email,full_name\na,b\n", "Missing column: program"),
            (b"email,full_name,program,shoe_size\na,b,c,d\n", "Unknown column: shoe_size"),
            (b"email,full_name,program\na,b,c,d\n", "Line 2 has more cells"),
            ("email,full_name,program\né,b,c\n".encode("latin-1"), "not UTF-8"),
        ],
    )
    def test_unusable_files_are_refused_with_the_reason(self, content, reason):
        with pytest.raises(ImportFileError, match=reason):
            parse_file(content, "students")


class TestStudentImport:
    GOOD = (
        "email,full_name,program,student_number,cohort_year\n"
        "ann@example.org,Ann Able,BScN,1001,2026\n"
        "ben@example.org,Ben Baker,BScN,1002,2026\n"
    )

    def test_preview_changes_nothing_and_confirm_creates(self, facilitator, nursing_program):
        rows = rows_of(self.GOOD, "students")
        before = snapshot()
        preview = run_import(
            "students",
            rows,
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=False,
        )
        assert preview.ok and preview.counts == {"create": 2, "update": 0, "unchanged": 0}
        assert snapshot() == before
        result = run_import(
            "students", rows, user=facilitator, sites=sites_facilitated_by(facilitator), commit=True
        )
        assert result.committed
        ann = Student.objects.get(user__email="ann@example.org")
        assert (ann.program, ann.student_number, ann.cohort_year) == (nursing_program, "1001", 2026)

    def test_reimporting_the_same_file_changes_nothing(self, facilitator, nursing_program):
        rows = rows_of(self.GOOD, "students")
        run_import(
            "students", rows, user=facilitator, sites=sites_facilitated_by(facilitator), commit=True
        )
        before = snapshot()
        again = run_import(
            "students", rows, user=facilitator, sites=sites_facilitated_by(facilitator), commit=True
        )
        assert again.counts == {"create": 0, "update": 0, "unchanged": 2}
        assert snapshot() == before

    def test_a_changed_cohort_is_shown_as_a_change(self, facilitator, site_a, nursing_program):
        run_import(
            "students",
            rows_of(self.GOOD, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        # Placed at the facilitator's site: theirs to change from now on.
        PlacementFactory(student=Student.objects.get(user__email="ben@example.org"), site=site_a)
        changed = self.GOOD.replace("1002,2026", "1002,2027")
        result = run_import(
            "students",
            rows_of(changed, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.counts == {"create": 0, "update": 1, "unchanged": 1}
        assert "cohort 2026 → 2027" in result.rows[1].summary
        assert Student.objects.get(user__email="ben@example.org").cohort_year == 2027

    def test_any_bad_row_changes_nothing_and_each_is_reported(self, facilitator, nursing_program):
        ProgramFactory(name="BScN", institution="Other U", profession=nursing_program.profession)
        text = (
            "email,full_name,program,institution,student_number,cohort_year\n"
            "ok@example.org,Ok,BScN,University of Alberta,1,2026\n"  # line 2: fine
            "x@example.org,X,Dentistry,,,\n"  # 3: unknown program
            "ok@example.org,Ok,BScN,University of Alberta,1,2026\n"  # 4: duplicate of 2
            "y@example.org,Y,BScN,University of Alberta,5,twenty\n"  # 5: bad year
            "z@example.org,Z,BScN,,,\n"  # 6: ambiguous program
            "w@example.org,,BScN,University of Alberta,,\n"  # 7: no name for a new person
            "v@example.org,V,BScN,University of Alberta,1,\n"  # 8: number taken in program
        )
        before = snapshot()
        result = run_import(
            "students",
            rows_of(text, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert not result.committed
        reasons = {row.line: " ".join(row.errors) for row in result.bad_rows}
        assert set(reasons) == {3, 4, 5, 6, 7, 8}
        assert "unknown program “Dentistry”" in reasons[3]
        assert "duplicate of line 2" in reasons[4]
        assert "is not a year" in reasons[5]
        assert "several institutions" in reasons[6]
        assert "full_name is empty" in reasons[7]
        assert "Student number 1 is already used in BScN" in reasons[8]
        assert snapshot() == before


class TestPlacementImport:
    HEADER = "student_email,site,unit,start_date,end_date,model,status,contact_email,notes\n"

    @pytest.fixture
    def students(self, nursing_program):
        return [
            StudentFactory(program=nursing_program, user__email=f"s{i}@example.org")
            for i in range(3)
        ]

    def good_file(self, unit_a, facilitator):
        return self.HEADER + (
            f"s0@example.org,Site A,{unit_a.name},2030-01-06,2030-02-14,ip_mentoring,confirmed,"
            f"{facilitator.email},Bring badge\n"
            "s1@example.org,site a,,2030-01-06,2030-02-14,traditional,,,\n"
            "s2@example.org,Site A,,2030-01-06,2030-02-14,,active,,\n"
        )

    def test_creates_placements_through_the_lifecycle(self, facilitator, students, unit_a):
        result = run_import(
            "placements",
            rows_of(self.good_file(unit_a, facilitator), "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.committed, [r.errors for r in result.rows]
        by_email = imported_placements(facilitator, unit_a)
        assert by_email["s1@example.org"].status == "requested"
        active = by_email["s2@example.org"]
        assert list(active.status_changes.values_list("to_status", "changed_by")) == [
            ("requested", facilitator.pk),
            ("confirmed", facilitator.pk),
            ("active", facilitator.pk),
        ]
        assert FollowUp.objects.filter(placement=active).exists()

    def test_reimporting_the_same_file_changes_nothing(self, facilitator, students, unit_a):
        rows = rows_of(self.good_file(unit_a, facilitator), "placements")
        run_import(
            "placements",
            rows,
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        before = snapshot()
        again = run_import(
            "placements",
            rows,
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert again.counts == {"create": 0, "update": 0, "unchanged": 3}
        assert snapshot() == before

    def test_a_later_status_and_new_dates_update_the_placement(self, facilitator, students, unit_a):
        run_import(
            "placements",
            rows_of(self.good_file(unit_a, facilitator), "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        text = (
            self.HEADER + "s1@example.org,Site A,,2030-01-06,2030-02-21,traditional,confirmed,,\n"
        )
        result = run_import(
            "placements",
            rows_of(text, "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.counts["update"] == 1
        assert (
            "end date" in result.rows[0].summary and "status → confirmed" in result.rows[0].summary
        )
        placement = Placement.objects.get(student__user__email="s1@example.org")
        assert (placement.end_date, placement.status) == (D(2030, 2, 21), "confirmed")

    def test_an_earlier_status_never_moves_a_placement_back(self, facilitator, students, unit_a):
        rows = rows_of(self.good_file(unit_a, facilitator), "placements")
        run_import(
            "placements",
            rows,
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        text = self.HEADER + "s2@example.org,Site A,,2030-01-06,2030-02-14,,requested,,\n"
        result = run_import(
            "placements",
            rows_of(text, "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.rows[0].action == "unchanged"
        assert Placement.objects.get(student__user__email="s2@example.org").status == "active"

    def test_every_bad_row_is_reported_with_its_line_and_reason_and_nothing_changes(
        self, facilitator, students, site_a, site_b, nursing
    ):
        CapacityFactory(
            site=site_a,
            profession=nursing,
            period_start=D(2030, 1, 1),
            period_end=D(2030, 4, 30),
            places=1,
        )
        UnitFactory(site=site_b, name="B unit")
        text = self.HEADER + (
            "s0@example.org,Site A,,2030-01-06,2030-02-14,,confirmed,,\n"  # 2: takes the place
            "s1@example.org,Site A,,2030-01-06,2030-02-14,,confirmed,,\n"  # 3: over capacity
            "s2@example.org,Nowhere,,2030-01-06,2030-02-14,,,,\n"  # 4: unknown site
            "s2@example.org,Site B,,2030-01-06,2030-02-14,,,,\n"  # 5: not their site
            "s2@example.org,Site A,,2030-13-01,2030-02-14,,,,\n"  # 6: bad date
            "s2@example.org,Site A,,2030-03-01,2030-02-14,,,,\n"  # 7: end before start
            "s0@example.org,Site A,,2030-01-06,2030-02-14,,confirmed,,\n"  # 8: duplicate of 2
            "nobody@example.org,Site A,,2030-01-06,2030-02-14,,,,\n"  # 9: unknown student
            "s0@example.org,Site A,,2030-02-01,2030-03-01,,,,\n"  # 10: overlaps line 2
            "s2@example.org,Site A,,2030-06-01,2030-07-01,zoom,,,\n"  # 11: unknown model
            "s2@example.org,Site A,,2030-06-01,2030-07-01,,done,,\n"  # 12: unknown status
            "s2@example.org,Site A,Ward 9,2030-06-01,2030-07-01,,,,\n"  # 13: unknown unit
            "s2@example.org,Site A,,2030-08-01,2030-08-30,,,,\n"  # 14: fine
        )
        before = snapshot()
        result = run_import(
            "placements",
            rows_of(text, "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert not result.committed
        reasons = {row.line: " ".join(row.errors) for row in result.bad_rows}
        assert set(reasons) == set(range(3, 14))
        assert "No place left" in reasons[3] and "offers 1 place" in reasons[3]
        assert "unknown site “Nowhere”" in reasons[4]
        assert "unknown site “Site B”" in reasons[5]
        assert "bad date in start_date" in reasons[6]
        assert "end_date is before start_date" in reasons[7]
        assert "duplicate of line 2" in reasons[8]
        assert "unknown student" in reasons[9]
        assert "dates overlap" in reasons[10]
        assert "unknown model" in reasons[11]
        assert "unknown status" in reasons[12]
        assert "unknown unit" in reasons[13]
        assert snapshot() == before

    def test_program_column_picks_one_of_several_enrolments(
        self, facilitator, students, nursing, site_a
    ):
        person = students[0].user
        other_program = ProgramFactory(name="MN", profession=nursing)
        StudentFactory(user=person, program=other_program)
        text = "student_email,program,site,start_date,end_date\n"
        ambiguous = text + f"{person.email},,Site A,2030-01-06,2030-02-14\n"
        result = run_import(
            "placements",
            rows_of(ambiguous, "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=False,
        )
        assert "several programs" in result.rows[0].errors[0]
        chosen = text + f"{person.email},MN,Site A,2030-01-06,2030-02-14\n"
        result = run_import(
            "placements",
            rows_of(chosen, "placements"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )
        assert result.committed
        assert Placement.objects.get().student.program == other_program


class TestImportPages:
    def upload(self, client, kind, text, name="file.csv"):
        return client.post(
            reverse("placements:import"),
            {"kind": kind, "file": SimpleUploadedFile(name, text.encode(), "text/csv")},
        )

    def test_upload_preview_then_confirm(self, client, facilitator, nursing_program):
        client.force_login(facilitator)
        assert client.get(reverse("placements:import")).status_code == 200
        response = self.upload(client, "students", TestStudentImport.GOOD)
        assert response.status_code == 200
        assert "Preview of file.csv" in response.content.decode()
        assert not Student.objects.exists()
        token = response.context["token"]
        response = client.post(reverse("placements:import_confirm"), {"token": token}, follow=True)
        assert "2 created, 0 changed, 0 unchanged" in response.content.decode()
        assert Student.objects.count() == 2
        # The preview is used up: confirming twice does nothing more.
        response = client.post(reverse("placements:import_confirm"), {"token": token}, follow=True)
        assert "upload the file again" in response.content.decode()

    def test_confirming_can_invite_the_new_people(
        self, client, facilitator, nursing_program, monkeypatch, django_capture_on_commit_callbacks
    ):
        """Imported people have no password: the import invites them (issue 16, item 7)."""
        from accounts import tasks
        from accounts.models import Invitation

        sent = []
        monkeypatch.setattr(tasks.send_invitation, "apply_async", lambda **kw: sent.append(kw))
        client.force_login(facilitator)
        response = self.upload(client, "students", TestStudentImport.GOOD)
        assert 'name="invite"' in response.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("placements:import_confirm"),
                {"token": response.context["token"], "invite": "1"},
                follow=True,
            )
        assert "Invitations sent to 2 new people." in response.content.decode()
        invited = set(Invitation.objects.values_list("person__email", flat=True))
        assert invited == set(Student.objects.values_list("user__email", flat=True))
        assert len(sent) == 2

    def test_bad_file_shows_the_rows_and_cannot_be_confirmed(
        self, client, facilitator, nursing_program
    ):
        client.force_login(facilitator)
        response = self.upload(
            client, "students", "email,full_name,program\na@x.org,A,BScN\nb@x.org,B,Nope\n"
        )
        content = response.content.decode()
        assert "cannot be imported" in content and "unknown program" in content
        assert "import_confirm" not in content and 'name="token"' not in content
        confirm = client.post(
            reverse("placements:import_confirm"), {"token": response.context["token"]}, follow=True
        )
        assert "upload the file again" in confirm.content.decode()
        assert not Student.objects.exists()

    def test_unreadable_file_error_is_shown_next_to_the_field(self, client, facilitator):
        client.force_login(facilitator)
        response = self.upload(client, "placements", "name,age\nx,1\n")
        assert "Unknown columns: name, age" in str(response.context["form"].errors["file"])

    def test_wrong_token_is_refused(self, client, facilitator, nursing_program):
        client.force_login(facilitator)
        self.upload(client, "students", TestStudentImport.GOOD)
        client.post(reverse("placements:import_confirm"), {"token": "forged"})
        assert not Student.objects.exists()

    @pytest.mark.parametrize("who", ["preceptor", "student"])
    def test_other_roles_cannot_import(self, client, who, preceptor, student):
        client.force_login(preceptor if who == "preceptor" else student.user)
        assert client.get(reverse("placements:import")).status_code == 403
        assert client.post(reverse("placements:import_confirm")).status_code == 403


class TestImportScope:
    """The review's finding: a facilitator's students import changed, and enrolled,
    people outside their sites."""

    HEADER = "email,full_name,program,student_number,cohort_year\n"

    def run(self, facilitator, text):
        return run_import(
            "students",
            rows_of(self.HEADER + text, "students"),
            user=facilitator,
            sites=sites_facilitated_by(facilitator),
            commit=True,
        )

    def test_a_student_never_placed_at_their_sites_is_a_row_error(
        self, facilitator, site_a, site_b
    ):
        student = StudentFactory(student_number="S-1", cohort_year=2024)
        PlacementFactory(student=student, site=site_b)
        result = self.run(
            facilitator,
            f"{student.user.email},X,{student.program.name},S-999,2030\n",
        )
        assert not result.committed
        assert "no placement at your sites" in result.rows[0].errors[0]
        student.refresh_from_db()
        assert (student.student_number, student.cohort_year) == ("S-1", 2024)

    @pytest.mark.parametrize("role", ["admin", "facilitator"])
    def test_an_admin_or_another_facilitator_is_not_enrolled(self, facilitator, site_a, role):
        other = UserFactory(**{role: True})
        program = ProgramFactory()
        result = self.run(facilitator, f"{other.email},X,{program.name},,\n")
        assert not result.committed
        assert "no placement at your sites" in result.rows[0].errors[0]
        assert not Student.objects.filter(user=other).exists()

    def test_a_student_placed_at_their_site_and_a_new_person_are_imported(
        self, facilitator, site_a
    ):
        student = StudentFactory(student_number="S-1")
        PlacementFactory(student=student, site=site_a)
        result = self.run(
            facilitator,
            f"{student.user.email},X,{student.program.name},S-2,\n"
            f"new.person@example.org,New Person,{student.program.name},,\n",
        )
        assert result.committed, [row.errors for row in result.rows]
        student.refresh_from_db()
        assert student.student_number == "S-2"

    def test_another_spelling_of_an_address_is_the_same_person(self, facilitator, site_a):
        student = StudentFactory(user__email="bill@example.org")
        PlacementFactory(student=student, site=site_b_placement_site(facilitator))
        result = self.run(facilitator, f"BILL@Example.org,X,{student.program.name},S-3,\n")
        assert not result.committed  # found as the same (outside) person, not a new one

    def test_a_confusable_address_is_refused(self, facilitator, site_a):
        program = ProgramFactory()
        result = self.run(facilitator, f"b\u0131ll@example.org,Bill,{program.name},,\n")
        assert not result.committed
        assert result.rows[0].errors

    def test_a_line_break_in_a_name_is_cleaned(self, facilitator, site_a):
        program = ProgramFactory()
        result = self.run(facilitator, f'new@example.org,"Ann\r\nBcc: x@y",{program.name},,\n')
        assert result.committed, [row.errors for row in result.rows]
        user = Student.objects.get(user__email="new@example.org").user
        assert "\n" not in user.full_name and "\r" not in user.full_name


def site_b_placement_site(facilitator):
    """A site `facilitator` does not facilitate."""
    from sites.tests.factories import SiteFactory

    return SiteFactory()


class TestImportMatchesUnambiguously:
    HEADER = "student_email,site,unit,start_date,end_date\n"

    def test_a_unit_named_twice_ignoring_case_needs_its_exact_name(self, facilitator, site_a):
        student = StudentFactory()
        PlacementFactory(student=student, site=site_a)
        UnitFactory(site=site_a, name="ICU")
        UnitFactory(site=site_a, name="icu")
        rows = lambda unit: rows_of(  # noqa: E731
            f"{self.HEADER}{student.user.email},{site_a.name},{unit},2027-03-01,2027-04-09\n",
            "placements",
        )
        sites = sites_facilitated_by(facilitator)
        result = run_import("placements", rows("Icu"), user=facilitator, sites=sites, commit=False)
        assert "several units" in result.rows[0].errors[0]
        result = run_import("placements", rows("icu"), user=facilitator, sites=sites, commit=True)
        assert result.committed, [row.errors for row in result.rows]
        assert Placement.objects.get(start_date="2027-03-01").unit.name == "icu"
