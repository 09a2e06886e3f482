from celery import shared_task

from campaigns.sending import campaign_prepare, campaigns_due, campaigns_finish


@shared_task
def prepare_campaign(campaign_id: int) -> None:
    """Takes the audience and queues the messages; the campaign's lease guards the work,
    so running this twice is safe."""
    campaign_prepare(campaign_id=campaign_id)


@shared_task
def campaigns_tick() -> None:
    """Beat, every minute: scheduled campaigns whose time has come, preparing ones that no
    live worker holds, and sending ones with nothing left to send."""
    for campaign_id in campaigns_due():
        prepare_campaign.delay(campaign_id)
    campaigns_finish()
