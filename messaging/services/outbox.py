"""The outbox: leasing due messages, handing them over, and what becomes of each.

How a message is sent at most once:
- a worker leases a batch of waiting messages (its token and a deadline), one-to-one
  messages (priority 0) ahead of campaigns' (1), then, for each one, moves it from QUEUED to
  SENDING with an UPDATE that names its token, committed just before handing it over. Only
  one worker's UPDATE can match. The same statement checks again that the customer accepts
  the channel and, for advertising, Decree 91's rules (messaging.services.limits);
- a message found SENDING long after its start belongs to a worker that died mid-send: it
  may have arrived, so it becomes UNKNOWN and is never sent again (``outbox_recover``).
  That is why SENT marks may be written together, a few dozen at a time: a worker killed
  before writing them leaves those messages UNKNOWN, which stays true;
- a lease that runs out (its worker died before starting those messages) frees them.

Before a batch is handed over it takes its share of the shop's daily email quota (what does
not fit waits for the shop's next local day) and of the provider's rate, both shared by
every worker and host, and each message's content is written by its composer.
"""

import datetime
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.db import update_rows
from members.models import Customer
from messaging.composers import Composed, eligibility_for, messages_compose
from messaging.models import Message, MessageHold, MessagingSettings
from messaging.selectors import messaging_settings_read
from messaging.senders import EmailSender, Reach, SendError, sender_header
from messaging.services import limits
from messaging.services.holds import held
from messaging.services.outbox_beat import outbox_due, outbox_recover
from messaging.services.outbox_failures import (
    OutboxResult,
    account_wait,
    finish,
    hold,
    not_configured,
    record_failure,
    reopen,
    waiting,
)
from messaging.services.outbox_start import advertising_capped, message_start, still_eligible
from messaging.services.queue import recipient_for
from messaging.services.unsubscribe import unsubscribe_url
from messaging.vietguys import SmsSender
from shops.models import Shop

logger = logging.getLogger(__name__)

Channel = Message.Channel
Status = Message.Status

__all__ = ["SAME_REFUSALS_FOR_THE_ACCOUNT", "OutboxResult", "outbox_due", "outbox_recover", "outbox_send"]

# VietGuys' error codes are not documented here: the same one for this many different numbers
# in a row is taken to be about the account, fewer about the numbers.
SAME_REFUSALS_FOR_THE_ACCOUNT = 3


@dataclass
class _Run:
    shop: Shop
    channel: str
    config: MessagingSettings
    token: str
    sender: Any
    result: OutboxResult
    from_header: str
    # (id, sent at, provider's id) of messages handed over whose SENT mark is not written yet
    marks: list[tuple[int, datetime.datetime, str]] = field(default_factory=list)
    marked_at: float = field(default_factory=time.monotonic)


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
            result.stopped = not_configured(channel)
            until = timezone.now() + account_wait()
            hold(shop_id=shop_id, channel=channel, token=token, until=until, reason=result.stopped)
            return result
        sender = EmailSender(config) if channel == Channel.EMAIL else SmsSender(config)
        with sender:
            run = _Run(shop, channel, config, token, sender, result, sender_header(config))
            try:
                while timezone.now() < deadline:
                    quiet_until = _hold_advertising_sms(run)
                    batch = _claim(run, size=size, advertising=quiet_until is None)
                    if not batch or not _send_batch(batch, run):
                        break
            finally:
                _write_sent(run)
    return result


def _claim(run: _Run, *, size: int, advertising: bool) -> list[Message]:
    now = timezone.now()
    due = (
        Message.objects.filter(shop=run.shop, channel=run.channel, status=Status.QUEUED, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .exclude(held())
        .order_by("priority", "next_attempt_at", "id")
    )
    if not advertising:
        due = due.filter(advertising=False)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("id", flat=True)[:size])
        Message.objects.filter(id__in=ids).update(
            lease_token=run.token, lease_until=now + datetime.timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)
        )
    # Another worker may have taken a message over between the read and the update (SQLite
    # has no SKIP LOCKED): only those still ours are returned.
    return list(
        Message.objects.filter(id__in=ids, lease_token=run.token)
        .select_related("customer")
        .order_by("priority", "next_attempt_at", "id")
    )


def _hold_advertising_sms(run: _Run) -> datetime.datetime | None:
    """Outside 07:00-22:00 shop time, the waiting advertising SMS wait until 07:00 with the
    reason (never dropped) and are not claimed; the next 07:00, or None."""
    if run.channel != Channel.SMS:
        return None
    now = timezone.now()
    until = limits.advertising_sms_wait(shop=run.shop, now=now)
    if until is not None:
        waiting(shop_id=run.shop.pk, channel=run.channel, token=run.token, now=now).filter(
            advertising=True, next_attempt_at__lt=until
        ).update(next_attempt_at=until, error=_quiet_reason(), lease_token="", lease_until=None)
    return until


