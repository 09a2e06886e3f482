"""A campaign's unique promo codes: named, given their validity, and made in Haravan ahead of
the send.

The engine takes the audience with each recipient's ``code`` named by ``code_name`` and its
``code_state`` "waiting"; ``codes_make`` makes those codes through the shop's Haravan
connection, in id order, batch by batch. Each recipient's code is made once:

- a worker claims a batch by stamping ``code_tried_at`` (skipping rows another worker holds,
  for ``LEASE``); a row stamped before may have reached Haravan, so its code is looked up
  before it is created (``haravan.discounts.discount_ensure``);
- a code Haravan refuses, or stores otherwise, fails that recipient with the reason (the
  engine skips it: nobody is sent a code that does not work);
- Haravan down or its bucket exhausted stops the run with the reason on the campaign; the
  rest wait for the next run.
"""

import datetime
import logging
import time
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import Campaign, Offer, Recipient
from core.text import fold
from haravan.client import HaravanError
from haravan.discounts import CODE_ALPHABET, Discount, DiscountSpec, discount_ensure, readable_code
from haravan.selectors import connection_with_token
from haravan.services import client_for
from shops.models import Shop

logger = logging.getLogger(__name__)

BATCH = 25  # about 6 s of Haravan's bucket at 4 requests a second
# A claimed row is another worker's for this long (a batch takes seconds; a full bucket's
# waits, a minute or two at worst).
LEASE = datetime.timedelta(minutes=10)
# Haravan refuses a discount that starts in the past: a code starts at the earliest this
# long after it is made.
START_MARGIN = datetime.timedelta(minutes=1)
# What a run may still do when Haravan has a problem: these stop the run for the whole
# campaign (the token, the address), the rest fail just the one code.
STOPPING_STATUSES = (401, 403, 404)
MAKEABLE_STATES = (
    Campaign.State.SCHEDULED,
    Campaign.State.PREPARING,
    Campaign.State.SENDING,
    Campaign.State.ACTIVE,  # an automation that is on
)


@dataclass(frozen=True)
class CodesResult:
    made: int = 0
    failed: int = 0
    waiting: int = 0  # codes still to make after this run
    stopped: str = ""  # why the run stopped before the end, as staff read it
    retry: bool = False  # stopped by what may pass (Haravan down, its bucket, the run's budget)
    budget_spent: bool = False  # stopped only because the run's time was up: go on at once

    @property
    def done(self) -> bool:
        return self.waiting == 0


def code_name(*, campaign: Campaign, customer_id: int, occasion: str = "") -> str:
    """A recipient's code: the campaign's initials (or "KM", khuyến mãi) and a keyed hash of
    (shop, campaign, customer, and an automation's occasion: a birthday's year). The same
    every time it is asked, so a retry makes the same code; unguessable without the
    deployment's SECRET_KEY; easy to read aloud."""
    initials = "".join(word[0] for word in fold(campaign.name).upper().split() if word[0] in CODE_ALPHABET)[:2]
    prefix = initials if len(initials) == 2 else "KM"
    key = f"{campaign.shop_id}:{campaign.pk}:{customer_id}" + (f":{occasion}" if occasion else "")
    return readable_code(prefix=prefix, message=f"campaign-code:{key}")


