"""`python manage.py purge_interview_notes`: the data-retention sweep for interview notes
(also run daily by Celery beat)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from interviews.services import interview_notes_cutoff, interview_notes_purge


class Command(BaseCommand):
    help = "Blank the notes of interviews older than INTERVIEW_NOTES_RETENTION_DAYS."

    def handle(self, *args, **options):
        count = interview_notes_purge()
        self.stdout.write(
            f"Blanked the notes of {count} interview record(s) held before "
            f"{interview_notes_cutoff():%Y-%m-%d} "
            f"(retention {settings.INTERVIEW_NOTES_RETENTION_DAYS} days)."
        )
