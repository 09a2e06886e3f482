"""Holding a source's messages (a paused campaign) and letting them go again."""

from django.db import transaction
from django.db.models import Exists, OuterRef

from messaging.models import Message, MessageHold
from shops.models import Shop

Status = Message.Status


def held() -> Exists:
    """For a filter on messages: the message's source is on hold (a paused campaign)."""
    return Exists(MessageHold.objects.filter(shop_id=OuterRef("shop_id"), source=OuterRef("source")))


def messages_hold(*, shop: Shop, source: str) -> None:
    """From now on the source's waiting messages are neither leased nor started; a batch a
    worker holds stops before its next message. Holding twice is holding once."""
    MessageHold.objects.get_or_create(shop=shop, source=source)


def messages_release(*, shop: Shop, source: str) -> None:
    """The source's waiting messages go out again, from where they stopped."""
    MessageHold.objects.filter(shop=shop, source=source).delete()


def messages_drop(*, shop: Shop, source: str, reason: str) -> int:
    """The source's waiting messages will never be sent: SKIPPED with the reason. Those a
    worker already started finish as they do. Returns how many were dropped."""
    with transaction.atomic():
        messages_hold(shop=shop, source=source)
        return (
            Message.objects.for_shop(shop)
            .filter(source=source, status=Status.QUEUED)
            .update(status=Status.SKIPPED, error=reason, lease_token="", lease_until=None)
        )


def outbox_wake(*, shop_id: int, channel: str) -> None:
    """Ask a worker to send the shop's due messages on the channel once this transaction
    commits (beat would find them within a minute anyway)."""
    from messaging.tasks import send_messages

    transaction.on_commit(lambda: send_messages.delay(shop_id, channel))
