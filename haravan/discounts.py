"""Haravan discounts: the promo codes campaigns send, made so that each exists once and works
as it was described to the customer.

Haravan's API has no idempotency key. A code's name is deterministic (the caller's), so
``discount_ensure`` looks the code up whenever an earlier try may have created it (a create
whose answer was lost, or a worker that died mid-call) and creates it only when it is not
there. What Haravan stored is compared with what was asked: a code that would not do what
the message says is disabled at once and refused with the reason.

Known limitation: Haravan's discount codes have no cap on a percentage's amount (its API
documents none), so an offer "20 %, at most 100,000 ₫" cannot be made as a unique code; the
caller refuses it rather than make a code that gives more than promised.
"""

import datetime
import hashlib
import hmac
import logging
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from haravan.client import MAX_BACKOFF_SECONDS, HaravanClient, HaravanError

logger = logging.getLogger(__name__)

DISCOUNT_TYPES = ("fixed_amount", "percentage", "shipping")
# Upper-case letters and digits a reader cannot mistake for one another (no O/0, I/1).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_HASH_LENGTH = 8  # 32**8: about 10**12 codes, so one cannot be guessed from another
SHOP_ZONE = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def readable_code(*, prefix: str, message: str) -> str:
    """A promo code: ``prefix`` and a keyed hash of ``message`` (what the code is for). The
    same every time it is asked, so a retry makes the same code; unguessable without the
    deployment's SECRET_KEY; easy to read aloud."""
    digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")  # 40 bits: 8 characters of 5 bits
    return prefix + "".join(CODE_ALPHABET[(number >> (5 * index)) & 31] for index in range(CODE_HASH_LENGTH))


@dataclass(frozen=True)
class DiscountSpec:
    """A discount as we ask Haravan for it. Times are aware; they are sent with the shop's
    offset (+07:00 for Vietnam) so that what Haravan reads is the moment meant, whatever zone
    it assumes for a naive time. ``value`` is whole đồng for a fixed amount, a percent for a
    percentage, and ignored for free shipping."""

    code: str
    discount_type: str
    value: int
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    minimum_order_amount: int = 0
    usage_limit: int | None = 1
    once_per_customer: bool = True
    zone: datetime.tzinfo = SHOP_ZONE

    def __post_init__(self) -> None:
        if self.discount_type not in DISCOUNT_TYPES:
            raise ValueError(f"unknown discount type {self.discount_type!r}")
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise ValueError("a discount's times must be aware")
        if self.ends_at <= self.starts_at:
            raise ValueError("a discount must end after it starts")
        if not self.code.strip():
            raise ValueError("a discount needs a code")

    def payload(self) -> dict[str, Any]:
        return {
            "discount": {
                "code": self.code,
                "discount_type": self.discount_type,
                "value": 0 if self.discount_type == "shipping" else self.value,
                "minimum_order_amount": self.minimum_order_amount,
                "usage_limit": self.usage_limit,
                "once_per_customer": self.once_per_customer,
                # Once on the order, not once per item in the cart.
                "applies_once": True,
                "applies_to_resource": None,  # every order
                "starts_at": self._time(self.starts_at),
                "ends_at": self._time(self.ends_at),
            }
        }

    def _time(self, moment: datetime.datetime) -> str:
        return moment.astimezone(self.zone).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Discount:
    """A discount as Haravan stored it."""

    id: int
    code: str
    discount_type: str
    value: Decimal
    minimum_order_amount: Decimal
    usage_limit: int | None
    starts_at: datetime.datetime | None
    ends_at: datetime.datetime | None
    status: str

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "Discount":
        limit = data.get("usage_limit")
        return cls(
            id=int(data["id"]),
            code=str(data.get("code") or ""),
            discount_type=str(data.get("discount_type") or ""),
            value=_decimal(data.get("value")),
            minimum_order_amount=_decimal(data.get("minimum_order_amount")),
            usage_limit=int(limit) if limit not in (None, "") else None,
            starts_at=_time(data.get("starts_at")),
            ends_at=_time(data.get("ends_at")),
            status=str(data.get("status") or "enabled"),
        )


def discount_find(*, client: HaravanClient, code: str) -> Discount | None:
    """The discount with this code (codes are case-insensitive), or None."""
    found = client.get("/com/discounts.json", {"code": code}).get("discounts")
    if not isinstance(found, list):
        raise HaravanError(
            _("Haravan's answer has no list of %(resource)s.") % {"resource": "discounts"}, retryable=True
        )
    for item in found:
        if isinstance(item, dict) and str(item.get("code") or "").casefold() == code.casefold():
            return Discount.from_payload(item)
    return None


def discount_disable(*, client: HaravanClient, discount_id: int) -> None:
    client.put(f"/com/discounts/{discount_id}/disable.json")


