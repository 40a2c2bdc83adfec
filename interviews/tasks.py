"""Celery tasks of the interviews app: thin, they take ids and call a service."""

from celery import shared_task

from interviews import agreement_emails, services


@shared_task(ignore_result=True)
def sweep_reminders() -> int:
    """Run by beat every minute: send the reminders that are due."""
    return services.reminders_send_due()


@shared_task(ignore_result=True)
def send_followup_invitation(*, followup_id: int, method: str, recipient_ids: list[int]) -> int:
    return services.followup_send_invitation(
        followup_id=followup_id, method=method, recipient_ids=recipient_ids
    )


@shared_task(ignore_result=True)
def purge_interview_notes() -> int:
    """Run by beat daily: the data-retention sweep of interview notes."""
    return services.interview_notes_purge()


@shared_task(ignore_result=True)
def queue_agreement_reminders() -> int:
    """Run by beat daily: write the expiry notices of affiliation agreements now due."""
    return agreement_emails.agreement_reminders_queue()
