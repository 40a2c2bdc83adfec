"""The program coordinator (issue 19): what they see (their programs' students, placed or
not, and those students' placements at any site), what they never see (another program's
students, sessions, follow-ups, reflections) or change (a site's placements), and their
pages: the students list, the placements list read only, their home panel and the
student import of their programs."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.tests.factories import UserFactory
from interviews.tests.factories import FollowUpFactory
from ipcop import permissions
from mentoring.tests.factories import MentoringSessionFactory
from placements import importers, panels, tasks
from placements.models import ImportJob, PlacementStatus, Program, Student
from placements.tests.factories import PlacementFactory, ProgramFactory, StudentFactory
from sites.tests.factories import SiteFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()
ROWS = [10, 200]


@pytest.fixture
def other_program(nursing):
    """Another institution's program, with a coordinator of its own."""
    program = ProgramFactory(name="BN", institution="University of Calgary", profession=nursing)
    program.coordinators.add(UserFactory(coordinator=True, full_name="Otto Other"))
    return program


@pytest.fixture
def other_student(other_program):
    return StudentFactory(program=other_program, user__full_name="Olga Otherprogram")


def _students(program, n: int, prefix: str = "Bulk") -> list:
    return [StudentFactory(program=program, user__full_name=f"{prefix} {i:03d}") for i in range(n)]


# --- Access ------------------------------------------------------------------------------


class TestAccess:
    def test_programs_coordinated_by_each_role(
        self, coordinator, nursing_program, other_program, facilitator, admin_user
    ):
        assert list(permissions.programs_coordinated_by(coordinator)) == [nursing_program]
        assert not permissions.programs_coordinated_by(facilitator).exists()
        assert set(permissions.programs_coordinated_by(admin_user)) == set(Program.objects.all())

    def test_sees_their_programs_students_placed_or_not_and_no_others(
        self, coordinator, student, other_student, nursing_program
    ):
        unplaced = StudentFactory(program=nursing_program)
        visible = set(permissions.students_visible_to(coordinator))
        assert visible == {student, unplaced}
        assert other_student not in visible

    def test_sees_their_students_placements_at_any_site_and_manages_none(
        self, coordinator, student, placement, other_student, site_b
    ):
        elsewhere = PlacementFactory(student=student, site=site_b, cancelled=True)
        other = PlacementFactory(student=other_student, site=site_b)
        visible = set(permissions.placements_visible_to(coordinator))
        assert visible == {placement, elsewhere}
        assert other not in visible
        assert not permissions.placements_manageable_by(coordinator).exists()

    def test_sees_every_active_site_and_the_inactive_ones_their_students_are_at(
        self, coordinator, student, site_a
    ):
        closed_with_student = SiteFactory(is_active=False)
        PlacementFactory(student=student, site=closed_with_student, completed=True)
        closed = SiteFactory(is_active=False)
        visible = set(permissions.sites_visible_to(coordinator))
        assert {site_a, closed_with_student} <= visible
        assert closed not in visible
        assert not permissions.sites_facilitated_by(coordinator).exists()

    def test_their_students_sessions_and_follow_ups_stay_the_sites(self, coordinator, placement):
        session = MentoringSessionFactory(placement=placement, with_attendance=True)
        FollowUpFactory(placement=placement)
        assert not permissions.sessions_visible_to(coordinator).exists()
        assert not permissions.followups_visible_to(coordinator).exists()
        assert not permissions.session_reflections_readable_by(coordinator, session)

    def test_the_program_link_without_the_role_opens_nothing(self, nursing_program, student):
        former = UserFactory(coordinator=False)
        nursing_program.coordinators.add(former)
        assert not permissions.students_visible_to(former).filter(pk=student.pk).exists()
        assert not permissions.programs_coordinated_by(former).exists()
        assert permissions.import_kinds_for(former) == ()

    def test_learning_record_opens_without_notes_or_links_to_sessions(
        self, client, coordinator, placement, student
    ):
        session = MentoringSessionFactory(
            placement=placement, with_attendance=True, notes="Private notes of the team"
        )
        client.force_login(coordinator)
        response = client.get(reverse("mentoring:learning_record", args=[student.pk]))
        content = response.content.decode()
        assert response.status_code == 200
        assert "Private notes of the team" not in content
        assert reverse("mentoring:session_detail", args=[session.pk]) not in content
        assert client.get(reverse("mentoring:session_detail", args=[session.pk])).status_code == 404

    def test_another_programs_student_and_placement_answer_404(
        self, client, coordinator, other_student, site_b
    ):
        other = PlacementFactory(student=other_student, site=site_b)
        client.force_login(coordinator)
        assert client.get(reverse("placements:detail", args=[other.pk])).status_code == 404
        url = reverse("mentoring:learning_record", args=[other_student.pk])
        assert client.get(url).status_code == 404


