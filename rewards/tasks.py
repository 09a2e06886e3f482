"""Rewards' tasks: thin; the redemption's state guards the work, so each may run twice."""

from celery import shared_task

from rewards.codes import Outcome, redemption_code_make
from rewards.lifecycle import redemptions_expire, redemptions_waiting

# Haravan down or its bucket full: tries again after 30 s, 1, 2, 4 ... at most 10 minutes;
# past the retries, beat's sweep goes on every minute (the claim is handed back).
RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 600
MAX_RETRIES = 8


@shared_task(bind=True, max_retries=MAX_RETRIES)
def make_redemption_code(self, redemption_id: int) -> None:
    if redemption_code_make(redemption_id=redemption_id) == Outcome.RETRY:
        raise self.retry(countdown=min(MAX_RETRY_SECONDS, RETRY_SECONDS * 2**self.request.retries))


@shared_task
def redemptions_sweep() -> None:
    """Every minute: codes left waiting are made (a task each), lapsed codes give points back."""
    for redemption_id in redemptions_waiting():
        make_redemption_code.delay(redemption_id)
    redemptions_expire()
