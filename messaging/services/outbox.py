"""The outbox: leasing due messages, handing them over, and what becomes of each.

How a message is sent at most once:
- a worker leases a batch of waiting messages (its token and a deadline), then, for each one,
  moves it from QUEUED to SENDING with an UPDATE that names its token, just before handing
  it over. Only one worker's UPDATE can match;
- a message found SENDING long after its start belongs to a worker that died mid-send: it
  may have arrived, so it becomes UNKNOWN and is never sent again (``outbox_recover``);
- a lease that runs out (its worker died before starting those messages) frees them.
"""

import datetime
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members.models import Customer
from messaging.models import Message, MessageHold, MessagingSettings
from messaging.selectors import messaging_settings_read
from messaging.senders import EmailSender, Reach, SendError, sender_header
from messaging.services.queue import recipient_for
from messaging.services.unsubscribe import unsubscribe_url
from messaging.vietguys import SmsSender
from shops.models import Shop

logger = logging.getLogger(__name__)

Channel = Message.Channel
Status = Message.Status


def _backoff(attempts: int) -> datetime.timedelta:
    """1, 5, 25 minutes, ... at most 4 hours."""
    return datetime.timedelta(minutes=min(5 ** max(attempts - 1, 0), 240))


def _email_for(message: Message, config: MessagingSettings, shop: Shop) -> EmailMessage:
    url = unsubscribe_url(message.customer_id)
    with translation.override(settings.LANGUAGE_CODE):
        footer = _("You receive this email as a customer of %(shop)s. To stop receiving emails: %(url)s") % {
            "shop": shop.name,
            "url": url,
        }
    return EmailMessage(
        subject=message.subject,
        body=f"{message.body}\n\n-- \n{footer}\n",
        from_email=sender_header(config),
        to=[message.recipient],
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def _claim(*, shop_id: int, channel: str, token: str, size: int) -> list[Message]:
    now = timezone.now()
    due = (
        Message.objects.filter(shop_id=shop_id, channel=channel, status=Status.QUEUED, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(_held())
        .order_by("next_attempt_at", "id")
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:size])
        Message.objects.filter(id__in=ids).update(
            lease_token=token, lease_until=now + datetime.timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)
        )
    # Another worker may have taken a message over between the read and the update (SQLite
    # has no SKIP LOCKED): only those still ours are returned.
    return list(
        Message.objects.filter(id__in=ids, lease_token=token)
        .select_related("customer")
        .order_by("next_attempt_at", "id")
    )


def _held() -> Exists:
    """The message's source is on hold (a paused campaign)."""
    return Exists(MessageHold.objects.filter(shop_id=OuterRef("shop_id"), source=OuterRef("source")))


def _finish(message: Message, status: str, **fields: Any) -> None:
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status, lease_token="", lease_until=None, **fields
    )


def _hold(*, shop_id: int, channel: str, token: str, wait: datetime.timedelta, reason: str) -> None:
    """Every waiting message of the shop's channel waits ``wait`` more, with the reason: the
    account, the server or the quota stops them all, so the next run does not try (and log
    in) again at once. Messages leased by another live worker are left to it; those waiting
    past the give-up age fail with the reason."""
    now = timezone.now()
    waiting = Message.objects.filter(shop_id=shop_id, channel=channel, status=Status.QUEUED).filter(
        Q(lease_token=token) | Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    too_old = now - datetime.timedelta(hours=settings.MESSAGING_GIVE_UP_HOURS)
    waiting.filter(created_at__lt=too_old).update(
        status=Status.FAILED,
        lease_token="",
        lease_until=None,
        error=_("%(reason)s Given up: still not sent %(hours)d hours after it was queued.")
        % {"reason": reason, "hours": settings.MESSAGING_GIVE_UP_HOURS},
    )
    waiting.filter(next_attempt_at__lt=now + wait).update(
        lease_token="", lease_until=None, next_attempt_at=now + wait, error=reason
    )


# VietGuys' error codes are not documented here: the same one for this many different numbers
# in a row is taken to be about the account, fewer about the numbers.
SAME_REFUSALS_FOR_THE_ACCOUNT = 3


@dataclass
class OutboxResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    stopped: str = ""  # why the run stopped early (the account, the quota)


def outbox_send(*, shop_id: int, channel: str, batch_size: int | None = None) -> OutboxResult:
    """Send the shop's due messages on one channel, batch after batch, until none is due,
    the run's time is up, or the account or its quota stops every message."""
    shop = Shop.objects.get(pk=shop_id)
    config = messaging_settings_read(shop)
    result = OutboxResult()
    token = uuid.uuid4().hex
    deadline = timezone.now() + datetime.timedelta(seconds=settings.MESSAGING_RUN_SECONDS)
    size = batch_size or settings.MESSAGING_BATCH_SIZE
    ready = config.email_ready if channel == Channel.EMAIL else config.sms_ready
    with translation.override(settings.LANGUAGE_CODE):
        if not ready:
            result.stopped = _not_configured(channel)
            _hold(shop_id=shop_id, channel=channel, token=token, wait=_account_wait(), reason=result.stopped)
            return result
        sender = EmailSender(config) if channel == Channel.EMAIL else SmsSender(config)
        with sender:
            while timezone.now() < deadline:
                batch = _claim(shop_id=shop_id, channel=channel, token=token, size=size)
                if not batch:
                    break
                if not _send_batch(batch, sender=sender, config=config, shop=shop, token=token, result=result):
                    break
    return result


def _account_wait() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.MESSAGING_ACCOUNT_WAIT_MINUTES)


