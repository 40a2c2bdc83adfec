"""Celery tasks of the accounts app: thin, they call a service. Enqueued after commit by
accounts.services."""

from celery import shared_task

from accounts import services


@shared_task(ignore_result=True)
def send_invitation(*, invitation_id: int) -> bool:
    return services.invitation_deliver(invitation_id=invitation_id)


@shared_task(ignore_result=True)
def send_password_reset(*, email: str) -> int:
    # The address as typed (normalised): whether it has an account is the task's business,
    # so the page that asked answers the same either way.
    return services.password_reset_send(email=email)