# --- The students list ---------------------------------------------------------------------


class TestStudentList:
    url = reverse("placements:students")

    def test_lists_their_programs_students_linked_to_their_placements(
        self, client, coordinator, student, placement, other_student
    ):
        client.force_login(coordinator)
        response = client.get(self.url)
        content = response.content.decode()
        assert response.status_code == 200
        assert [row["pk"] for row in response.context["page"]] == [student.pk]
        assert "Sam Student" in content and "Olga Otherprogram" not in content
        assert "1 placement" in content
        placements_link = (
            f"{reverse('placements:list')}?q={student.user.email.replace('@', '%40')}"
            f"&amp;program={student.program_id}"
        )
        assert placements_link in content
        assert reverse("mentoring:learning_record", args=[student.pk]) in content
        # The link opens that student's placements, and only theirs.
        response = client.get(
            reverse("placements:list"),
            {"q": student.user.email, "program": student.program_id},
        )
        assert [row["pk"] for row in response.context["page"]] == [placement.pk]

    def test_search_and_program_filter(self, client, coordinator, nursing_program, nursing):
        second = ProgramFactory(name="MN", institution="University of Alberta", profession=nursing)
        second.coordinators.add(coordinator)
        ana = StudentFactory(program=nursing_program, user__full_name="Ana Alvarez")
        ben = StudentFactory(program=second, user__full_name="Ben Brown", student_number="MN-0042")
        client.force_login(coordinator)

        def names(**params):
            response = client.get(self.url, params)
            assert response.status_code == 200
            return [row["name"] for row in response.context["page"]]

        assert names() == ["Ana Alvarez", "Ben Brown"]
        assert names(q="alv") == ["Ana Alvarez"]
        assert names(q=ben.user.email) == ["Ben Brown"]
        assert names(q="MN-0042") == ["Ben Brown"]
        assert names(program=second.pk) == ["Ben Brown"]
        assert names(program=nursing_program.pk, q="Ben") == []
        assert ana.pk  # listed above by name

    def test_a_program_not_theirs_is_reported_and_ignored(
        self, client, coordinator, student, other_program, other_student
    ):
        client.force_login(coordinator)
        response = client.get(self.url, {"program": other_program.pk})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()
        assert [row["pk"] for row in response.context["page"]] == [student.pk]

    def test_pages_follow_by_keyset(self, client, coordinator, nursing_program):
        _students(nursing_program, 30)
        client.force_login(coordinator)
        first = client.get(self.url).context["page"]
        assert len(first) == 25 and first.has_next and first.count == 30
        second = client.get(f"{self.url}?{first.next_query}").context["page"]
        assert [row["name"] for row in second] == [f"Bulk {i:03d}" for i in range(25, 30)]
        assert not second.has_next

    @pytest.mark.parametrize("role", ["facilitator", "preceptor", "student"])
    def test_other_roles_are_refused(self, client, role, facilitator, preceptor, student):
        person = {"facilitator": facilitator, "preceptor": preceptor, "student": student.user}
        client.force_login(person[role])
        assert client.get(self.url).status_code == 403

    @pytest.mark.parametrize("rows", ROWS)
    def test_query_count(
        self, client, coordinator, nursing_program, site_a, rows, django_assert_max_num_queries
    ):
        for student in _students(nursing_program, rows):
            PlacementFactory(student=student, site=site_a)
        client.force_login(coordinator)
        # Session, user, the idle timeout's save (3 + savepoint), the programs, the page,
        # its rows and the count.
        with django_assert_max_num_queries(10):
            response = client.get(self.url, {"q": "Bulk"})
        assert len(response.context["page"]) == min(rows, 25)


# --- The placements list and a placement, read only ------------------------------------------


