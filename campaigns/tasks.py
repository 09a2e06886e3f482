"""Campaigns' tasks: thin, idempotent (the rows' states and the campaign's lease guard the
work, so each may run twice)."""

from celery import shared_task
from django.utils import timezone

from campaigns.automations import automation_run, automations_due
from campaigns.codes import codes_make
from campaigns.models import Campaign
from campaigns.report_snapshot import campaign_reports_refresh
from campaigns.sending import campaign_codes_done, campaign_prepare, campaign_renew, campaigns_due, campaigns_finish

# One run makes codes for at most this long, then hands over to a fresh task: a long
# campaign never holds a worker (or a broker's visibility timeout) for its 40 minutes.
CODES_RUN_SECONDS = 120.0
# A run stopped by Haravan (down, its bucket) tries again after this long.
CODES_RETRY_SECONDS = 120


@shared_task
def prepare_campaign(campaign_id: int) -> None:
    """Takes the audience and queues the messages, or hands the campaign to the code maker."""
    campaign_prepare(campaign_id=campaign_id)


@shared_task(bind=True, max_retries=None)
def make_codes(self, campaign_id: int) -> None:
    """Makes the campaign's codes in Haravan, run after run, holding the campaign meanwhile;
    when none waits, its messages are queued."""
    if not campaign_renew(campaign_id=campaign_id):
        return  # paused or cancelled: resuming hands it out again
    result = codes_make(campaign_id=campaign_id, budget_seconds=CODES_RUN_SECONDS)
    if result.done:
        campaign_codes_done(campaign_id=campaign_id)
    elif result.retry:
        # Rows are claimed, so a second task for the same campaign is harmless.
        raise self.retry(countdown=0 if result.budget_spent else CODES_RETRY_SECONDS)


@shared_task
def campaigns_tick() -> None:
    """Beat, every minute: scheduled campaigns whose time has come, preparing ones that no
    live worker holds (a lost task, a dead worker), and sending ones with nothing left."""
    for campaign_id in campaigns_due():
        prepare_campaign.delay(campaign_id)
    campaigns_finish()
    refresh_campaign_reports.delay()


@shared_task
def automations_tick() -> None:
    """Beat, every minute: each automation that is on selects who is due, hands its codes to
    the code maker, and queues those whose time has come (campaigns.automations)."""
    for campaign_id in automations_due():
        run_automation.delay(campaign_id)


@shared_task
def run_automation(campaign_id: int) -> None:
    campaign = Campaign.objects.select_related("shop", "offer").get(pk=campaign_id)
    if campaign.state != Campaign.State.ACTIVE:
        return
    result = automation_run(campaign=campaign, now=timezone.now())
    if result.codes_waiting:
        make_automation_codes.delay(campaign_id)


@shared_task(bind=True, max_retries=None)
def make_automation_codes(self, campaign_id: int) -> None:
    """An automation's codes, made ahead of their sends; those made are queued by the next
    tick when their time comes."""
    result = codes_make(campaign_id=campaign_id, budget_seconds=CODES_RUN_SECONDS)
    if not result.done and result.retry:
        raise self.retry(countdown=0 if result.budget_spent else CODES_RETRY_SECONDS)


@shared_task
def refresh_campaign_reports() -> None:
    """Large campaigns' reports counted for their pages (campaigns.report_snapshot)."""
    campaign_reports_refresh()