def _not_configured(channel: str) -> str:
    if channel == Channel.EMAIL:
        return _("Email sending is not set up: an owner enters the Gmail settings under System settings › Messaging.")
    return _("SMS sending is not set up: an owner enters the VietGuys account under System settings › Messaging.")


def _send_batch(
    batch: list[Message], *, sender, config: MessagingSettings, shop: Shop, token: str, result: OutboxResult
) -> bool:
    """Send a leased batch; False when the run must stop: the account, the server or the
    quota stops every message, or a message's fate is unknown."""
    refused: list[tuple[Message, SendError]] = []  # VietGuys' refusals just before, with one code
    renewed = timezone.now()
    for message in batch:
        if timezone.now() - renewed > datetime.timedelta(seconds=settings.MESSAGING_LEASE_SECONDS / 3):
            renewed = _renew(token)  # a slow batch keeps its lease
        if not _start(message, token):
            continue
        attempts = message.attempts + 1
        charge = False
        try:
            provider_id = _hand_over(message, sender=sender, config=config, shop=shop)
        except SendError as failure:
            if not failure.code or (refused and refused[0][1].code != failure.code):
                refused = []
            if failure.code and message.recipient not in {earlier.recipient for earlier, _f in refused}:
                refused.append((message, failure))
            if len(refused) >= SAME_REFUSALS_FOR_THE_ACCOUNT:
                # The same refusal for several different numbers in a row is the account's
                # (credentials, credit, brandname), not theirs: they all wait, tries counted.
                failure = SendError(
                    Reach.ACCOUNT,
                    _(
                        "VietGuys refused %(count)d numbers in a row with the same answer: it concerns the account. "
                        "%(reason)s"
                    )
                    % {"count": len(refused), "reason": failure.reason},
                )
                result.failed -= sum(_reopen(earlier) for earlier, _f in refused[:-1])
                charge = True
            if _record_failure(message, failure, attempts=attempts, result=result, charge=charge):
                wait = (
                    datetime.timedelta(minutes=settings.MESSAGING_QUOTA_WAIT_MINUTES)
                    if failure.reach is Reach.QUOTA
                    else _account_wait()
                )
                _hold(shop_id=shop.pk, channel=message.channel, token=token, wait=wait, reason=failure.reason)
                result.stopped = failure.reason
                return False
            continue
        except Exception:
            logger.exception("Message %s: sending failed unexpectedly", message.pk)
            reason = _(
                "An unexpected error stopped the sending while this message was handed over. It may have arrived, "
                "so it is not sent again; the other messages wait."
            )
            _finish(message, Status.UNKNOWN, error=reason)
            result.failed += 1
            _hold(shop_id=shop.pk, channel=message.channel, token=token, wait=_account_wait(), reason=reason)
            result.stopped = reason
            return False
        refused = []
        _finish(message, Status.SENT, sent_at=timezone.now(), provider_id=provider_id, error="")
        result.sent += 1
    return True


