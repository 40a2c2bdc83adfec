"""A background import with a real Celery worker (a subprocess) on Redis: the upload is
checked by the worker while the page shows the progress, then imported once confirmed.
The data is committed (transaction=True) in the test database, which the worker reads."""

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from interviews.tests.test_worker import Worker, _wait
from placements import importers
from placements.models import ImportJob, Placement, Student
from placements.tests.factories import StudentFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker(transactional_db, tmp_path):
    """A worker on the broker the web side publishes to (CELERY_BROKER_URL), its queue
    emptied first."""
    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue.flushdb()
    started = Worker(tmp_path, settings.CELERY_BROKER_URL).start()
    yield started
    started.stop()  # before pytest-django flushes the database
    queue.flushdb()


def job_status(job_id: int) -> str:
    return ImportJob.objects.values_list("status", flat=True).get(pk=job_id)


def test_a_large_placements_file_is_checked_and_imported_by_the_worker(
    client, worker, facilitator, site_a, nursing_program, monkeypatch
):
    # A request checks at most 3 rows here (the worker's limit is that of a job).
    monkeypatch.setattr(importers, "MAX_ROWS", 3)
    students = StudentFactory.create_batch(8, program=nursing_program)
    content = "student_email,site,start_date,end_date,status\n" + "".join(
        f"{s.user.email},{site_a.name},2030-01-06,2030-02-14,{'active' if i % 2 else ''}\n"
        for i, s in enumerate(students)
    )
    client.force_login(facilitator)
    response = client.post(
        reverse("placements:import"),
        {"kind": "placements", "file": SimpleUploadedFile("p.csv", content.encode(), "text/csv")},
    )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("placements:import_job", args=[job.pk])

    _wait(lambda: job_status(job.pk) == "ready", what="the worker's check")
    status = client.get(reverse("placements:import_job_status", args=[job.pk])).json()
    assert (status["rows_done"], status["rows_total"], status["working"]) == (8, 8, False)
    assert not Placement.objects.exists()

    response = client.post(reverse("placements:import_confirm"), {"token": job.pk})
    assert response["Location"] == reverse("placements:import_job", args=[job.pk])
    _wait(lambda: job_status(job.pk) == "done", what="the worker's import")
    assert Placement.objects.count() == 8
    assert Placement.objects.filter(status="active", followup__isnull=False).count() == 4
    page = client.get(reverse("placements:import_job", args=[job.pk])).content.decode()
    assert "8 created" in page


def test_a_large_students_file_with_a_bad_row_is_refused_by_the_worker(
    client, worker, facilitator, site_a, nursing_program, monkeypatch
):
    monkeypatch.setattr(importers, "MAX_ROWS", 3)
    content = "email,full_name,program\n" + "".join(
        f"p{i}@example.org,P {i},{nursing_program.name if i != 2 else 'Nope'}\n" for i in range(6)
    )
    client.force_login(facilitator)
    client.post(
        reverse("placements:import"),
        {"kind": "students", "file": SimpleUploadedFile("s.csv", content.encode(), "text/csv")},
    )
    job = ImportJob.objects.get()
    _wait(lambda: job_status(job.pk) == "rejected", what="the worker's check")
    job.refresh_from_db()
    assert job.bad_rows == 1 and job.rows[0]["line"] == 4
    assert bytes(job.content) == b""
    assert not Student.objects.filter(user__email__in=[f"p{i}@example.org" for i in range(6)])
