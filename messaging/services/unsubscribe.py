"""Unsubscribing: the signed link in every email, and the customer's own "stop sending me
emails", which later sends honour (the outbox checks consent as it starts each message)."""

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from members.locks import customer_lock
from members.models import Customer
from shops.activity import activity_record
from shops.models import ActivityKind

_SALT = "messaging.unsubscribe"


def unsubscribe_token(customer_id: int) -> str:
    return signing.Signer(salt=_SALT).sign(str(customer_id))


def unsubscribe_customer_id(token: str) -> int | None:
    try:
        return int(signing.Signer(salt=_SALT).unsign(token))
    except (signing.BadSignature, ValueError):
        return None


def unsubscribe_url(customer_id: int) -> str:
    return settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(customer_id)])


def email_unsubscribe(*, customer_id: int, ip: str | None) -> Customer | None:
    """The customer's own "stop sending me emails"; later sends skip them."""
    with transaction.atomic():
        try:
            customer = customer_lock(Customer.objects.select_related("shop"), pk=customer_id)
        except Customer.DoesNotExist:
            return None
        if customer.accepts_email:
            Customer.objects.filter(pk=customer.pk).update(accepts_email=False)
            customer.accepts_email = False
            activity_record(
                shop=customer.shop,
                actor=None,
                kind=ActivityKind.CUSTOMER_CHANGED,
                target=customer,
                target_label=customer.name or customer.phone,
                summary=_("The customer unsubscribed from emails."),
                before={"accepts_email": True},
                after={"accepts_email": False},
                ip=ip,
            )
    return customer
