"""What beat does every minute for the outbox: messages left SENDING by a dead worker become
UNKNOWN, and the (shop, channel) pairs with messages due get a worker."""

import datetime

from django.conf import settings
from django.db.models import Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from messaging.models import Message
from messaging.services.holds import held

Status = Message.Status


def outbox_recover() -> int:
    """Messages left SENDING by a worker that died mid-send: they may have arrived, so they
    are never sent again; staff see why."""
    stale = timezone.now() - datetime.timedelta(seconds=settings.MESSAGING_SENDING_STALE_SECONDS)
    with translation.override(settings.LANGUAGE_CODE):
        reason = _(
            "The sending worker stopped while handing this message over. It may have arrived, so it is not sent again."
        )
        return Message.objects.filter(status=Status.SENDING, sending_at__lt=stale).update(
            status=Status.UNKNOWN, error=reason, lease_token="", lease_until=None
        )


def outbox_due() -> list[tuple[int, str]]:
    """(shop, channel) pairs with messages due and no worker on them: those with a
    one-to-one message first, then by how long they have been due."""
    now = timezone.now()
    busy = set(
        Message.objects.filter(status=Status.QUEUED, lease_until__gte=now).values_list("shop_id", "channel").distinct()
    )
    due = (
        Message.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now)
        .exclude(held())
        .values("shop_id", "channel")
        .annotate(first=Min("priority"), since=Min("next_attempt_at"))
        .order_by("first", "since")
    )
    return [(row["shop_id"], row["channel"]) for row in due if (row["shop_id"], row["channel"]) not in busy]
