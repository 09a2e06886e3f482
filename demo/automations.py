"""The demo shop's automations, so that their pages show two weeks of history: the birthday
wishes and the thank-you are on and have run every day by the engine's own steps (the
selection, the holdout, the queueing), with the clock of each past run; their messages are
then dated as sent. The reminder, the tier-up and the points notice stay off with their
first words, for staff to try."""

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.automations import automation_run
from campaigns.composer import campaign_messages_compose
from campaigns.editing import automation_for
from campaigns.models import AUTOMATED_KINDS, Campaign
from messaging.models import Message
from shops.models import Shop

HISTORY_DAYS = 14


def demo_automations(*, shop: Shop, now: datetime.datetime | None = None) -> list[Campaign]:
    now = now or timezone.now()
    automations = [automation_for(shop=shop, kind=kind) for kind in AUTOMATED_KINDS]
    began = now - datetime.timedelta(days=HISTORY_DAYS)
    with transaction.atomic():
        for automation in automations:
            if automation.kind not in (Campaign.Kind.BIRTHDAY, Campaign.Kind.THANK_YOU):
                continue
            Campaign.objects.filter(pk=automation.pk).update(
                state=Campaign.State.ACTIVE, started_at=began, holdout_percent=10, wait_hours=24
            )
            automation.refresh_from_db()
            for hours in range(0, HISTORY_DAYS * 24, 6):
                moment = began + datetime.timedelta(hours=hours)
                automation_run(campaign=automation, now=moment)
                _sent_at(automation, moment)
    return automations


def _sent_at(automation: Campaign, moment: datetime.datetime) -> None:
    """What a past run queued, written by the composer and dated as sent at that run."""
    queued = list(
        Message.objects.filter(source=automation.source, status=Message.Status.QUEUED)
        .select_related("customer")
        .order_by("pk")
    )
    composed = campaign_messages_compose(queued)
    for minute, message in enumerate(queued):
        words = composed[message.pk]
        message.subject, message.body = words.subject, words.text
        message.created_at = moment
        message.sending_at = message.sent_at = moment + datetime.timedelta(minutes=1 + minute)
        message.attempts = 1
        message.status = Message.Status.SKIPPED if words.skip else Message.Status.SENT
        message.error = words.skip
    Message.objects.bulk_update(
        queued, ["subject", "body", "created_at", "sending_at", "sent_at", "attempts", "status", "error"]
    )
