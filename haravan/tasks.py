from celery import shared_task
from django.db import OperationalError
from django.utils.translation import gettext as _

from campaigns.usage import code_uses_record
from haravan import services
from haravan.client import HaravanError
from rewards.usage import redemption_uses_record
from shops.models import Shop

# What may pass if tried again: Haravan's or the network's trouble (the client's errors) and
# the database's (a dropped connection, a deadlock, a serialisation failure). Anything else,
# a bug or a payload that cannot be applied, would fail the same way every time.
TRANSIENT_ERRORS = (HaravanError, OperationalError)
MAX_RETRIES = 5
MAX_RETRY_SECONDS = 300


def orders_recorded(*, shop: Shop, order_ids: list[int]) -> None:
    """The orders a sync page or a webhook batch recorded are checked for the codes the apps
    above Haravan's layer gave out (campaigns' and rewards' both import haravan, for their
    discounts, so haravan's services cannot import them)."""
    code_uses_record(shop=shop, order_ids=order_ids)
    redemption_uses_record(shop=shop, order_ids=order_ids)


@shared_task
def check_connection(connection_id: int) -> None:
    services.connection_check(connection_id=connection_id)


@shared_task
def run_sync(job_id: int) -> None:
    services.sync_run(job_id=job_id, orders_recorded=orders_recorded)


@shared_task
def incremental_sync_all() -> None:
    services.incremental_sync_all()


@shared_task(bind=True, max_retries=MAX_RETRIES)
def process_webhook(self, event_id: int) -> None:
    """Apply a stored event. A transient error is retried with backoff (5 s, 10 s, ... at
    most 5 minutes, 5 times); any other is recorded on the event as its failure at once."""
    try:
        services.webhook_process(event_id=event_id, orders_recorded=orders_recorded)
    except Exception as error:
        services.webhook_fail(event_id=event_id, error=_("Processing failed: %(error)s") % {"error": error})
        if isinstance(error, TRANSIENT_ERRORS):
            raise self.retry(exc=error, countdown=min(MAX_RETRY_SECONDS, 5 * 2**self.request.retries)) from error
        raise


@shared_task
def webhook_sweep() -> None:
    services.webhook_sweep()
