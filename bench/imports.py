"""`make bench`'s import step (also alone: `make bench-imports`): a students file and a
placements file of 5,000 rows each (the most one request takes,
placements.importers.MAX_ROWS) previewed and confirmed as the zone facilitator of the
data set, through the upload and confirm views in-process (Django's test client: all of
the request's work, without HTTP), inside one transaction rolled back at the end, so the
data set stays as it was. Target: each request under 5 s (gunicorn's 30 s timeout killed
the preview of such a file before).

The students file: 1,000 students placed at the facilitator's sites whose cohort changes,
and 4,000 new people. The placements file: 5,000 students of the data set at the
facilitator's sites a year ahead (after every placement of the data set), a unit on every
other row, 60 % requested, 30 % confirmed, 10 % active (each taking a place of a capacity
added for that period, and the active ones their follow-up and reminders).
"""

from __future__ import annotations

import datetime
import os
import re
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 5.0
ROWS = 5000
STUDENTS_PLACED = 1000


class ImportBenchError(RuntimeError):
    """A benchmark file that did not preview or import cleanly (a bug, not a slowness)."""


def students_file(facilitator) -> bytes:
    from ipcop.permissions import sites_facilitated_by
    from placements.models import Program, Student

    placed = list(
        Student.objects.filter(placements__site__in=sites_facilitated_by(facilitator))
        .select_related("user", "program__institution")
        .distinct()
        .order_by("pk")[:STUDENTS_PLACED]
    )
    programs = list(Program.objects.select_related("institution").order_by("pk"))
    lines = ["email,full_name,program,institution,student_number,cohort_year"]
    lines += [
        f"{s.user.email},{s.user.full_name},{s.program.name},{s.program.institution.name},"
        f"{s.student_number},{(s.cohort_year or 2020) + 1}"
        for s in placed
    ]
    for i in range(ROWS - len(placed)):
        program = programs[i % len(programs)]
        lines.append(
            f"bench-import-{i}@bench.example,Imported Person {i},{program.name},"
            f"{program.institution.name},IMP{i:05d},2027"
        )
    return ("\n".join(lines) + "\n").encode()