def _quiet_reason() -> str:
    return _("Advertising SMS go out only between 07:00 and 22:00 (Decree 91): this one waits until 07:00.")


def _send_batch(batch: list[Message], run: _Run) -> bool:
    """Send a leased batch within today's quota; False when the run must stop: the quota
    is used, or the account, the server or a message's unknown fate stops every message."""
    now = timezone.now()
    quota = run.config.email_daily_quota if run.channel == Channel.EMAIL else 0
    reserved = len(batch)
    if quota:  # 0: the account has no daily limit (a shop's own mail server)
        day = limits.local_day(shop=run.shop, now=now)
        reserved = limits.quota_reserve(shop=run.shop, channel=run.channel, count=len(batch), quota=quota, now=now)
    handed = 0
    try:
        handed, go_on = _send_messages(batch[:reserved], run)
    finally:
        if quota:
            _write_sent(run)  # what is given back must not be counted twice
            limits.quota_release(shop=run.shop, channel=run.channel, day=day, count=reserved - handed)
    if reserved < len(batch):
        # One-to-one messages were claimed first; the rest, and everything behind them,
        # waits for the shop's next local day. Never FAILED for it.
        reason = _("Gmail's daily quota of %(quota)s emails is used: it goes out tomorrow.") % {"quota": quota}
        midnight = limits.next_local_midnight(shop=run.shop, now=timezone.now())
        hold(shop_id=run.shop.pk, channel=run.channel, token=run.token, until=midnight, reason=reason, give_up=False)
        run.result.stopped = run.result.stopped or reason
        return False
    return go_on


def _compose(batch: list[Message], run: _Run) -> dict[int, Composed] | None:
    """Each message's content, once for the batch; a message its composer refuses is
    SKIPPED with the reason. None when the composer broke: the batch waits."""
    try:
        composed = messages_compose(batch)
    except Exception:
        logger.exception("Composing a batch of shop %s failed", run.shop.pk)
        reason = _("The messages could not be written (an error in the program); they wait and are tried again.")
        until = timezone.now() + account_wait()
        hold(shop_id=run.shop.pk, channel=run.channel, token=run.token, until=until, reason=reason)
        run.result.stopped = reason
        return None
    ready = {}
    for message in batch:
        content = composed.get(message.pk) or Composed(skip=_("Nothing was written for this message."))
        if content.skip:
            _ours(message, run).update(status=Status.SKIPPED, error=content.skip, lease_token="", lease_until=None)
            run.result.skipped += 1
        else:
            ready[message.pk] = content
    return ready


def _send_messages(batch: list[Message], run: _Run) -> tuple[int, bool]:
    """(how many were handed over, whether the run goes on)."""
    composed = _compose(batch, run) if batch else {}
    if composed is None:
        return 0, False
    batch = [message for message in batch if message.pk in composed]
    start = limits.pace_reserve(shop=run.shop, channel=run.channel, count=len(batch), now=timezone.now())
    refused: list[tuple[Message, SendError]] = []  # VietGuys' refusals just before, with one code
    renewed = timezone.now()
    handed = 0
    for index, message in enumerate(batch):
        limits.pace_wait(start=start, index=index, channel=run.channel)
        if timezone.now() - renewed > datetime.timedelta(seconds=settings.MESSAGING_LEASE_SECONDS / 3):
            renewed = _renew(run.token)  # a slow batch keeps its lease
        content = composed[message.pk]
        if not _start(message, content, run):
            continue
        attempts = message.attempts + 1
        charge = False
        try:
            provider_id = _hand_over(message, content=content, run=run)
        except SendError as failure:
            handed += failure.reach is Reach.UNKNOWN  # it may have arrived: it counts
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
                run.result.failed -= sum(reopen(earlier) for earlier, _f in refused[:-1])
                charge = True
            if record_failure(message, failure, attempts=attempts, result=run.result, charge=charge):
                wait = (
                    datetime.timedelta(minutes=settings.MESSAGING_QUOTA_WAIT_MINUTES)
                    if failure.reach is Reach.QUOTA
                    else account_wait()
                )
                until = timezone.now() + wait
                hold(shop_id=run.shop.pk, channel=run.channel, token=run.token, until=until, reason=failure.reason)
                run.result.stopped = failure.reason
                return handed, False
            continue
        except Exception:
            logger.exception("Message %s: sending failed unexpectedly", message.pk)
            reason = _(
                "An unexpected error stopped the sending while this message was handed over. It may have arrived, "
                "so it is not sent again; the other messages wait."
            )
            finish(message, Status.UNKNOWN, error=reason)
            run.result.failed += 1
            until = timezone.now() + account_wait()
            hold(shop_id=run.shop.pk, channel=run.channel, token=run.token, until=until, reason=reason)
            run.result.stopped = reason
            return handed + 1, False
        refused = []
        handed += 1
        _mark_sent(run, message, provider_id)
    return handed, True


