"""Customers: matching and writing what a platform knows of them, and staff's edits."""

import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import bulk_update_rows
from core.text import fold
from members.locks import customers_lock
from members.models import Customer
from members.records import CustomerData
from shops.activity import audited_update
from shops.models import ActivityKind, Shop, User


def _apply_contact(customer: Customer, data: CustomerData, *, known: bool = True) -> list[str]:
    """Copy what the platform knows onto the customer; returns the changed fields. On a
    ``known`` customer, a birthday entered or changed is stamped (it earns no birthday gift
    for 30 days); a new customer's birthday came with them."""
    changed = []
    for name in ("name", "email", "birthday", "gender", "city", "haravan_id"):
        value = getattr(data, name)
        if value not in (None, "") and getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    if "name" in changed:
        customer.search_name = fold(customer.name)
        changed.append("search_name")
    if "birthday" in changed and known:
        customer.birthday_changed_at = timezone.now()
        changed.append("birthday_changed_at")
    if data.accepts_email is not None and customer.accepts_email != data.accepts_email:
        customer.accepts_email = data.accepts_email
        changed.append("accepts_email")
    return changed


# What customers_upsert reads of a matched customer (the rest stays deferred).
_CONTACT_FIELDS = ("pk", "phone", "haravan_id", "name", "email", "birthday", "gender", "city", "accepts_email")


def customers_upsert(*, shop: Shop, items: list[CustomerData]) -> dict[str, int]:
    """Create or update many customers in a few queries; returns each given phone's
    customer id. A customer is matched by platform id, else by phone. A phone is unique per
    shop (a database constraint): two workers creating one customer at once end with one.
    The matched customers are locked, in id order, until the caller's transaction ends."""
    by_phone: dict[str, CustomerData] = {}
    for data in items:
        by_phone[data.phone] = data  # the last word on a phone wins
    if not by_phone:
        return {}
    platform_ids = {data.haravan_id for data in by_phone.values() if data.haravan_id is not None}
    scope = Customer.objects.for_shop(shop)
    found = Q(phone__in=list(by_phone))
    if platform_ids:
        found |= Q(haravan_id__in=platform_ids)
    existing = list(scope.filter(found).only("pk", "phone", "haravan_id"))
    known_phones = {customer.phone for customer in existing}
    known_platform = {customer.haravan_id for customer in existing if customer.haravan_id is not None}
    new = [
        data
        for phone, data in by_phone.items()
        if phone not in known_phones and (data.haravan_id is None or data.haravan_id not in known_platform)
    ]
    if new:
        rows = []
        for data in new:
            customer = Customer(shop=shop, phone=data.phone)
            _apply_contact(customer, data, known=False)
            rows.append(customer)
        Customer.objects.bulk_create(rows, ignore_conflicts=True)
    locked = {customer.pk: customer for customer in customers_lock(scope.filter(found).only(*_CONTACT_FIELDS))}
    platform_index = {c.haravan_id: c for c in locked.values() if c.haravan_id is not None}
    phone_index = {c.phone: c for c in locked.values()}
    result: dict[str, int] = {}
    changed_rows: dict[int, Customer] = {}
    changed_fields: set[str] = set()
    for phone, data in by_phone.items():
        by_platform = platform_index.get(data.haravan_id) if data.haravan_id is not None else None
        customer = by_platform or phone_index[phone]
        fields = _apply_contact(customer, data)
        if customer.phone != phone and phone not in phone_index:
            # The platform changed the number: move to it, as no other customer holds it.
            phone_index.pop(customer.phone, None)
            customer.phone = phone
            phone_index[phone] = customer
            fields.append("phone")
        if fields:
            changed_rows[customer.pk] = customer
            changed_fields.update(fields)
        result[phone] = customer.pk
    if changed_rows:
        bulk_update_rows(list(changed_rows.values()), sorted(changed_fields))
    return result


def customer_update_contact(
    *,
    shop: Shop,
    actor: User,
    customer: Customer,
    ip: str | None,
    name: str,
    phone: str,
    email: str,
    birthday: datetime.date | None,
    gender: str,
    city: str,
    accepts_email: bool,
    accepts_sms: bool,
) -> bool:
    """Staff edit a customer's contact details; the phone comes normalised from the form
    and stays unique in the shop (a database constraint)."""
    customer = Customer.objects.for_shop(shop).get(pk=customer.pk)
    changed = audited_update(
        instance=customer,
        values={
            "name": name,
            "phone": phone,
            "email": email,
            "birthday": birthday,
            "gender": gender,
            "city": city,
            "accepts_email": accepts_email,
            "accepts_sms": accepts_sms,
        },
        shop=shop,
        actor=actor,
        kind=ActivityKind.CUSTOMER_CHANGED,
        summary=lambda row, fields: (
            _("Details of %(customer)s changed: %(fields)s.")
            % {"customer": row.name or row.phone, "fields": ", ".join(fields)}
        ),
        target_label=lambda row: f"{row.name} ({row.phone})",
        also=_fold_name,
        ip=ip,
    )
    return bool(changed)


def _fold_name(customer: Customer, changed: list[str]) -> list[str]:
    customer.search_name = fold(customer.name)
    if "birthday" in changed:
        customer.birthday_changed_at = timezone.now()
        return ["search_name", "birthday_changed_at"]
    return ["search_name"]