class TestPlacementsReadOnly:
    def test_list_shows_their_students_placements_without_actions(
        self, client, coordinator, student, placement, site_b, other_student, other_program
    ):
        elsewhere = PlacementFactory(student=student, site=site_b)
        PlacementFactory(student=other_student, site=site_b)
        client.force_login(coordinator)
        response = client.get(reverse("placements:list"))
        content = response.content.decode()
        assert {row["pk"] for row in response.context["page"]} == {placement.pk, elsewhere.pk}
        assert reverse("placements:bulk") not in content
        assert reverse("placements:create") not in content
        assert reverse("placements:calendar_sites") not in content
        # The programs offered are theirs.
        programs = dict(response.context["form"].fields["program"].choices)
        assert student.program_id in programs and other_program.pk not in programs

    def test_detail_offers_no_change(self, client, coordinator, placement):
        client.force_login(coordinator)
        response = client.get(reverse("placements:detail", args=[placement.pk]))
        content = response.content.decode()
        assert response.status_code == 200
        assert response.context["can_manage"] is False
        assert reverse("placements:edit", args=[placement.pk]) not in content
        assert reverse("placements:transition", args=[placement.pk]) not in content
        assert reverse("mentoring:team_edit", args=[placement.pk]) not in content

    def test_writes_to_a_placement_are_refused(self, client, coordinator, placement):
        client.force_login(coordinator)
        url = reverse("placements:transition", args=[placement.pk])
        assert client.post(url, {"to_status": "confirmed"}).status_code == 403
        placement.refresh_from_db()
        assert placement.status == PlacementStatus.REQUESTED

    @pytest.mark.parametrize("rows", ROWS)
    def test_list_query_count(
        self, client, coordinator, nursing_program, rows, django_assert_max_num_queries
    ):
        sites = [SiteFactory() for _ in range(3)]
        for i, student in enumerate(_students(nursing_program, rows)):
            PlacementFactory(student=student, site=sites[i % 3])
        client.force_login(coordinator)
        with django_assert_max_num_queries(14):
            response = client.get(reverse("placements:list"))
        assert len(response.context["page"]) == min(rows, 25)


# --- Home and menu -------------------------------------------------------------------------


