"""Signing in to the member's own page with a one-time code.

- A code is 6 digits, lasts ``PORTAL_CODE_MINUTES`` (5), works once, and is kept only as a
  keyed hash. A phone gets at most ``PORTAL_CODES_PER_PHONE_HOUR`` codes an hour, an address
  ``PORTAL_CODES_PER_ADDRESS_HOUR`` (an IPv6 address's whole /64), the shop
  ``PORTAL_CODES_PER_SHOP_HOUR`` (its SMS bill); each code takes ``PORTAL_CODE_TRIES`` (5) tries, then it
  is locked and only a new code (within the phone's hourly limit) helps. So one phone can be
  guessed at most 5 × 3 times an hour, against a million codes.
- A phone that is not a member gets the same answer and the same limits: a row is written
  (no code is sent), so the page tells nobody who shops there.
- A worker sends the code by SMS, or by email when the member does not accept SMS, as a
  one-to-one message through the outbox (the request does the same work for any phone: a
  row and a task). What the outbox holds of it is blanked once the code is used or lapses
  (``sign_in_messages_blank``): the only lasting copy is the hash.
"""

import datetime
import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.crypto import encrypt
from members.models import Customer
from members.phones import normalize_phone
from messaging.models import Message
from messaging.services.queue import message_queue, personal_channel
from messaging.sms import sms_plain
from portal.models import SignInCode
from shops.activity import activity_record
from shops.models import ActivityKind, Shop

HOUR = datetime.timedelta(hours=1)
SOURCE_PREFIX = "sign-in:"
BLANKED = "••••••"


@dataclass(frozen=True)
class CodeAsked:
    phone: str  # E.164
    refusal: str = ""  # a limit reached: how long to wait


@dataclass(frozen=True)
class CodeChecked:
    customer: Customer | None = None  # signed in
    refusal: str = ""


