"""Celery tasks of the placements app: the background import of a large file
(`placements.models.ImportJob`). Thin: they take a job's id and call its service in
placements.importers, which are enqueued once the job is committed."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from ipcop.permissions import may_import, programs_for_student_import, sites_facilitated_by
from placements import importers
from placements.models import ImportJob

# A province's file of 100,000 rows is checked, then imported, well within these.
TIME_LIMIT = 30 * 60
SOFT_TIME_LIMIT = TIME_LIMIT - 60
TOO_LONG = "The import took too long and was stopped; nothing was imported. Split the file."


def _may_import(job_id: int) -> bool:
    """The job's owner still holds the role that lets them import; a job of someone
    who lost it stops here, before reading the file."""
    job = ImportJob.objects.select_related("owner").filter(pk=job_id).first()
    if job is None:
        return False
    owner = job.owner
    if may_import(owner):
        return True
    importers.import_job_fail(
        job_id=job_id, error="Your role no longer allows importing; nothing was imported."
    )
    return False


@shared_task(ignore_result=True, time_limit=TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT)
def check_import(*, job_id: int) -> None:
    """Check a queued file: the preview, counting its rows as it goes."""
    if not _may_import(job_id):
        return
    try:
        importers.import_job_check(
            job_id=job_id, sites_of=sites_facilitated_by, programs_of=programs_for_student_import
        )
    except SoftTimeLimitExceeded:
        importers.import_job_fail(job_id=job_id, error=TOO_LONG)


@shared_task(ignore_result=True, time_limit=TIME_LIMIT, soft_time_limit=SOFT_TIME_LIMIT)
def run_import_job(*, job_id: int) -> None:
    """Import a confirmed file (all its rows, or none)."""
    if not _may_import(job_id):
        return
    importers.import_job_started(job_id=job_id)
    try:
        importers.import_job_run(
            job_id=job_id, sites_of=sites_facilitated_by, programs_of=programs_for_student_import
        )
    except SoftTimeLimitExceeded:
        importers.import_job_fail(job_id=job_id, error=TOO_LONG)


@shared_task(ignore_result=True)
def resume_import_jobs() -> int:
    """Run by beat every minute: wake the jobs whose message was lost."""
    return importers.import_jobs_resume()


@shared_task(ignore_result=True)
def expire_agreements() -> int:
    """Run by beat daily: agreements in force past their end become expired."""
    from placements.services import agreements_expire

    return agreements_expire()