def discount_ensure(*, client: HaravanClient, spec: DiscountSpec, may_exist: bool = False) -> Discount:
    """The discount ``spec`` describes, made in Haravan once. ``may_exist``: an earlier try
    may have created it (the caller's record says so), so look before creating.

    Raises ``HaravanError``: retryable for what may pass (rate limit, Haravan down, an
    answer lost and the look-up failing too; a later call with ``may_exist`` goes on from
    there); not retryable for a code Haravan refused or stored differently (then disabled)."""
    if may_exist:
        found = discount_find(client=client, code=spec.code)
        if found is not None:
            return _checked(client=client, spec=spec, discount=found)
    attempts = 0
    while True:
        attempts += 1
        try:
            answer = client.post("/com/discounts.json", spec.payload())
        except HaravanError as error:
            if error.status == 422:
                # Codes are the callers' keyed names: "already taken" is an earlier try of
                # ours (another run's, or a lost answer the look-up did not see yet).
                found = discount_find(client=client, code=spec.code)
                if found is not None:
                    return _checked(client=client, spec=spec, discount=found)
            if not error.maybe_applied:
                raise
            logger.warning("Haravan create of discount %s may have been applied: %s", spec.code, error.message)
            found = discount_find(client=client, code=spec.code)
            if found is not None:
                return _checked(client=client, spec=spec, discount=found)
            if attempts >= client.max_attempts:
                raise
            client.sleep(min(MAX_BACKOFF_SECONDS, settings.HARAVAN_BACKOFF_SECONDS * 2**attempts))
            continue
        stored = answer.get("discount")
        if not isinstance(stored, dict) or not stored.get("id"):
            # Made, but the answer does not say what: read it back by its code.
            found = discount_find(client=client, code=spec.code)
            if found is None:
                raise HaravanError(
                    _("Haravan accepted the code %(code)s but did not return it. Try again later.")
                    % {"code": spec.code},
                    retryable=True,
                )
            return _checked(client=client, spec=spec, discount=found)
        return _checked(client=client, spec=spec, discount=Discount.from_payload(stored))


def discount_differences(*, spec: DiscountSpec, discount: Discount) -> list[str]:
    """What Haravan stored that is not what was asked, as staff read it; empty when equal."""
    asked, stored = spec, discount
    wrong = []

    def differs(label: str, want: object, got: object) -> None:
        wrong.append(_("%(field)s is %(got)s, not %(want)s") % {"field": label, "got": got, "want": want})

    if stored.code.casefold() != asked.code.casefold():
        differs(_("code"), asked.code, stored.code)
    if stored.discount_type != asked.discount_type:
        differs(_("type"), asked.discount_type, stored.discount_type)
    if asked.discount_type != "shipping" and stored.value != asked.value:
        differs(_("value"), asked.value, _plain(stored.value))
    if stored.minimum_order_amount != asked.minimum_order_amount:
        differs(_("minimum order"), asked.minimum_order_amount, _plain(stored.minimum_order_amount))
    if stored.usage_limit is not None and stored.usage_limit != asked.usage_limit:
        differs(_("usage limit"), asked.usage_limit, stored.usage_limit)
    # Sent to the second; Haravan may keep fractions or answer in another zone. A code found
    # again on a later try started at the first try's moment: starting earlier than asked is
    # what it does, starting later is not.
    if stored.starts_at is None or (stored.starts_at - asked.starts_at).total_seconds() >= 1:
        differs(
            _("start"), spec._time(asked.starts_at), spec._time(stored.starts_at) if stored.starts_at else _("empty")
        )
    if stored.ends_at is None or abs((stored.ends_at - asked.ends_at).total_seconds()) >= 1:
        differs(_("end"), spec._time(asked.ends_at), spec._time(stored.ends_at) if stored.ends_at else _("empty"))
    if stored.status != "enabled":
        differs(_("status"), "enabled", stored.status)
    return wrong


def _checked(*, client: HaravanClient, spec: DiscountSpec, discount: Discount) -> Discount:
    wrong = discount_differences(spec=spec, discount=discount)
    if not wrong:
        return discount
    if discount.status == "enabled":
        # A code that does not do what the message says must not be usable. If this fails,
        # the error is retryable: the next try finds the code again and disables it then.
        discount_disable(client=client, discount_id=discount.id)
    raise HaravanError(
        _("Haravan stored the code %(code)s differently from what was asked (%(wrong)s), so it was disabled.")
        % {"code": spec.code, "wrong": "; ".join(wrong)},
        retryable=False,
    )


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0))
    except InvalidOperation:
        return Decimal(-1)  # never equal to what was asked: the read-back refuses it


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral_value() else str(value)


def _time(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        return None
