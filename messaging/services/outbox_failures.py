"""What the outbox records when a message is not sent, and how long the rest waits.

Each failure says how far it reaches (``messaging.senders.Reach``): the message alone, the
message for now (backoff), or every waiting message of the shop's channel (the account,
the server or the quota), which then waits with the reason staff read.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.models import Message
from messaging.senders import Reach, SendError

Channel = Message.Channel
Status = Message.Status


@dataclass
class OutboxResult:
    sent: int = 0
    failed: int = 0
    waiting: int = 0
    skipped: int = 0
    stopped: str = ""  # why the run stopped early (the account, the quota)


def backoff(attempts: int) -> datetime.timedelta:
    """1, 5, 25 minutes, ... at most 4 hours."""
    return datetime.timedelta(minutes=min(5 ** max(attempts - 1, 0), 240))


def account_wait() -> datetime.timedelta:
    return datetime.timedelta(minutes=settings.MESSAGING_ACCOUNT_WAIT_MINUTES)


def not_configured(channel: str) -> str:
    if channel == Channel.EMAIL:
        return _("Email sending is not set up: an owner enters the Gmail settings under System settings › Messaging.")
    return _("SMS sending is not set up: an owner enters the VietGuys account under System settings › Messaging.")


def waiting(*, shop_id: int, channel: str, token: str, now: datetime.datetime):
    """The shop's channel's waiting messages that are this run's or nobody's: those leased
    by another live worker are left to it."""
    return Message.objects.filter(shop_id=shop_id, channel=channel, status=Status.QUEUED).filter(
        Q(lease_token=token) | Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )


def hold(
    *, shop_id: int, channel: str, token: str, until: datetime.datetime, reason: str, give_up: bool = True
) -> None:
    """Every waiting message of the shop's channel waits until ``until``, with the reason:
    the account, the server or the quota stops them all, so the next run does not try (and
    log in) again at once. With ``give_up``, one-to-one messages waiting past the give-up
    age fail with the reason; a campaign's wait as long as the campaign runs (staff pause
    or cancel it), and the daily quota never fails anyone (``give_up=False``)."""
    now = timezone.now()
    held = waiting(shop_id=shop_id, channel=channel, token=token, now=now)
    if give_up:
        too_old = now - datetime.timedelta(hours=settings.MESSAGING_GIVE_UP_HOURS)
        held.filter(created_at__lt=too_old, priority=0).update(
            status=Status.FAILED,
            lease_token="",
            lease_until=None,
            error=_("%(reason)s Given up: still not sent %(hours)d hours after it was queued.")
            % {"reason": reason, "hours": settings.MESSAGING_GIVE_UP_HOURS},
        )
    held.filter(next_attempt_at__lt=until).update(lease_token="", lease_until=None, next_attempt_at=until, error=reason)


def finish(message: Message, status: str, **fields) -> None:
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status, lease_token="", lease_until=None, **fields
    )


def reopen(message: Message) -> int:
    """A message recorded as refused turns out to have met an account problem: it was not
    sent, so it waits again (unless its tries are used up). 1 if it does."""
    return Message.objects.filter(
        pk=message.pk, status=Status.FAILED, attempts__lt=settings.MESSAGING_MAX_ATTEMPTS
    ).update(status=Status.QUEUED)


def record_failure(
    message: Message, failure: SendError, *, attempts: int, result: OutboxResult, charge: bool = False
) -> bool:
    """Record what happened to a started message; True when the whole run must stop.
    ``charge``: an account problem that still counts as one of the message's tries."""
    if failure.reach is Reach.UNKNOWN:
        finish(message, Status.UNKNOWN, error=failure.reason)
        result.failed += 1
        return True  # whatever broke may break the next one the same way: wait
    if failure.reach is Reach.MESSAGE:
        finish(message, Status.FAILED, error=failure.reason)
        result.failed += 1
        return False
    if (failure.reach is Reach.RETRY or charge) and attempts >= settings.MESSAGING_MAX_ATTEMPTS:
        reason = _("%(reason)s Given up after %(count)d attempts.") % {"reason": failure.reason, "count": attempts}
        finish(message, Status.FAILED, error=reason)
        result.failed += 1
        return failure.reach is not Reach.RETRY
    # Not this message's fault, or worth another try: back to the queue. An account or
    # quota problem does not count as an attempt, unless charged.
    if failure.reach is Reach.RETRY:
        wait, counted = backoff(attempts), attempts
    elif failure.reach is Reach.QUOTA:
        wait, counted = datetime.timedelta(minutes=settings.MESSAGING_QUOTA_WAIT_MINUTES), attempts - 1
    else:
        wait, counted = account_wait(), attempts if charge else attempts - 1
    finish(message, Status.QUEUED, next_attempt_at=timezone.now() + wait, attempts=counted, error=failure.reason)
    result.waiting += 1
    return failure.reach is not Reach.RETRY