def _start(message: Message, token: str) -> bool:
    """QUEUED -> SENDING, if the message is still this worker's and the customer still
    accepts the channel (checked in the same statement: an unsubscribe that lands during a
    batch is honoured). A customer who no longer accepts it is SKIPPED."""
    ours = Message.objects.filter(pk=message.pk, status=Status.QUEUED, lease_token=token)
    accepts = "accepts_email" if message.channel == Channel.EMAIL else "accepts_sms"
    # EXISTS, not a join: a join makes Django write "id IN (SELECT ...)", and PostgreSQL does
    # not check the subquery's status and token again on a row another worker just changed.
    consents = Exists(Customer.objects.filter(pk=OuterRef("customer_id"), **{accepts: True}))
    if (
        ours.filter(consents)
        .exclude(_held())
        .update(status=Status.SENDING, sending_at=timezone.now(), attempts=F("attempts") + 1)
    ):
        return True
    if MessageHold.objects.filter(shop_id=message.shop_id, source=message.source).exists():
        ours.update(lease_token="", lease_until=None)  # paused: it waits for the resume
        return False
    _address, problem = recipient_for(Customer.objects.get(pk=message.customer_id), message.channel)
    if problem:
        ours.update(status=Status.SKIPPED, error=problem, lease_token="", lease_until=None)
    return False  # otherwise another worker took it over after our lease ran out


def _renew(token: str) -> datetime.datetime:
    now = timezone.now()
    Message.objects.filter(lease_token=token, status=Status.QUEUED).update(
        lease_until=now + datetime.timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)
    )
    return now


def _reopen(message: Message) -> int:
    """A message recorded as refused turns out to have met an account problem: it was not
    sent, so it waits again (unless its tries are used up). 1 if it does."""
    return Message.objects.filter(
        pk=message.pk, status=Status.FAILED, attempts__lt=settings.MESSAGING_MAX_ATTEMPTS
    ).update(status=Status.QUEUED)


def _hand_over(message: Message, *, sender, config: MessagingSettings, shop: Shop) -> str:
    if message.channel == Channel.EMAIL:
        sender.send(_email_for(message, config, shop))
        return ""
    return sender.send(phone=message.recipient, text=message.body, request_id=f"{shop.pk}-{message.pk}")


def _record_failure(
    message: Message, failure: SendError, *, attempts: int, result: OutboxResult, charge: bool = False
) -> bool:
    """Record what happened to a started message; True when the whole run must stop.
    ``charge``: an account problem that still counts as one of the message's tries."""
    if failure.reach is Reach.UNKNOWN:
        _finish(message, Status.UNKNOWN, error=failure.reason)
        result.failed += 1
        return True  # whatever broke may break the next one the same way: wait
    if failure.reach is Reach.MESSAGE:
        _finish(message, Status.FAILED, error=failure.reason)
        result.failed += 1
        return False
    if (failure.reach is Reach.RETRY or charge) and attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        reason = _("%(reason)s Given up after %(count)d attempts.") % {"reason": failure.reason, "count": attempts}
        _finish(message, Status.FAILED, error=reason)
        result.failed += 1
        return failure.reach is not Reach.RETRY
    # Not this message's fault, or worth another try: back to the queue. An account or
    # quota problem does not count as an attempt, unless charged.
    if failure.reach is Reach.RETRY:
        wait, counted = _backoff(attempts), attempts
    elif failure.reach is Reach.QUOTA:
        wait, counted = datetime.timedelta(minutes=settings.MESSAGING_QUOTA_WAIT_MINUTES), attempts - 1
    else:
        wait, counted = _account_wait(), attempts if charge else attempts - 1
    _finish(message, Status.QUEUED, next_attempt_at=timezone.now() + wait, attempts=counted, error=failure.reason)
    result.waiting += 1
    return failure.reach is not Reach.RETRY


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
    """(shop, channel) pairs with messages due and no worker on them."""
    now = timezone.now()
    due = Message.objects.filter(status=Status.QUEUED, next_attempt_at__lte=now).exclude(_held())
    busy = set(
        Message.objects.filter(status=Status.QUEUED, lease_until__gte=now).values_list("shop_id", "channel").distinct()
    )
    return [pair for pair in due.values_list("shop_id", "channel").distinct() if pair not in busy]