def placements_file(facilitator, start: datetime.date) -> bytes:
    from ipcop.permissions import sites_facilitated_by
    from placements.models import Student
    from sites.models import Unit

    sites = list(sites_facilitated_by(facilitator).order_by("pk"))
    units: dict[int, list[str]] = {}
    for unit in Unit.objects.filter(site__in=sites).order_by("pk"):
        units.setdefault(unit.site_id, []).append(unit.name)
    students = Student.objects.select_related("user").order_by("pk")[:ROWS]
    end = start + datetime.timedelta(days=41)
    lines = ["student_email,site,unit,start_date,end_date,model,status"]
    for i, student in enumerate(students):
        site = sites[i % len(sites)]
        site_units = units.get(site.pk) or [""]
        unit_name = site_units[(i // 2) % len(site_units)] if i % 2 else ""
        status = "active" if i % 10 == 0 else "confirmed" if i % 10 < 4 else "requested"
        model = "traditional" if i % 4 == 0 else "ip_mentoring"
        lines.append(f"{student.user.email},{site.name},{unit_name},{start},{end},{model},{status}")
    return ("\n".join(lines) + "\n").encode()


def _capacity_for(facilitator, start: datetime.date) -> None:
    """Places for every profession at each of the facilitator's sites over the file's
    period, so that confirming counts places as it does in real use."""
    from accounts.models import Profession
    from ipcop.permissions import sites_facilitated_by
    from placements.models import Capacity

    Capacity.objects.bulk_create(
        (
            Capacity(
                site=site,
                profession=profession,
                period_start=start,
                period_end=start + datetime.timedelta(days=90),
                places=20,
            )
            for site in sites_facilitated_by(facilitator)
            for profession in Profession.objects.all()
        ),
        # A capacity of the data set starting that very day stays as it is.
        ignore_conflicts=True,
    )


TOKEN = re.compile(rb'name="token" value="(\d+)"')


def _timed_post(client, path: str, data: dict):
    started = time.monotonic()
    response = client.post(path, data)
    return response, time.monotonic() - started


def time_imports(log=print) -> dict:
    """Preview and confirm each file; {kind: {"rows", "preview", "confirm" (seconds),
    "preview_queries", "confirm_queries", "counts"}}."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import User
    from bench import dataset
    from placements.models import ImportJob

    facilitator = User.objects.get(pk=dataset.ZONE_FACILITATOR_ID)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(facilitator)
    start = timezone.localdate() + datetime.timedelta(days=400)
    results: dict[str, dict] = {}
    with transaction.atomic():
        _capacity_for(facilitator, start)
        files = {
            "students": students_file(facilitator),
            "placements": placements_file(facilitator, start),
        }
        for kind, content in files.items():
            upload = SimpleUploadedFile(f"{kind}.csv", content, "text/csv")
            response, preview = _timed_post(
                client, reverse("placements:import"), {"kind": kind, "file": upload}
            )
            token = TOKEN.search(response.content)
            if response.status_code != 200 or token is None:
                job = ImportJob.objects.filter(owner=facilitator).order_by("-pk").first()
                raise ImportBenchError(
                    f"the {kind} file did not preview cleanly (HTTP {response.status_code}): "
                    + (str(job.rows[:3]) if job else "no job")
                )
            confirmed, confirm = _timed_post(
                client, reverse("placements:import_confirm"), {"token": token.group(1).decode()}
            )
            job = ImportJob.objects.get(pk=int(token.group(1)))
            if confirmed.status_code != 302 or job.status != "done":
                raise ImportBenchError(f"the {kind} file was not imported: {job.error}")
            results[kind] = {
                "rows": ROWS,
                "preview": preview,
                "confirm": confirm,
                "preview_queries": response.get("X-Queries"),
                "confirm_queries": confirmed.get("X-Queries"),
                "counts": job.counts,
            }
            log(
                f"  {kind}: {ROWS:,} rows, preview {preview:.2f} s, confirm {confirm:.2f} s "
                f"({job.counts})"
            )
        transaction.set_rollback(True)
    return results


def summary(results: dict) -> list[str]:
    """The lines of docs/benchmarks.md about the import."""
    parts = []
    for kind, r in results.items():
        met = "✓" if max(r["preview"], r["confirm"]) < TARGET_SECONDS else "✗"
        queries = (
            f" ({r['preview_queries']} / {r['confirm_queries']} queries)"
            if r.get("preview_queries")
            else ""
        )
        parts.append(
            f"{kind} preview **{r['preview']:.1f} s**, confirm **{r['confirm']:.1f} s**"
            f"{queries} {met}"
        )
    return [
        f"Import of {ROWS:,}-row files as the zone facilitator, through the upload and "
        "confirm views in-process, rolled back (`bench/imports.py`; target < "
        f"{TARGET_SECONDS:.0f} s per request): " + "; ".join(parts) + ".",
    ]


def main() -> int:
    """`make bench-imports`: this step alone, against the data set of `make bench`."""
    scale = int(os.environ.setdefault("BENCH_SCALE", "1"))
    database = "ipcop_bench" if scale == 1 else f"ipcop_bench_x{scale}"
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{database}"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    os.environ.update(DEBUG="false", ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="false")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()
    from django.core.management import call_command

    from bench import dataset

    call_command("migrate", verbosity=0, interactive=False)
    dataset.ensure_dataset(print)
    # The pages render with production settings: their static files' manifest.
    call_command("collectstatic", verbosity=0, interactive=False)
    print("timing the import of 5,000-row files (preview and confirm, rolled back)")
    results = time_imports(print)
    print("\n".join(summary(results)))
    slow = [k for k, r in results.items() if max(r["preview"], r["confirm"]) >= TARGET_SECONDS]
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
