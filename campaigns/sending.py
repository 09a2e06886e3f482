"""From a started campaign to its messages in the outbox.

A campaign in PREPARING is worked on by one worker at a time (``worker_until``, a lease that
beat hands on when a worker died). The work is done in steps that may each run again:

1. the audience is taken into ``Recipient`` rows, in batches of customer ids, one
   ``INSERT ... SELECT`` each, under the (campaign, customer) unique constraint: a customer in
   two of its groups, or a batch taken twice after a crash, is one recipient. The holdout is
   chosen in the same statement by a seeded hash of the customer id;
2. with unique codes, the codes are made in Haravan by another task (``campaigns.codes``),
   which holds the campaign while it works and calls ``campaign_codes_done`` when none is
   waiting;
3. the recipients are put into the outbox, one ``INSERT ... SELECT`` per batch and channel,
   under the outbox's (source, customer, channel) unique constraint: every message once.
   Those the channel cannot reach, or whose code could not be made, are recorded SKIPPED
   with the reason; the others wait for the outbox, which checks consent, quiet hours, the
   advertising cap and the quota again just before each message, and asks
   ``campaigns.composer`` for its words.

Nothing here sends: pause, resume and cancel act on the queued messages (``lifecycle``).
"""

import datetime
import hashlib
import logging

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from campaigns.audience import audience_customers
from campaigns.models import Campaign, Offer, Recipient
from members.models import Customer
from messaging.models import Message
from messaging.services import messages_drop, messages_hold, outbox_wake

logger = logging.getLogger(__name__)

State = Campaign.State
CodeState = Recipient.CodeState

# The holdout hash: (id * a + b) mod a prime, scaled to 0-99, with a and b drawn from the
# campaign's seed. Scaled, not "mod 100": on consecutive ids the step a mod 100 could visit
# a few buckets only (a multiple of 50 visits two), so a 10 % holdout could take nobody.
# Integer arithmetic that PostgreSQL and SQLite compute alike (ids below
# 2^31 times a factor below 2^31 stay inside 64 bits), so the choice is made in SQL.
HOLDOUT_PRIME = 2_147_483_647
# Customer ids per INSERT ... SELECT: large enough that a million customers is twenty
# statements, small enough that each is a short transaction.
TAKE_BATCH = 50_000
QUEUE_BATCH = 50_000
# How long a worker may hold a campaign it prepares before beat hands it to another.
WORKER_LEASE = datetime.timedelta(minutes=10)


