from celery import shared_task

from portal.services import sign_in_messages_blank


@shared_task
def sign_in_codes_sweep() -> None:
    """Every minute: the outbox's copies of lapsed sign-in codes are blanked."""
    sign_in_messages_blank()
