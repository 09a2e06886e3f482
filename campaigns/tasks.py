"""Campaigns' tasks: thin, idempotent (the rows' states guard the work)."""

from celery import shared_task

from campaigns.codes import codes_campaigns_waiting, codes_make

# One run makes codes for at most this long, then hands over to a fresh task: a long
# campaign never holds a worker (or a broker's visibility timeout) for its 40 minutes.
CODES_RUN_SECONDS = 120.0
# A run stopped by Haravan (down, its bucket) tries again after this long; beat's
# ``make_codes_all`` picks up anything else left waiting.
CODES_RETRY_SECONDS = 120


@shared_task(bind=True, max_retries=None)
def make_codes(self, campaign_id: int) -> None:
    result = codes_make(campaign_id=campaign_id, budget_seconds=CODES_RUN_SECONDS)
    if result.done:
        # TODO(lead): campaigns.sending lands with the engine; until then this import fails.
        from campaigns.sending import campaign_codes_ready

        campaign_codes_ready(campaign_id=campaign_id)
    elif result.retry:
        # Rows are claimed, so a second task for the same campaign is harmless.
        raise self.retry(countdown=0 if result.budget_spent else CODES_RETRY_SECONDS)


@shared_task
def make_codes_all() -> None:
    """Beat's schedule: hand every campaign with codes still waiting to a worker again."""
    for campaign_id in codes_campaigns_waiting():
        make_codes.delay(campaign_id)
