"""Daily privacy housekeeping, scheduled by Celery beat (settings CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from accounts.services import interview_notes_purge


@shared_task(name="accounts.tasks.purge_interview_notes")
def purge_interview_notes() -> int:
    return interview_notes_purge()