def holdout_factors(seed: str) -> tuple[int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    factor = int.from_bytes(digest[:8], "big") % (HOLDOUT_PRIME - 1) + 1
    offset = int.from_bytes(digest[8:16], "big") % HOLDOUT_PRIME
    return factor, offset


def is_held_out(*, campaign: Campaign, customer_id: int) -> bool:
    """Whether the customer falls in the campaign's holdout (the SQL below, in Python)."""
    factor, offset = holdout_factors(campaign.holdout_seed)
    return (customer_id * factor + offset) % HOLDOUT_PRIME * 100 // HOLDOUT_PRIME < campaign.holdout_percent


def holdout_sql(campaign: Campaign, alias: str) -> tuple[str, list]:
    """SQL true when the customer row ``alias`` falls in the campaign's holdout, with its
    parameters (``is_held_out`` in SQL)."""
    factor, offset = holdout_factors(campaign.holdout_seed)
    return (
        f"({alias}.id * %s + %s) %% {HOLDOUT_PRIME} * 100 / {HOLDOUT_PRIME} < %s",
        [factor, offset, campaign.holdout_percent],
    )


def reachable_sql(campaign: Campaign, alias: str) -> str:
    """SQL true when one of the campaign's channels reaches the customer row ``alias``: codes
    are made only for those (a code nobody can receive is a waste of Haravan's rate limit)."""
    return (
        " OR ".join(
            {"email": f"({alias}.accepts_email AND {alias}.email LIKE '%%_@_%%')", "sms": f"{alias}.accepts_sms"}[
                channel
            ]
            for channel in campaign.channels
        )
        or "false"
    )


def needs_unique_codes(campaign: Campaign) -> bool:
    offer = campaign.offer
    return campaign.has_offer and offer is not None and offer.codes == Offer.Codes.UNIQUE


def campaign_claim(*, campaign_id: int) -> Campaign | None:
    """The campaign, if it is PREPARING and no live worker holds it; it is this worker's
    for ``WORKER_LEASE``."""
    now = timezone.now()
    claimed = (
        Campaign.objects.filter(pk=campaign_id, state=State.PREPARING)
        .filter(Q(worker_until__isnull=True) | Q(worker_until__lt=now))
        .update(worker_until=now + WORKER_LEASE)
    )
    if not claimed:
        return None
    return Campaign.objects.select_related("shop", "offer").get(pk=campaign_id)


def _release(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(worker_until=None)


def campaign_prepare(*, campaign_id: int) -> str:
    """Take the audience and queue the messages of a PREPARING campaign, or hand it to the
    code maker first. Safe to run twice, or after a worker died at any point. Returns what
    it did ("busy", "codes", "queued", "")."""
    campaign = campaign_claim(campaign_id=campaign_id)
    if campaign is None:
        return "busy"
    handed_on = False
    try:
        if not campaign.recipients_count:
            recipients_take(campaign=campaign)
        if (
            needs_unique_codes(campaign)
            and Recipient.objects.filter(campaign=campaign, code_state=CodeState.WAITING).exists()
        ):
            from campaigns.tasks import make_codes

            # The lease passes to the code maker, which renews it as it goes and hands the
            # campaign back (``campaign_codes_done``); if it dies, beat hands it out again.
            handed_on = True
            transaction.on_commit(lambda: make_codes.delay(campaign.pk))
            return "codes"
        return "queued" if _queue_and_send(campaign) else ""
    finally:
        if not handed_on:
            _release(campaign)


def campaign_renew(*, campaign_id: int) -> bool:
    """The code maker, still at work, keeps the campaign; False once it should stop (the
    campaign was paused or cancelled)."""
    return bool(
        Campaign.objects.filter(pk=campaign_id, state=State.PREPARING).update(
            worker_until=timezone.now() + WORKER_LEASE
        )
    )


def campaign_codes_done(*, campaign_id: int, wait: datetime.timedelta | None = None) -> str:
    """The code maker is done with the campaign: no code waits any more (the messages are
    queued now), or Haravan stopped it for a while (``wait``: beat hands the campaign out
    again after it, to go on with the codes left)."""
    if wait is not None:
        Campaign.objects.filter(pk=campaign_id).update(worker_until=timezone.now() + wait)
        return "waiting"
    Campaign.objects.filter(pk=campaign_id).update(worker_until=None)
    return campaign_prepare(campaign_id=campaign_id)


def recipients_take(*, campaign: Campaign) -> int:
    """Take the campaign's audience into recipients, batch by batch of customer ids, and
    count them. A batch taken again adds nobody."""
    shop = campaign.shop
    audience = audience_customers(
        shop=shop, audience=campaign.audience, tier_ids=campaign.tier_ids, group_ids=campaign.group_ids
    )
    bounds = Customer.objects.for_shop(shop).aggregate(low=Min("pk"), high=Max("pk"))
    held, held_params = holdout_sql(campaign, "a")
    waiting = CodeState.WAITING if needs_unique_codes(campaign) else CodeState.NONE
    table = connection.ops.quote_name(Recipient._meta.db_table)
    customers_table = connection.ops.quote_name(Customer._meta.db_table)
    if bounds["low"] is not None:
        low = bounds["low"] - 1
        while low < bounds["high"]:
            high = low + TAKE_BATCH
            try:
                ids_sql, ids_params = (
                    audience.filter(pk__gt=low, pk__lte=high).values_list("pk").query.sql_with_params()
                )
            except EmptyResultSet:  # an audience that cannot match anyone (no group of the shop)
                break
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (campaign_id, customer_id, held_out, code, code_state, code_error) "
                    f"SELECT %s, a.id, {held}, '', CASE WHEN {held} OR NOT ({reachable_sql(campaign, 'a')}) "
                    f"THEN '' ELSE %s END, '' "
                    f"FROM {customers_table} a WHERE a.id > %s AND a.id <= %s AND a.id IN ({ids_sql}) "
                    "ON CONFLICT (campaign_id, customer_id, occasion) DO NOTHING",
                    [campaign.pk, *held_params, *held_params, waiting, low, high, *ids_params],
                )
            low = high
    recipients = Recipient.objects.filter(campaign=campaign)
    total = recipients.count()
    held_out = recipients.filter(held_out=True).count()
    needed = recipients.filter(code_state=CodeState.WAITING).count() if waiting else 0
    Campaign.objects.filter(pk=campaign.pk).update(recipients_count=total, held_out_count=held_out, codes_needed=needed)
    campaign.recipients_count, campaign.held_out_count, campaign.codes_needed = total, held_out, needed
    return total


def _reasons() -> dict[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        return {
            "no_email": _("This customer has no email address."),
            "bad_email": _("This customer's email address is not valid."),
            "email_refused": _("This customer does not accept email (unsubscribed)."),
            "sms_refused": _("This customer does not accept SMS."),
            "code_failed": _("The promo code could not be made in Haravan: "),
        }


def _channel_sql(channel: str) -> tuple[str, str, list[str]]:
    """The recipient column, and the CASE that says why the channel cannot reach a customer
    (NULL when it can), with its parameters."""
    reasons = _reasons()
    code = "WHEN r.code_state = 'failed' THEN %s || r.code_error"
    if channel == Message.Channel.EMAIL:
        return (
            "c.email",
            f"CASE {code} WHEN c.email = '' THEN %s WHEN c.email NOT LIKE '%%_@_%%' THEN %s "
            "WHEN NOT c.accepts_email THEN %s ELSE NULL END",
            [reasons["code_failed"], reasons["no_email"], reasons["bad_email"], reasons["email_refused"]],
        )
    return (
        "c.phone",
        f"CASE {code} WHEN NOT c.accepts_sms THEN %s ELSE NULL END",
        [reasons["code_failed"], reasons["sms_refused"]],
    )


def messages_queue(*, campaign: Campaign) -> int:
    """Put the campaign's recipients into the outbox, one statement per batch and channel;
    those a channel cannot reach are recorded SKIPPED with the reason. Running it again
    adds nothing. Returns how many rows were inserted."""
    table = connection.ops.quote_name(Message._meta.db_table)
    recipients_table = connection.ops.quote_name(Recipient._meta.db_table)
    customers_table = connection.ops.quote_name(Customer._meta.db_table)
    bounds = Recipient.objects.filter(campaign=campaign).aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return 0
    now = timezone.now()
    label = campaign.name[:200]
    inserted = 0
    for channel in campaign.channels:
        address, problem, problem_params = _channel_sql(channel)
        low = bounds["low"] - 1
        while low < bounds["high"]:
            high = low + QUEUE_BATCH
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"INSERT INTO {table} (shop_id, customer_id, channel, source, source_label, recipient, subject, "
                    "body, sms_parts, priority, advertising, composer, status, attempts, next_attempt_at, "
                    "lease_token, error, provider_id, created_at) "
                    f"SELECT %s, c.id, %s, %s, %s, {address}, '', '', 0, 1, %s, 'campaign', "
                    f"CASE WHEN {problem} IS NULL THEN %s ELSE %s END, 0, %s, '', COALESCE({problem}, ''), '', %s "
                    f"FROM {recipients_table} r JOIN {customers_table} c ON c.id = r.customer_id "
                    "WHERE r.campaign_id = %s AND r.held_out = %s AND r.id > %s AND r.id <= %s "
                    "ON CONFLICT (shop_id, source, customer_id, channel, occasion) DO NOTHING",
                    [
                        campaign.shop_id,
                        channel,
                        campaign.source,
                        label,
                        campaign.advertising,
                        *problem_params,
                        Message.Status.QUEUED,
                        Message.Status.SKIPPED,
                        now,
                        *problem_params,
                        now,
                        campaign.pk,
                        False,
                        low,
                        high,
                    ],
                )
                inserted += max(cursor.rowcount, 0)
            low = high
    return inserted


def _queue_and_send(campaign: Campaign) -> bool:
    """Queue the messages and move the campaign to SENDING. Staff may have paused or
    cancelled it meanwhile: a pause holds the source before anything is queued (the
    outbox leaves held messages alone), a cancel drops what was queued."""
    messages_queue(campaign=campaign)
    now = timezone.now()
    with transaction.atomic():
        current = Campaign.objects.select_for_update().get(pk=campaign.pk)
        Campaign.objects.filter(pk=campaign.pk).update(queued_at=now)
        if current.state == State.CANCELLED:
            messages_drop(shop=campaign.shop, source=campaign.source, reason=cancelled_reason())
            return False
        if current.state != State.PREPARING:
            return False  # paused: its hold keeps the messages until it is resumed
        Campaign.objects.filter(pk=campaign.pk).update(state=State.SENDING, state_reason="")
        for channel in campaign.channels:
            outbox_wake(shop_id=campaign.shop_id, channel=channel)
    return True


def cancelled_reason() -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return _("The campaign was cancelled before this message was sent.")


def campaign_hold(*, campaign: Campaign) -> None:
    messages_hold(shop=campaign.shop, source=campaign.source)


def campaigns_finish() -> int:
    """SENDING campaigns with no message left waiting or being sent are FINISHED."""
    finished = 0
    for campaign in Campaign.objects.filter(state=State.SENDING).only("pk", "shop_id"):
        busy = Message.objects.filter(
            shop_id=campaign.shop_id,
            source=campaign.source,
            status__in=[Message.Status.QUEUED, Message.Status.SENDING],
        ).exists()
        if not busy:
            finished += Campaign.objects.filter(pk=campaign.pk, state=State.SENDING).update(
                state=State.FINISHED, finished_at=timezone.now()
            )
    return finished


def campaigns_due() -> list[int]:
    """Beat's view of the campaigns that need a worker: SCHEDULED ones whose time has come
    move to PREPARING (one beat wins the UPDATE); PREPARING ones that no live worker holds
    are handed out again (a worker died, or the code maker finished)."""
    now = timezone.now()
    for pk in Campaign.objects.filter(state=State.SCHEDULED, send_at__lte=now).values_list("pk", flat=True):
        Campaign.objects.filter(pk=pk, state=State.SCHEDULED).update(state=State.PREPARING)
    return list(
        Campaign.objects.filter(state=State.PREPARING)
        .filter(Q(worker_until__isnull=True) | Q(worker_until__lt=now))
        .values_list("pk", flat=True)
    )
