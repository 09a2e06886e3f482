from celery import shared_task

from messaging.services import outbox_due, outbox_recover, outbox_send


@shared_task
def send_messages(shop_id: int, channel: str) -> None:
    """Sends what is due; each message's row guards it, so running this twice is safe."""
    outbox_send(shop_id=shop_id, channel=channel)


@shared_task
def send_due() -> None:
    """Beat, every minute: messages left by a dead worker, then the (shop, channel) pairs
    with messages due and no worker on them."""
    outbox_recover()
    for shop_id, channel in outbox_due():
        send_messages.delay(shop_id, channel)
