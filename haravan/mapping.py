"""Haravan's JSON to our customers and orders, and the webhook topics we act on."""

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime

from members.models import Customer, Order
from members.phones import phone_from_candidates
from members.records import CustomerData, OrderData

# The one place that says which webhook topics do what. Anything else is ignored with a
# log line.
ORDER_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
    }
)
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update", "customers/enable", "customers/disable"})

FINANCIAL_STATUSES = {choice.value for choice in Order.FinancialStatus}
_GENDERS = {"male": Customer.Gender.MALE, "nam": Customer.Gender.MALE, "female": Customer.Gender.FEMALE,
            "nữ": Customer.Gender.FEMALE, "nu": Customer.Gender.FEMALE}  # fmt: skip


def topic_kind(topic: str) -> str | None:
    if topic in ORDER_TOPICS:
        return "order"
    if topic in CUSTOMER_TOPICS:
        return "customer"
    return None


def money(value: Any) -> int:
    """Whole đồng from "1500000.0", 1500000 or None."""
    if value in (None, ""):
        return 0
    try:
        return int(Decimal(str(value)).to_integral_value())
    except InvalidOperation:
        return 0


def when(value: Any) -> datetime.datetime | None:
    if not value:
        return None
    try:
        return parse_datetime(str(value))
    except ValueError:
        return None


def _birthday(value: Any) -> datetime.date | None:
    if not value:
        return None
    text = str(value)[:10]
    try:
        return parse_date(text)
    except ValueError:
        return None


def customer_data(payload: dict[str, Any]) -> CustomerData | None:
    """None when the customer has no valid phone: a phone is how we know a customer."""
    address = payload.get("default_address") or {}
    phone, _raw = phone_from_candidates(payload.get("phone"), address.get("phone"))
    if phone is None:
        return None
    name = " ".join(part for part in (payload.get("last_name"), payload.get("first_name")) if part).strip()
    return CustomerData(
        phone=phone,
        name=name or (address.get("name") or "").strip(),
        email=(payload.get("email") or "").strip().lower(),
        birthday=_birthday(payload.get("birthday")),
        gender=_GENDERS.get(str(payload.get("gender") or "").strip().lower(), ""),
        city=(address.get("province") or address.get("city") or "").strip(),
        haravan_id=int(payload["id"]) if payload.get("id") else None,
        accepts_email=payload.get("accepts_marketing") if isinstance(payload.get("accepts_marketing"), bool) else None,
    )


def _refunded(payload: dict[str, Any], total: int, status: str) -> int:
    refunded = 0
    for refund in payload.get("refunds") or []:
        for transaction in refund.get("transactions") or []:
            if transaction.get("kind", "refund") == "refund" and transaction.get("status", "success") == "success":
                refunded += money(transaction.get("amount"))
    if not refunded and payload.get("total_refunded") is not None:
        refunded = money(payload.get("total_refunded"))
    if status == Order.FinancialStatus.REFUNDED and not refunded:
        refunded = total
    return min(refunded, total)


def order_data(payload: dict[str, Any]) -> OrderData:
    total = money(payload.get("total_price"))
    status = payload.get("financial_status") or Order.FinancialStatus.PENDING
    if status not in FINANCIAL_STATUSES:
        status = Order.FinancialStatus.PENDING
    if status in (Order.FinancialStatus.PAID, Order.FinancialStatus.PARTIALLY_REFUNDED, Order.FinancialStatus.REFUNDED):
        paid = total
    elif status == Order.FinancialStatus.PARTIALLY_PAID:
        paid = min(total, money(payload.get("total_paid") or payload.get("paid_amount")))
    else:
        paid = 0
    person = payload.get("customer") or {}
    billing = payload.get("billing_address") or {}
    shipping = payload.get("shipping_address") or {}
    phone, raw = phone_from_candidates(
        person.get("phone"), payload.get("phone"), billing.get("phone"), shipping.get("phone")
    )
    customer = None
    if phone:
        customer = customer_data({**person, "phone": phone}) if person else None
        if customer is None:
            name = (billing.get("name") or shipping.get("name") or "").strip()
            customer = CustomerData(phone=phone, name=name, email=(payload.get("email") or "").strip().lower())
    created = when(payload.get("created_at"))
    return OrderData(
        source=Order.Source.HARAVAN,
        external_id=str(payload["id"]),
        number=str(payload.get("name") or payload.get("order_number") or payload["id"]),
        total=total,
        paid_amount=paid,
        refunded_amount=_refunded(payload, total, status),
        financial_status=status,
        created_at=created or when(payload.get("updated_at")) or datetime.datetime.now(datetime.UTC),
        updated_at=when(payload.get("updated_at")),
        paid_at=when(payload.get("paid_at")),
        cancelled_at=when(payload.get("cancelled_at")),
        discount_codes=[str(code.get("code")) for code in payload.get("discount_codes") or [] if code.get("code")],
        phone_raw="" if phone else raw,
        customer=customer,
    )


def order_codes(value: Any) -> set[str]:
    """The codes of an order's ``discount_codes``, lower-cased: stored as a list of codes
    (``haravan.mapping``), or of Haravan's {code, amount, type} objects."""
    if not isinstance(value, list):
        return set()
    codes = set()
    for item in value:
        code = item.get("code") if isinstance(item, dict) else item
        if isinstance(code, str) and code.strip():
            codes.add(code.strip().lower())
    return codes