def _hash(salt: str, code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), f"sign-in:{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def _wait_message(rows, *, now: datetime.datetime) -> str:
    oldest = min(rows)
    minutes = max(1, int((oldest + HOUR - now).total_seconds() // 60) + 1)
    return ngettext(
        "Too many codes were asked for. Try again in %(minutes)d minute.",
        "Too many codes were asked for. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def sign_in_code_send(*, shop: Shop, raw_phone: str, ip: str | None) -> CodeAsked:
    """Make a code for the phone and send it if the phone is a member's. Raises
    ``members.phones.InvalidPhone`` for a number that cannot be one."""
    phone = normalize_phone(raw_phone)
    with transaction.atomic():
        # Counting and writing under one lock per phone and one per address (in that order),
        # so requests arriving together take turns and the limits hold; SQLite's transactions
        # take its write lock at BEGIN (IMMEDIATE), which does the same.
        address = address_key(ip)
        _lock(f"{shop.pk}:{phone}")
        if address:
            _lock(f"address:{address}")
        now = timezone.now()
        recent = list(
            SignInCode.objects.filter(shop=shop, phone=phone, created_at__gte=now - HOUR).values_list(
                "created_at", flat=True
            )
        )
        if len(recent) >= settings.PORTAL_CODES_PER_PHONE_HOUR:
            return CodeAsked(phone, refusal=_wait_message(recent, now=now))
        if address:
            from_address = list(
                SignInCode.objects.filter(address=address, created_at__gte=now - HOUR).values_list(
                    "created_at", flat=True
                )
            )
            if len(from_address) >= settings.PORTAL_CODES_PER_ADDRESS_HOUR:
                return CodeAsked(phone, refusal=_wait_message(from_address, now=now))
        # The shop's SMS bill: asks spread over many addresses stop at the shop's hourly cap.
        if (
            SignInCode.objects.filter(shop=shop, created_at__gte=now - HOUR).count()
            >= settings.PORTAL_CODES_PER_SHOP_HOUR
        ):
            return CodeAsked(phone, refusal=_("Many members are signing in right now. Try again in a few minutes."))
        customer = Customer.objects.for_shop(shop).filter(phone=phone, member_since__isnull=False).first()
        code = f"{secrets.randbelow(10**6):06d}"
        salt = secrets.token_hex(16)
        row = SignInCode.objects.create(
            shop=shop,
            phone=phone,
            customer=customer,
            salt=salt,
            code_hash=_hash(salt, code),
            ip=ip,
            address=address,
            created_at=now,
            expires_at=now + datetime.timedelta(minutes=settings.PORTAL_CODE_MINUTES),
        )
        # A worker sends it, a member's or not (it sends nothing for a phone that is not a
        # member's): the request does the same work either way, so its time tells nothing.
        # The code travels encrypted; the row keeps only its hash.
        sign_in_code_dispatch(row_id=row.pk, sealed=encrypt(code))
    return CodeAsked(phone)


def sign_in_code_dispatch(*, row_id: int, sealed: str) -> None:
    from portal.tasks import deliver_sign_in_code

    transaction.on_commit(lambda: deliver_sign_in_code.delay(row_id, sealed))


def sign_in_code_deliver(*, row_id: int, code: str) -> bool:
    """The worker's part: queue the code for the row's member, unless the phone is not a
    member's, or the code was used or has lapsed meanwhile. Returns whether it was queued."""
    row = SignInCode.objects.select_related("shop", "customer").filter(pk=row_id).first()
    if row is None or row.customer is None or row.used_at is not None or row.expires_at <= timezone.now():
        return False
    if row.customer.member_since is None:
        return False
    _code_message_queue(shop=row.shop, customer=row.customer, row=row, code=code)
    return True


def address_key(ip: str | None) -> str:
    """The address as the hourly limit counts it: an IPv4 address, or an IPv6 address's /64."""
    if not ip:
        return ""
    try:
        parsed = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


_SIGN_IN_LOCK = 4242  # the advisory lock's first key (the second: a hash of the phone or address)


def _lock(key: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [_SIGN_IN_LOCK, key])


def _code_message_queue(*, shop: Shop, customer: Customer, row: SignInCode, code: str) -> None:
    channel = personal_channel(customer)
    with translation.override("vi"):
        words = {"shop": shop.name, "code": code, "minutes": settings.PORTAL_CODE_MINUTES}
        if channel == Message.Channel.SMS:
            subject = ""
            body = sms_plain(
                _("%(shop)s: your sign-in code is %(code)s, valid for %(minutes)d minutes. Do not share it.") % words
            )
        else:
            subject = _("Your sign-in code at %(shop)s") % words  # not the code: subjects show in lists
            body = (
                _(
                    "Your code to sign in to your member page at %(shop)s is %(code)s.\n\n"
                    "It works for %(minutes)d minutes. Do not share it: the shop never asks for it.\n"
                )
                % words
            )
        label = _("Member page sign-in code")
    message_queue(
        shop=shop,
        customer=customer,
        channel=channel,
        source=f"{SOURCE_PREFIX}{row.pk}",
        source_label=label,
        subject=subject,
        body=body,
    )


def sign_in_code_check(*, shop: Shop, phone: str, code: str, ip: str | None) -> CodeChecked:
    """Check a typed code against the phone's latest one. A wrong code uses one of its
    tries; the right one signs the member in once (and writes an activity-log line)."""
    code = "".join(ch for ch in code if ch.isdigit())
    now = timezone.now()
    with transaction.atomic():
        row = (
            SignInCode.objects.select_for_update().filter(shop=shop, phone=phone).order_by("-created_at", "-pk").first()
        )
        if row is None or row.used_at is not None or row.expires_at <= now:
            return CodeChecked(refusal=_("This code has lapsed or was used. Ask for a new code."))
        if row.tries >= settings.PORTAL_CODE_TRIES:
            return CodeChecked(refusal=_("This code was typed wrong too many times and is locked. Ask for a new code."))
        SignInCode.objects.filter(pk=row.pk).update(tries=F("tries") + 1)
        right = len(code) == 6 and hmac.compare_digest(row.code_hash, _hash(row.salt, code))
        customer = None
        if right and row.customer_id is not None:
            customer = Customer.objects.for_shop(shop).filter(pk=row.customer_id, member_since__isnull=False).first()
        if customer is None:
            left = settings.PORTAL_CODE_TRIES - row.tries - 1
            if left <= 0:
                return CodeChecked(
                    refusal=_("This code was typed wrong too many times and is locked. Ask for a new code.")
                )
            return CodeChecked(
                refusal=ngettext(
                    "The code is not right. %(count)d more try.", "The code is not right. %(count)d more tries.", left
                )
                % {"count": left}
            )
        SignInCode.objects.filter(pk=row.pk).update(used_at=now)
        activity_record(
            shop=shop,
            actor=None,
            kind=ActivityKind.MEMBER_SIGNED_IN,
            target=customer,
            target_label=f"{customer.name} ({customer.phone})",
            summary=_("%(name)s signed in to their member page.") % {"name": customer.name or customer.phone},
            ip=ip,
        )
        sign_in_messages_blank(ids=[row.pk])
    return CodeChecked(customer=customer)


def sign_in_messages_blank(*, ids: list[int] | None = None, now: datetime.datetime | None = None) -> int:
    """Blank the outbox's copy of sign-in codes that were used (``ids``) or have lapsed; one
    still waiting to go is not sent (the code no longer works). Returns how many."""
    now = now or timezone.now()
    messages = Message.objects.filter(source__startswith=SOURCE_PREFIX).exclude(body=BLANKED)
    if ids is not None:
        messages = messages.filter(source__in=[f"{SOURCE_PREFIX}{pk}" for pk in ids])
    else:
        lapsed = now - datetime.timedelta(minutes=settings.PORTAL_CODE_MINUTES)
        messages = messages.filter(created_at__lt=lapsed)
    messages.filter(status=Message.Status.QUEUED).update(
        status=Message.Status.SKIPPED, error=_("The code lapsed before it could be sent.")
    )
    return messages.update(body=BLANKED, subject="")