def _ours(message: Message, run: _Run):
    return Message.objects.filter(pk=message.pk, status=Status.QUEUED, lease_token=run.token)


def _start(message: Message, content: Composed, run: _Run) -> bool:
    """QUEUED -> SENDING, committed, if the message is still this worker's and the rules
    still allow it (``message_start``); otherwise it is skipped or waits, with the reason."""
    now = timezone.now()
    quiet_until = None
    if message.advertising and message.channel == Channel.SMS:
        quiet_until = limits.advertising_sms_wait(shop=run.shop, now=now)
    if message_start(message=message, token=run.token, now=now, quiet=quiet_until is not None, content=content):
        return True
    if MessageHold.objects.filter(shop_id=message.shop_id, source=message.source).exists():
        _ours(message, run).update(lease_token="", lease_until=None)  # paused: it waits for the resume
        return False
    _address, problem = recipient_for(Customer.objects.get(pk=message.customer_id), message.channel)
    if not problem and not still_eligible(message=message):
        eligibility = eligibility_for(message.composer)
        problem = eligibility.reason(message) if eligibility is not None else ""
    if not problem and quiet_until is not None:
        _ours(message, run).update(next_attempt_at=quiet_until, error=_quiet_reason(), lease_token="", lease_until=None)
        run.result.waiting += 1
        return False
    if not problem and message.advertising and advertising_capped(message=message, now=now):
        problem = _(
            "Not sent: this customer already received %(count)d advertising messages on this channel in the last "
            "24 hours, the most Decree 91 allows."
        ) % {"count": limits.ADVERTISING_PER_DAY}
    if problem and _ours(message, run).update(status=Status.SKIPPED, error=problem, lease_token="", lease_until=None):
        run.result.skipped += 1
    return False  # otherwise another worker took it over after our lease ran out


def _mark_sent(run: _Run, message: Message, provider_id: str) -> None:
    run.marks.append((message.pk, timezone.now(), provider_id))
    run.result.sent += 1
    if (
        len(run.marks) >= settings.MESSAGING_SENT_MARKS_EVERY
        or time.monotonic() - run.marked_at >= settings.MESSAGING_SENT_MARKS_SECONDS
    ):
        _write_sent(run)


def _write_sent(run: _Run) -> None:
    """The SENT marks waiting, in one statement (each message's own time and id)."""
    if run.marks:
        rows = [(pk, Status.SENT, sent_at, provider_id, "", "", None) for pk, sent_at, provider_id in run.marks]
        fields = ["status", "sent_at", "provider_id", "error", "lease_token", "lease_until"]
        update_rows(Message, fields, rows, where="{table}.status = %s", where_params=[Status.SENDING])
        run.marks = []
    run.marked_at = time.monotonic()


def _renew(token: str) -> datetime.datetime:
    now = timezone.now()
    Message.objects.filter(lease_token=token, status=Status.QUEUED).update(
        lease_until=now + datetime.timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)
    )
    return now


def _email_for(message: Message, content: Composed, run: _Run) -> EmailMultiAlternatives:
    url = unsubscribe_url(message.customer_id)
    body = content.text
    if not message.composer:
        # A composer writes its own footer with the link (the campaign's); a message typed
        # by staff gets this one.
        footer = _("You receive this email as a customer of %(shop)s. To stop receiving emails: %(url)s") % {
            "shop": run.shop.name,
            "url": url,
        }
        body = f"{body}\n\n-- \n{footer}\n"
    email = EmailMultiAlternatives(
        subject=content.subject,
        body=body,
        from_email=run.from_header,
        to=[message.recipient],
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    if content.html:
        email.attach_alternative(content.html, "text/html")
    return email


def _hand_over(message: Message, *, content: Composed, run: _Run) -> str:
    if message.channel == Channel.EMAIL:
        run.sender.send(_email_for(message, content, run))
        return ""
    return run.sender.send(phone=message.recipient, text=content.text, request_id=f"{run.shop.pk}-{message.pk}")
