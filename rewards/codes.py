"""Making a redemption's code in Haravan, and sending it to the member.

``redemption_code_make`` is what the worker runs after a redemption commits, and what the
sweep runs again for one a lost task or a dead worker left waiting. Once, whatever runs:

- the run claims the redemption by stamping ``code_tried_at`` (a conditional UPDATE: a
  second run at once finds it claimed and leaves it); a claim older than ``LEASE`` is a dead
  worker's and may be taken over;
- a redemption stamped before may have reached Haravan, so its code (named from the
  redemption, the same at every try) is looked up before it is created;
- made: the state moves WAITING → SENT in a conditional UPDATE and the message is queued
  under the outbox's unique (source, customer, channel), so it is sent once;
- refused by Haravan (or no connection any more): the points come back with the reason;
- Haravan down or its bucket full: the claim is handed back and the task retries later.
"""

import datetime
import logging
from enum import Enum

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from haravan.client import HaravanError
from haravan.discounts import DiscountSpec, discount_ensure
from haravan.selectors import connection_with_token
from haravan.services import client_for
from messaging.models import Message
from messaging.services.queue import message_queue, personal_channel
from messaging.sms import sms_plain
from rewards.models import Redemption
from rewards.services import points_return, reward_label

logger = logging.getLogger(__name__)

LEASE = datetime.timedelta(minutes=5)
# Haravan down: a claim handed back waits 1, 2, 4 ... minutes more (never past an hour) for
# the next run, counted in tries.
RETRY_FIRST = datetime.timedelta(seconds=30)
RETRY_MAX = datetime.timedelta(hours=1)
# Haravan refuses a discount that starts in the past.
START_MARGIN = datetime.timedelta(minutes=1)


class Outcome(Enum):
    SENT = "sent"
    RETURNED = "returned"
    RETRY = "retry"  # Haravan may be back later: try again
    NOTHING = "nothing"  # done already, or another run holds it


def code_window(redemption: Redemption, now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    """From (nearly) now until 23:59:59 of the ``valid_days``-th day after the redemption,
    in the shop's zone."""
    zone = redemption.shop.tzinfo
    last = timezone.localtime(redemption.created_at, zone).date() + datetime.timedelta(days=redemption.valid_days)
    return now + START_MARGIN, datetime.datetime.combine(last, datetime.time(23, 59, 59), zone)


def redemption_code_make(*, redemption_id: int) -> Outcome:
    now = timezone.now()
    with transaction.atomic():
        # The claim: read and stamped under the row's lock, so two runs never both take it
        # and each knows whether an earlier try may have reached Haravan.
        waiting = (
            Redemption.objects.select_for_update()
            .filter(pk=redemption_id, state=Redemption.State.WAITING)
            .values_list("pk", "code_tried_at")
            .first()
        )
        if waiting is None:
            return Outcome.NOTHING  # done already
        claim = waiting[1]
        if claim is not None and claim > now - LEASE:
            return Outcome.NOTHING  # another run holds it
        Redemption.objects.filter(pk=redemption_id).update(code_tried_at=now, code_attempts=F("code_attempts") + 1)
    tried_before = claim is not None
    mine = Q(pk=redemption_id, state=Redemption.State.WAITING, code_tried_at=now)
    redemption = Redemption.objects.select_related("shop", "customer").get(pk=redemption_id)
    starts_at, ends_at = code_window(redemption, now)
    if ends_at <= starts_at:
        return _returned(redemption, now, _("The code's validity ended before it could be made."))
    connection = connection_with_token(shop_id=redemption.shop_id)
    if connection is None:
        return _returned(redemption, now, _("The shop is no longer connected to Haravan."))
    spec = DiscountSpec(
        code=redemption.code,
        discount_type=redemption.kind,
        value=redemption.value,
        minimum_order_amount=redemption.minimum_order,
        starts_at=starts_at,
        ends_at=ends_at,
        usage_limit=1,
        once_per_customer=True,
        zone=redemption.shop.tzinfo,
    )
    client = client_for(connection)
    try:
        discount = discount_ensure(client=client, spec=spec, may_exist=tried_before)
    except HaravanError as error:
        if error.retryable:
            # Keep the stamp's meaning (a create may have gone through: the next run looks it
            # up) but hand the claim back, later the more often it was tried (Haravan down
            # for long is not asked every minute).
            wait = min(RETRY_MAX, RETRY_FIRST * 2 ** min(max(redemption.code_attempts - 1, 0), 10))
            Redemption.objects.filter(mine).update(
                code_tried_at=timezone.now() - LEASE + wait, reason=error.message[:255]
            )
            logger.info("Redemption %s: Haravan may be back later: %s", redemption_id, error.message)
            return Outcome.RETRY
        return _returned(redemption, now, error.message)
    finally:
        client.close()
    with transaction.atomic():
        sent = Redemption.objects.filter(mine).update(
            state=Redemption.State.SENT,
            discount_id=discount.id,
            ends_at=discount.ends_at or ends_at,
            sent_at=timezone.now(),
            reason="",
        )
        if not sent:
            return Outcome.NOTHING  # this run's claim was over and another run took it
        redemption.refresh_from_db()
        _message_queue(redemption)
    return Outcome.SENT


def _returned(redemption: Redemption, claimed_at: datetime.datetime, reason: str) -> Outcome:
    logger.info("Redemption %s: code not made: %s", redemption.pk, reason)
    done = points_return(
        redemption_id=redemption.pk, state=Redemption.State.RETURNED, reason=reason, claimed_at=claimed_at
    )
    return Outcome.RETURNED if done else Outcome.NOTHING


def _message_queue(redemption: Redemption) -> None:
    """The code, to the member by their channel (SMS when they accept it, else email), in
    Vietnamese, as a one-to-one message (ahead of campaigns in the outbox, never advertising:
    it is what they asked for)."""
    customer = redemption.customer
    channel = personal_channel(customer)
    with translation.override("vi"):
        what = reward_label(kind=redemption.kind, value=redemption.value, minimum_order=redemption.minimum_order)
        until = timezone.localtime(redemption.ends_at, redemption.shop.tzinfo).strftime("%d/%m/%Y")
        if channel == Message.Channel.SMS:
            text = _("%(shop)s: your reward code %(code)s: %(what)s, valid until %(until)s.") % {
                "shop": redemption.shop.name,
                "code": redemption.code,
                "what": what,
                "until": until,
            }
            body = sms_plain(text)  # the 7-bit alphabet: 160 characters a part, not 70
            subject = ""
        else:
            subject = _("Your reward code at %(shop)s") % {"shop": redemption.shop.name}
            body = _(
                "Hello %(name)s,\n\nYou redeemed %(points)d points for: %(reward)s (%(what)s).\n\n"
                "Your code: %(code)s\nValid until: %(until)s, for one order at %(shop)s.\n"
            ) % {
                "name": customer.name or customer.phone,
                "points": redemption.points,
                "reward": redemption.name,
                "what": what,
                "code": redemption.code,
                "until": until,
                "shop": redemption.shop.name,
            }
        label = _("Reward code %(code)s") % {"code": redemption.code}
    message_queue(
        shop=redemption.shop,
        customer=customer,
        channel=channel,
        source=f"reward:{redemption.pk}",
        source_label=label,
        subject=subject,
        body=body,
    )