def offer_window(
    *, offer: Offer, shop: Shop, send_at: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    """When the offer's codes work, in the shop's zone: "days" from the send until 23:59:59
    of the N-th day after the send date; "dates" from 00:00 of the first day (the send's day
    if none) until 23:59:59 of the last."""
    zone = shop.tzinfo
    end_of_day = datetime.time(23, 59, 59)
    if offer.validity == Offer.Validity.DATES:
        if offer.ends_on is None:
            raise ValueError("an offer valid between dates needs its last day")
        first = offer.starts_on or send_at.astimezone(zone).date()
        starts = datetime.datetime.combine(first, datetime.time(0, 0), zone)
        return starts, datetime.datetime.combine(offer.ends_on, end_of_day, zone)
    last = send_at.astimezone(zone).date() + datetime.timedelta(days=offer.valid_days or 0)
    return send_at, datetime.datetime.combine(last, end_of_day, zone)


@dataclass(frozen=True)
class _Claimed:
    id: int
    code: str
    tried_before: bool
    send_at: datetime.datetime | None = None  # an automation's recipient: when its message goes


def codes_make(*, campaign_id: int, budget_seconds: float | None = None) -> CodesResult:
    """Make the campaign's waiting codes until none is left, Haravan stops us, or the
    run's ``budget_seconds`` is spent. Safe to run twice, and twice at once."""
    campaign = Campaign.objects.select_related("shop", "offer").get(pk=campaign_id)
    offer = campaign.offer
    if campaign.state not in MAKEABLE_STATES or offer is None or offer.codes != Offer.Codes.UNIQUE:
        return CodesResult(waiting=_waiting(campaign_id))
    now = timezone.now()
    starts_at, ends_at = offer_window(
        offer=offer, shop=campaign.shop, send_at=campaign.send_at or campaign.started_at or now
    )
    if offer.kind == Offer.Kind.PERCENTAGE and offer.max_amount:
        return _fail_all(
            campaign,
            _(
                "Haravan's discount codes cannot cap a percentage: remove the cap, "
                "or use a shared code made in Haravan."
            ),
        )
    if ends_at <= now + START_MARGIN and not campaign.automated:
        return _fail_all(campaign, _("The offer's validity ended before its codes could be made."))
    connection = connection_with_token(shop_id=campaign.shop_id)
    if connection is None:
        return _stop(
            campaign,
            _("Unique codes need the Haravan connection: save an access token on the Haravan page."),
            retry=False,
        )
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    made = failed = 0
    stopped, retry, budget_spent = "", False, False
    client = client_for(connection)
    try:
        while not stopped:
            if not Campaign.objects.filter(pk=campaign_id, state__in=MAKEABLE_STATES).exists():
                break  # paused or cancelled meanwhile: the rest wait
            rows = _claim(campaign_id)
            if not rows:
                break
            for index, row in enumerate(rows):
                if deadline is not None and time.monotonic() > deadline:
                    _release(rows[index:])
                    stopped, retry, budget_spent = _("The codes are being made in several runs."), True, True
                    break
                if campaign.automated:
                    # Each recipient's window starts at its own send (a birthday's day).
                    starts_at, ends_at = offer_window(offer=offer, shop=campaign.shop, send_at=row.send_at or now)
                    if ends_at <= timezone.now() + START_MARGIN:
                        failed += _failed(campaign_id, row, _("The offer's validity ended before its code was made."))
                        continue
                spec = DiscountSpec(
                    code=row.code,
                    discount_type=offer.kind,
                    value=0 if offer.kind == Offer.Kind.SHIPPING else offer.value,
                    minimum_order_amount=offer.minimum_order,
                    starts_at=max(starts_at, timezone.now() + START_MARGIN),
                    ends_at=ends_at,
                    usage_limit=1,
                    once_per_customer=True,
                    zone=campaign.shop.tzinfo,
                )
                try:
                    discount = discount_ensure(client=client, spec=spec, may_exist=row.tried_before)
                except HaravanError as error:
                    if error.retryable or error.status in STOPPING_STATUSES:
                        # This row keeps its stamp (a create may have gone through: the next
                        # run looks it up); the others are handed back untouched.
                        _release(rows[index + 1 :])
                        _release([_Claimed(row.id, row.code, tried_before=True, send_at=row.send_at)])
                        stopped, retry = error.message, error.retryable
                        break
                    failed += _failed(campaign_id, row, error.message)
                else:
                    made += _made(campaign_id, row, discount, ends_at)
    finally:
        client.close()
    waiting = _waiting(campaign_id)
    if stopped and not budget_spent:
        Campaign.objects.filter(pk=campaign_id).update(state_reason=stopped)
    elif made:
        Campaign.objects.filter(pk=campaign_id).update(state_reason="")  # an earlier problem has passed
    return CodesResult(
        made=made, failed=failed, waiting=waiting, stopped=stopped, retry=retry, budget_spent=budget_spent
    )


def _claim(campaign_id: int) -> list[_Claimed]:
    """The next batch of waiting codes, stamped as this run's. Rows another worker holds are
    skipped (locked rows on PostgreSQL; on any database, rows whose stamp is within the
    lease: the stamping UPDATE re-checks it, and only rows stamped with this run's moment
    are taken)."""
    now = timezone.now()
    free = Q(code_tried_at__isnull=True) | Q(code_tried_at__lt=now - LEASE)
    with transaction.atomic():
        candidates = list(
            Recipient.objects.select_for_update(skip_locked=True)
            .filter(free, campaign_id=campaign_id, code_state=Recipient.CodeState.WAITING, held_out=False)
            .order_by("id")
            .values_list("id", "code", "code_tried_at", "customer_id", "occasion", "send_at")[:BATCH]
        )
        if not candidates:
            return []
        Recipient.objects.filter(free, pk__in=[row[0] for row in candidates]).update(code_tried_at=now)
        mine = set(
            Recipient.objects.filter(pk__in=[row[0] for row in candidates], code_tried_at=now).values_list(
                "pk", flat=True
            )
        )
        # The engine takes the audience without names (a million HMACs would slow the
        # start): each code is named when it is first claimed, the same name every time.
        unnamed = [row for row in candidates if row[0] in mine and not row[1]]
        if unnamed:
            campaign = Campaign.objects.only("pk", "shop_id", "name").get(pk=campaign_id)
            named = {
                pk: code_name(campaign=campaign, customer_id=customer_id, occasion=occasion)
                for pk, _c, _t, customer_id, occasion, _s in unnamed
            }
            for pk, code in named.items():
                Recipient.objects.filter(pk=pk, code="").update(code=code)
            candidates = [
                (pk, named.get(pk, code), tried, customer, occasion, send_at)
                for pk, code, tried, customer, occasion, send_at in candidates
            ]
    return [
        _Claimed(pk, code, tried_before=tried is not None, send_at=send_at)
        for pk, code, tried, _customer, _occasion, send_at in candidates
        if pk in mine
    ]


def _release(rows: list[_Claimed]) -> None:
    """Hand rows back for the next run: never tried, unstamped; tried, with a stamp past
    the lease (so the next run takes them at once, and looks them up)."""
    expired = timezone.now() - LEASE - datetime.timedelta(seconds=1)
    never = [row.id for row in rows if not row.tried_before]
    tried = [row.id for row in rows if row.tried_before]
    waiting = Q(code_state=Recipient.CodeState.WAITING)
    if never:
        Recipient.objects.filter(waiting, pk__in=never).update(code_tried_at=None)
    if tried:
        Recipient.objects.filter(waiting, pk__in=tried).update(code_tried_at=expired)


def _made(campaign_id: int, row: _Claimed, discount: Discount, ends_at: datetime.datetime) -> int:
    with transaction.atomic():
        changed = Recipient.objects.filter(pk=row.id, code_state=Recipient.CodeState.WAITING).update(
            code_state=Recipient.CodeState.MADE,
            discount_id=discount.id,
            code_ends_at=discount.ends_at or ends_at,
            code_error="",
        )
        if changed:
            Campaign.objects.filter(pk=campaign_id).update(codes_made=F("codes_made") + 1)
    return changed


def _failed(campaign_id: int, row: _Claimed, reason: str) -> int:
    logger.info("Campaign %s: code %s could not be made: %s", campaign_id, row.code, reason)
    with transaction.atomic():
        changed = Recipient.objects.filter(pk=row.id, code_state=Recipient.CodeState.WAITING).update(
            code_state=Recipient.CodeState.FAILED, code_error=reason
        )
        if changed:
            Campaign.objects.filter(pk=campaign_id).update(codes_failed=F("codes_failed") + 1)
    return changed


def _fail_all(campaign: Campaign, reason: str) -> CodesResult:
    """A reason that holds for every code of the campaign: each waiting one fails with it,
    in one statement."""
    with transaction.atomic():
        failed = Recipient.objects.filter(campaign_id=campaign.pk, code_state=Recipient.CodeState.WAITING).update(
            code_state=Recipient.CodeState.FAILED, code_error=reason
        )
        Campaign.objects.filter(pk=campaign.pk).update(codes_failed=F("codes_failed") + failed, state_reason=reason)
    return CodesResult(failed=failed, stopped=reason)


def _stop(campaign: Campaign, reason: str, *, retry: bool) -> CodesResult:
    Campaign.objects.filter(pk=campaign.pk).update(state_reason=reason)
    return CodesResult(waiting=_waiting(campaign.pk), stopped=reason, retry=retry)


def _waiting(campaign_id: int) -> int:
    return Recipient.objects.filter(campaign_id=campaign_id, code_state=Recipient.CodeState.WAITING).count()