class TestHome:
    def test_panel_counts_each_program(
        self, client, coordinator, nursing_program, student, site_a, other_student
    ):
        PlacementFactory(student=student, site=site_a, active=True,
                         start_date=TODAY - datetime.timedelta(days=3))  # fmt: skip
        later = TODAY + datetime.timedelta(days=30)
        PlacementFactory(student=student, site=site_a, confirmed=True, start_date=later)
        PlacementFactory(student=student, site=site_a, cancelled=True, start_date=later)
        PlacementFactory(student=other_student, site=site_a, start_date=later)
        StudentFactory(program=nursing_program)
        empty = ProgramFactory(name="Empty", institution="University of Alberta")
        empty.coordinators.add(coordinator)

        context = panels.coordinator(coordinator)
        counts = {
            row["name"]: (row["student_count"], row["active_count"], row["upcoming_count"])
            for row in context["programs"]
        }
        assert counts == {"BScN": (2, 1, 1), "Empty": (0, 0, 0)}

        client.force_login(coordinator)
        content = client.get(reverse("home")).content.decode()
        assert "Your programs" in content
        assert f"{reverse('placements:students')}?program={nursing_program.pk}" in content

    def test_menu_offers_students_placements_and_import(self, client, coordinator):
        client.force_login(coordinator)
        content = client.get(reverse("home")).content.decode()
        for name in ("placements:students", "placements:list", "placements:import"):
            assert f'href="{reverse(name)}"' in content, name
        for name in ("sites:list", "placements:capacity_list", "interviews:followup_list"):
            assert f'href="{reverse(name)}"' not in content, name

    def test_a_coordinator_of_no_program_is_told_so(self, client):
        client.force_login(UserFactory(coordinator=True))
        assert "You coordinate no program yet" in client.get(reverse("home")).content.decode()

    @pytest.mark.parametrize("rows", ROWS)
    def test_panel_query_count(
        self, coordinator, nursing, site_a, rows, django_assert_max_num_queries
    ):
        for i in range(rows // 10):
            program = ProgramFactory(profession=nursing, coordinators=[coordinator])
            for student in _students(program, 10, prefix=f"P{i}"):
                PlacementFactory(student=student, site=site_a)
        with django_assert_max_num_queries(1):
            context = panels.coordinator(coordinator)
        assert sum(row["student_count"] for row in context["programs"]) == rows


# --- The student import of their programs ----------------------------------------------------

HEADER = "email,full_name,program,institution,student_number,cohort_year\n"


def upload(client, text: str, kind: str = "students"):
    return client.post(
        reverse("placements:import"),
        {"kind": kind, "file": SimpleUploadedFile("students.csv", text.encode(), "text/csv")},
    )


class TestImportScope:
    def test_imports_students_into_their_programs(self, client, coordinator, nursing_program):
        client.force_login(coordinator)
        page = client.get(reverse("placements:import")).content.decode()
        assert '<h1 class="h2">Import students</h1>' in page
        response = upload(client, HEADER + "new@example.org,Nia New,BScN,,N1,2026\n")
        assert response.status_code == 200 and response.context["result"].ok
        response = client.post(
            reverse("placements:import_confirm"), {"token": response.context["token"]}
        )
        assert response.status_code == 302
        assert Student.objects.get(user__email="new@example.org").program == nursing_program

    def test_a_row_of_another_program_is_refused_with_its_reason(
        self, client, coordinator, nursing_program, other_program
    ):
        client.force_login(coordinator)
        response = upload(
            client,
            HEADER
            + "one@example.org,One,BScN,,,\n"
            + "two@example.org,Two,BN,University of Calgary,,\n",
        )
        result = response.context["result"]
        assert not result.ok
        [bad] = result.bad_rows
        assert bad.line == 3
        assert bad.errors == [
            "program “BN — University of Calgary” is not one of your programs: you import "
            "the students of the programs you coordinate only"
        ]
        assert "is not one of your programs" in response.content.decode()
        assert not Student.objects.exists()

    def test_existing_accounts_only_if_students_of_their_programs(
        self, client, coordinator, nursing_program, student, other_student
    ):
        client.force_login(coordinator)
        response = upload(
            client,
            HEADER
            + f"{student.user.email},,BScN,,NEW-1,\n"
            + f"{other_student.user.email},,BScN,,,\n",
        )
        result = response.context["result"]
        assert [row.action for row in result.rows] == ["update", ""]
        assert result.rows[1].errors == [
            f"{other_student.user.email} already has an account and is not a student of "
            "your programs: an admin can enrol them"
        ]

    def test_placements_are_not_theirs_to_import(self, client, coordinator):
        client.force_login(coordinator)
        response = upload(client, "student_email,site,start_date,end_date\n", kind="placements")
        assert response.status_code == 200
        assert "kind" in response.context["form"].errors
        assert not ImportJob.objects.exists()
        url = reverse("placements:import_template", args=["placements", "csv"])
        assert client.get(url).status_code == 403

    def test_the_students_template_names_one_of_their_programs(
        self, client, coordinator, nursing_program, other_program
    ):
        ProgramFactory(name="AAA first by name", institution="Elsewhere")
        client.force_login(coordinator)
        url = reverse("placements:import_template", args=["students", "csv"])
        content = client.get(url).content.decode()
        assert ",BScN,University of Alberta," in content

    def test_a_background_check_applies_the_same_scope(
        self, coordinator, nursing_program, other_program, monkeypatch
    ):
        monkeypatch.setattr(importers, "MAX_ROWS", 1)
        monkeypatch.setattr(tasks.check_import, "apply_async", lambda **kwargs: None)
        content = HEADER + "a@example.org,A,BScN,,,\n" + "b@example.org,B,BN,,,\n"
        job, result = importers.import_job_start(
            owner=coordinator,
            kind="students",
            filename="big.csv",
            content=content.encode(),
            sites=permissions.sites_facilitated_by(coordinator),
            programs=permissions.programs_for_student_import(coordinator),
        )
        assert result is None
        tasks.check_import.run(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.bad_rows) == ("rejected", 1)
        assert "is not one of your programs" in str(job.rows)

    def test_a_facilitators_import_is_not_limited_to_programs(self, facilitator, other_program):
        assert permissions.programs_for_student_import(facilitator) is None
        rows = importers.parse_file(
            (HEADER + "c@example.org,C,BN,University of Calgary,,\n").encode(), "students"
        )
        result = importers.run_import(
            "students",
            rows,
            user=facilitator,
            sites=permissions.sites_facilitated_by(facilitator),
            commit=False,
            programs=permissions.programs_for_student_import(facilitator),
        )
        assert result.ok
