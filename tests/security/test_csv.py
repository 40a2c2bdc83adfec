"""CSV files in and out: malformed imports fail cleanly, formulas stay inert, and every
export defuses cells a spreadsheet would run as formulas."""

import csv
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from interviews.models import Quote
from ipcop.lib.spreadsheet import spreadsheet_row, spreadsheet_safe
from placements.importers import MAX_JOB_BYTES
from placements.models import ImportJob, Placement, Student
from placements.tests.factories import PlacementFactory
from sites.models import CommunityOfPractice

pytestmark = pytest.mark.django_db

FORMULA = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), (FORMULA, "'" + FORMULA),
        ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (-3, -3), (2.5, 2.5),
    ],
)  # fmt: skip
def test_spreadsheet_safe_defuses_formulas_only(value, expected):
    assert spreadsheet_safe(value) == expected


def test_spreadsheet_row():
    assert spreadsheet_row(["=A1", 3, None]) == ["'=A1", 3, ""]


def cells(response) -> list[str]:
    content = b"".join(response) if response.streaming else response.content
    return [cell for row in csv.reader(io.StringIO(content.decode())) for cell in row]


def test_placement_export_defuses_formulas(client_as, world):
    Placement.objects.filter(pk=world.a.placement.pk).update(notes=FORMULA)
    response = client_as(world.a.facilitator).get(reverse("placements:export"))
    assert "'" + FORMULA in cells(response)
    assert FORMULA not in cells(response)


def test_site_matrix_export_defuses_formulas(client_as, world):
    user = world.a.student.user
    user.full_name = "@SUM(1+1)"
    user.save()
    response = client_as(world.a.facilitator).get(
        reverse("mentoring:site_matrix_csv", args=[world.a.site.pk])
    )
    assert "'@SUM(1+1)" in cells(response)


def test_outcomes_report_export_defuses_formulas(client_as, world):
    Quote.objects.filter(pk=world.a.quote.pk).update(text=FORMULA, may_publish=True)
    CommunityOfPractice.objects.filter(pk=world.a.cop.pk).update(name=FORMULA)
    response = client_as(world.a.facilitator).get(reverse("interviews:report_csv"))
    assert response.status_code == 200
    assert "'" + FORMULA in cells(response)  # the community's rows
    assert FORMULA not in cells(response)


def upload(client, content: bytes, kind="students", name="people.csv"):
    return client.post(
        reverse("placements:import"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("email,full_name,program\né,b,c\n".encode("utf-16"), "not UTF-8"),
        ("email,full_name,program\né,b,c\n".encode("latin-1"), "not UTF-8"),
        (b"email,full_name\na@x.org,A\n", "Missing column: program"),
        (b"\x00\x01\x02\x03binary", ""),
        (b"email,full_name,program\na@x.org,A\x00B,BScN\n", ""),
        (b'email,full_name,program\n"a@x.org,A,BScN\n', ""),
        (b"", ""),
    ],
)
def test_malformed_imports_fail_cleanly_and_save_nothing(client_as, world, content, reason):
    students = Student.objects.count()
    response = upload(client_as(world.a.facilitator), content)
    assert response.status_code == 200
    page = response.content.decode()
    assert reason in page
    assert "is-invalid" in page or "invalid-feedback" in page or "alert" in page
    assert Student.objects.count() == students


def test_a_50_mb_file_is_refused_by_its_size_before_it_is_read(client_as, world):
    client = client_as(world.a.facilitator)
    big = b"email,full_name,program\n" + b"a@example.org,A,BScN\n" * (50 * 1024 * 1024 // 21)
    assert len(big) > 50_000_000
    started = time.monotonic()
    response = upload(client, big)
    assert time.monotonic() - started < 10
    assert response.status_code == 413
    assert Student.objects.filter(user__email="a@example.org").count() == 0


def test_a_file_over_the_import_limit_is_refused_next_to_the_field(client_as, world):
    jobs = ImportJob.objects.count()
    # Over the limit of a background import, under the upload's request limit.
    response = upload(client_as(world.a.facilitator), b"x" * (MAX_JOB_BYTES + 100_000))
    assert response.status_code == 200
    assert "larger than 20 MB" in response.content.decode()
    assert ImportJob.objects.count() == jobs


def test_formulas_in_imported_cells_are_stored_as_inert_text(client_as, world):
    client = client_as(world.a.facilitator)
    program = world.a.student.program
    content = f'email,full_name,program\nnew@example.org,"{FORMULA}",{program.name}\n'
    response = upload(client, content.encode())
    assert response.status_code == 200
    token = response.context["token"]
    client.post(reverse("placements:import_confirm"), {"token": token})
    student = Student.objects.get(user__email="new@example.org")
    assert student.user.full_name == FORMULA  # stored as typed, exported defused
    PlacementFactory(student=student, site=world.a.site)
    exported = cells(client.get(reverse("placements:export")))
    assert "'" + FORMULA in exported
    assert FORMULA not in exported
