"""Import jobs: a file larger than a request may check goes to the worker, its page
shows the progress, its owner confirms it there, and it is imported once (the tasks are
called in this process here; test_import_worker.py runs them in a real worker)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from ipcop.permissions import sites_facilitated_by
from placements import importers, tasks
from placements.models import ImportJob, ImportJobStatus, Student
from placements.tests.factories import ImportJobFactory

pytestmark = pytest.mark.django_db

HEADER = "email,full_name,program,student_number,cohort_year\n"


def students_csv(program, n: int, bad_line: int | None = None) -> bytes:
    rows = [
        f"p{i}@example.org,Person {i},{'Nope' if i + 2 == bad_line else program.name},N{i},\n"
        for i in range(n)
    ]
    return (HEADER + "".join(rows)).encode()


@pytest.fixture
def enqueued(monkeypatch):
    """The tasks put on the broker (by name and job id), without a broker."""
    sent: list[tuple[str, int]] = []
    for name in ("check_import", "run_import_job"):
        task = getattr(tasks, name)
        monkeypatch.setattr(
            task,
            "apply_async",
            lambda kwargs, _name=name, **options: sent.append((_name, kwargs["job_id"])),
        )
    return sent


@pytest.fixture
def small_requests(monkeypatch):
    """A request checks at most 3 rows: a 5-row file goes to the worker."""
    monkeypatch.setattr(importers, "MAX_ROWS", 3)


def upload(client, content: bytes, kind="students", name="students.csv"):
    return client.post(
        reverse("placements:import"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv")},
    )


class TestBackgroundLifecycle:
    def test_a_large_file_is_checked_then_imported_by_the_worker(
        self,
        client,
        facilitator,
        site_a,
        nursing_program,
        small_requests,
        enqueued,
        django_capture_on_commit_callbacks,
    ):
        client.force_login(facilitator)
        with django_capture_on_commit_callbacks(execute=True):
            response = upload(client, students_csv(nursing_program, 5))
        job = ImportJob.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("placements:import_job", args=[job.pk])
        assert (job.status, job.in_background, job.owner) == ("queued", True, facilitator)
        assert enqueued == [("check_import", job.pk)]

        page = client.get(response["Location"]).content.decode()
        assert "<progress" in page and "js/import-job.js" in page
        assert f'href="{reverse("placements:import_job", args=[job.pk])}"' in page  # Refresh

        tasks.check_import.run(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.rows_done, job.rows_total) == ("ready", 5, 5)
        assert job.counts == {"create": 5, "update": 0, "unchanged": 0}
        assert not Student.objects.exists()
        assert ImportJob.objects.owned_by(facilitator).awaiting_confirmation().get() == job
        page = client.get(reverse("placements:import_job", args=[job.pk])).content.decode()
        assert "Import 5 rows" in page and "<progress" not in page

        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("placements:import_confirm"), {"token": job.pk, "invite": "1"}
            )
        assert response["Location"] == reverse("placements:import_job", args=[job.pk])
        assert enqueued[-1] == ("run_import_job", job.pk)
        job.refresh_from_db()
        assert (job.status, job.invite) == ("confirmed", True)

        tasks.run_import_job.run(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.new_people, job.invited, bytes(job.content)) == ("done", 5, 5, b"")
        assert Student.objects.count() == 5
        page = client.get(reverse("placements:import_job", args=[job.pk])).content.decode()
        assert "5 created" in page

    def test_a_file_over_a_megabyte_goes_to_the_worker_unread(
        self, client, facilitator, nursing_program, enqueued, monkeypatch
    ):
        def unread(*args, **kwargs):
            raise AssertionError("a large file is read by the worker, not the request")

        monkeypatch.setattr(importers, "parse_file", unread)
        client.force_login(facilitator)
        content = students_csv(nursing_program, 1) + b"#" * importers.MAX_BYTES
        assert upload(client, content).status_code == 302
        assert ImportJob.objects.get().status == "queued"

    def test_a_file_with_bad_rows_is_refused_with_the_bad_rows_first(
        self, client, facilitator, site_a, nursing_program, small_requests, enqueued
    ):
        client.force_login(facilitator)
        upload(client, students_csv(nursing_program, 6, bad_line=5))
        job = ImportJob.objects.get()
        tasks.check_import.run(job_id=job.pk)
        job.refresh_from_db()
        assert (job.status, job.bad_rows, bytes(job.content)) == ("rejected", 1, b"")
        assert job.rows[0]["line"] == 5 and "unknown program" in job.rows[0]["errors"][0]
        page = client.get(reverse("placements:import_job", args=[job.pk])).content.decode()
        assert "1 row of 6 cannot be imported" in page
        assert 'name="token"' not in page
        response = client.post(reverse("placements:import_confirm"), {"token": job.pk})
        assert response["Location"] == reverse("placements:import")
        assert not Student.objects.exists()

    def test_an_unreadable_large_file_is_refused_on_its_page(self, client, facilitator, enqueued):
        client.force_login(facilitator)
        upload(client, b"name,age\n" + b"x,1\n" * (importers.MAX_BYTES // 4 + 1))
        job = ImportJob.objects.get()
        tasks.check_import.run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == "rejected" and "Unknown columns: name, age" in job.error
        page = client.get(reverse("placements:import_job", args=[job.pk])).content.decode()
        assert "Unknown columns: name, age" in page

    def test_a_message_delivered_twice_imports_once(
        self, facilitator, site_a, nursing_program, small_requests, enqueued
    ):
        job = ImportJobFactory(
            owner=facilitator, content=students_csv(nursing_program, 4), rows_total=4
        )
        importers.import_job_confirm(job=job, invite=False, sites_of=sites_facilitated_by)
        tasks.run_import_job.run(job_id=job.pk)
        tasks.run_import_job.run(job_id=job.pk)
        assert Student.objects.count() == 4
        tasks.check_import.run(job_id=job.pk)  # a late check changes nothing either
        job.refresh_from_db()
        assert job.status == "done"

    def test_rows_no_longer_valid_at_import_fail_the_job_and_save_nothing(
        self, facilitator, site_a, nursing_program, enqueued
    ):
        job = ImportJobFactory(owner=facilitator, content=students_csv(nursing_program, 2))
        importers.import_job_confirm(job=job, invite=False, sites_of=sites_facilitated_by)
        nursing_program.name = "Renamed"
        nursing_program.save()
        tasks.run_import_job.run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == "failed" and "no longer valid" in job.error
        assert job.bad_rows == 2 and not Student.objects.exists()

    def test_an_owner_who_lost_the_role_imports_nothing(
        self, facilitator, site_a, nursing_program, enqueued
    ):
        job = ImportJobFactory(owner=facilitator, content=students_csv(nursing_program, 2))
        importers.import_job_confirm(job=job, invite=False, sites_of=sites_facilitated_by)
        facilitator.is_facilitator = False
        facilitator.save()
        tasks.run_import_job.run(job_id=job.pk)
        job.refresh_from_db()
        assert job.status == "failed" and "role" in job.error
        assert not Student.objects.exists()

    def test_jobs_whose_message_was_lost_are_woken(
        self, facilitator, enqueued, django_capture_on_commit_callbacks
    ):
        long_ago = timezone.now() - datetime.timedelta(hours=1)
        lost = ImportJobFactory(owner=facilitator, status=ImportJobStatus.QUEUED)
        confirmed = ImportJobFactory(owner=facilitator, status=ImportJobStatus.CONFIRMED)
        stalled = ImportJobFactory(owner=facilitator, status=ImportJobStatus.CHECKING)
        # A small file whose confirming request died before its import: the worker does it.
        orphan = ImportJobFactory(
            owner=facilitator, status=ImportJobStatus.CONFIRMED, in_background=False
        )
        fresh = ImportJobFactory(owner=facilitator, status=ImportJobStatus.QUEUED)
        ImportJobFactory(owner=facilitator, status=ImportJobStatus.READY)
        ImportJob.objects.exclude(pk=fresh.pk).update(updated_at=long_ago)
        with django_capture_on_commit_callbacks(execute=True):
            assert tasks.resume_import_jobs.run() == 4
        assert sorted(enqueued) == sorted(
            [
                ("check_import", lost.pk),
                ("run_import_job", confirmed.pk),
                ("check_import", stalled.pk),
                ("run_import_job", orphan.pk),
            ]
        )


class TestJobPages:
    def test_the_status_endpoint_reports_progress(
        self, client, facilitator, django_assert_max_num_queries
    ):
        job = ImportJobFactory(
            owner=facilitator, status=ImportJobStatus.CHECKING, rows_total=200, rows_done=50
        )
        client.force_login(facilitator)
        with django_assert_max_num_queries(6):
            response = client.get(reverse("placements:import_job_status", args=[job.pk]))
        assert response.json() == {
            "status": "checking",
            "label": "Checking the rows",
            "working": True,
            "rows_done": 50,
            "rows_total": 200,
            "percent": 25,
        }
        assert "no-store" in response["Cache-Control"]

    @pytest.mark.parametrize("rows", [10, 200])
    def test_the_job_page_query_count(
        self, client, facilitator, rows, django_assert_max_num_queries
    ):
        shown = [
            {"line": i + 2, "action": "create", "summary": "x", "errors": []} for i in range(rows)
        ]
        job = ImportJobFactory(owner=facilitator, rows=shown, rows_total=rows, rows_done=rows)
        client.force_login(facilitator)
        with django_assert_max_num_queries(8):
            response = client.get(reverse("placements:import_job", args=[job.pk]))
        assert response.content.decode().count("<tr") == rows + 1

    def test_only_the_owner_and_admins_see_a_job(self, client, facilitator, outsider):
        job = ImportJobFactory(owner=facilitator)
        student = UserFactory(is_student=True)
        for person, status in ((outsider, 404), (student, 404), (facilitator, 200)):
            client.force_login(person)
            for name in ("placements:import_job", "placements:import_job_status"):
                assert client.get(reverse(name, args=[job.pk])).status_code == status, person

    def test_an_admin_sees_a_job_but_only_its_owner_confirms_it(
        self, client, facilitator, outsider, admin_user, enqueued
    ):
        job = ImportJobFactory(owner=facilitator)
        client.force_login(admin_user)
        page = client.get(reverse("placements:import_job", args=[job.pk])).content.decode()
        assert "Fay Facilitator" in page and 'name="token"' not in page
        for person in (admin_user, outsider):
            client.force_login(person)
            response = client.post(reverse("placements:import_confirm"), {"token": job.pk})
            assert response["Location"] == reverse("placements:import")
        job.refresh_from_db()
        assert job.status == "ready" and enqueued == []

    def test_the_upload_page_lists_the_persons_imports(self, client, facilitator, outsider):
        mine = ImportJobFactory(owner=facilitator, filename="mine.csv")
        ImportJobFactory(owner=outsider, filename="theirs.csv")
        client.force_login(facilitator)
        page = client.get(reverse("placements:import")).content.decode()
        assert "mine.csv" in page and "theirs.csv" not in page
        assert reverse("placements:import_job", args=[mine.pk]) in page


def test_progress_never_passes_the_total():
    """The check constraint the page's percentage relies on."""
    from django.db import IntegrityError

    job = ImportJobFactory(rows_total=3, rows_done=3)
    with pytest.raises(IntegrityError):
        ImportJob.objects.filter(pk=job.pk).update(rows_done=F("rows_total") + 1)
