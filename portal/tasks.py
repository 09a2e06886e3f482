from celery import shared_task

from core.crypto import decrypt
from portal.services import sign_in_code_deliver, sign_in_messages_blank


@shared_task
def deliver_sign_in_code(row_id: int, sealed: str) -> None:
    """A sign-in code to its member (nothing for a phone that is not a member's); the code
    comes encrypted with the deployment's key."""
    sign_in_code_deliver(row_id=row_id, code=decrypt(sealed))


@shared_task
def sign_in_codes_sweep() -> None:
    """Every minute: the outbox's copies of lapsed sign-in codes are blanked."""
    sign_in_messages_blank()
