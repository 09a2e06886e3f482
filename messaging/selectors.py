"""Reads of the messaging settings and of the messaging pages (pages read, never write)."""

from typing import Any

from django.utils.translation import gettext_lazy

from core.text import without_marks
from members.models import Customer
from messaging.models import MessagingSettings
from messaging.sms import sms_size
from shops.models import Shop


def messaging_settings_read(shop: Shop) -> MessagingSettings:
    """The saved settings, or the defaults (unsaved) for a shop that has none yet."""
    return MessagingSettings.objects.filter(shop=shop).first() or MessagingSettings(shop=shop)


# What the page says under each password field (never the password): (field, just tested,
# saved, none saved).
SECRET_STATES = {
    "email": (
        "smtp_password",
        gettext_lazy("The app password you just tested is kept: Save keeps it with these settings."),
        gettext_lazy("An app password is saved."),
        gettext_lazy("No app password saved yet."),
    ),
    "sms": (
        "sms_password",
        gettext_lazy("The password you just tested is kept: Save keeps it with these settings."),
        gettext_lazy("A password is saved."),
        gettext_lazy("No password saved yet."),
    ),
}


def settings_page(shop: Shop, *, kept: str | None = None) -> dict[str, Any]:
    """The settings page's context beside its forms, from the settings as saved (a bound
    form changes the instance it was given). ``kept``: the form whose tested secret the
    session keeps for its next Save."""
    config = messaging_settings_read(shop)
    return {"secrets": _secret_states(config, kept), "example": _sms_example(shop)}


def _secret_states(config: MessagingSettings, kept: str | None) -> dict:
    states = {}
    for which, (field, tested, saved, none) in SECRET_STATES.items():
        if kept == which:
            states[which] = {"ok": True, "text": tested}
        else:
            states[which] = {"ok": bool(getattr(config, field)), "text": saved if getattr(config, field) else none}
    return states


def _sms_example(shop: Shop) -> dict:
    """A birthday SMS, to show what Vietnamese marks cost (customers read Vietnamese)."""
    with_marks = f"Chúc mừng sinh nhật! {shop.name} tặng bạn mã giảm giá 10% cho đơn hàng tiếp theo."
    return {"text": with_marks, "size": sms_size(with_marks), "plain_size": sms_size(without_marks(with_marks))}


def unsubscribe_page(*, customer_id: int) -> dict[str, Any] | None:
    """The unsubscribe link's page before the customer confirms; None for no such customer."""
    customer = Customer.objects.select_related("shop").filter(pk=customer_id).first()
    if customer is None:
        return None
    return {"shop": customer.shop, "done": not customer.accepts_email}
