"""Each placeholder's value for one customer, written the way the product writes them:
money "1.500.000 ₫", dates dd/mm/yyyy in the shop's time zone, points with dots.

The words that go to customers (an offer's value) are in the active language: the composer
runs them under the customers' language (settings.LANGUAGE_CODE), as the outbox does.
"""

import datetime
from decimal import Decimal

from django.utils.translation import gettext as _

from campaigns.models import Offer
from core.formatting import format_date, format_int, format_vnd
from members.models import Customer
from shops.models import Shop


def _tidy_case(name: str) -> str:
    """Names typed all in lower or all in upper case ("nguyễn thị lan", "NGUYỄN THỊ LAN")
    read as "Nguyễn Thị Lan"; a name in mixed case is kept as its owner wrote it."""
    return name.title() if name.islower() or name.isupper() else name


def full_name(name: str) -> str | None:
    words = name.split()
    # A phone number or an address saved as the name is no name to greet anyone by.
    if not words or any(ch.isdigit() or ch == "@" for ch in "".join(words)):
        return None
    return _tidy_case(" ".join(words))


def first_name(name: str) -> str | None:
    """The given name: the last word of a Vietnamese full name ("Nguyễn Thị Lan" -> "Lan";
    Haravan's names are stored family name first, see haravan/mapping.py)."""
    whole = full_name(name)
    return whole.split()[-1] if whole else None


def offer_value(offer: Offer) -> str:
    """What the code takes off: "50.000 ₫", "10 % (at most 100.000 ₫)", "free shipping"."""
    if offer.kind == Offer.Kind.SHIPPING:
        return _("free shipping")
    if offer.kind == Offer.Kind.PERCENTAGE:
        percent = f"{offer.value} %"
        if offer.max_amount:
            return _("%(percent)s (at most %(amount)s)") % {"percent": percent, "amount": format_vnd(offer.max_amount)}
        return percent
    return format_vnd(offer.value)


def offer_code(offer: Offer | None, recipient_code: str | None) -> str | None:
    if recipient_code:
        return recipient_code
    if offer is not None and offer.codes == Offer.Codes.SHARED and offer.shared_code.strip():
        return offer.shared_code.strip()
    return None


def offer_ends(offer: Offer | None, code_ends_at: datetime.datetime | None) -> datetime.date | datetime.datetime | None:
    """The recipient's own code's end (N days from the send) or the offer's last day."""
    if code_ends_at is not None:
        return code_ends_at
    if offer is not None and offer.validity == Offer.Validity.DATES:
        return offer.ends_on
    return None


def customer_values(
    *,
    customer: Customer,
    shop: Shop,
    tier_name: str | None,
    recipient_code: str | None,
    offer: Offer | None,
    code_ends_at: datetime.datetime | None,
    unsubscribe_url: str | None,
    tier_multiplier: Decimal | None = None,
    lapsing_points: int | None = None,
    lapsing_last_day: datetime.date | None = None,
) -> dict[str, str | None]:
    """Every placeholder's value for ``customer``, None where there is none (a recipient
    whose text needs it, without a fallback, is skipped)."""
    ends = offer_ends(offer, code_ends_at)
    return {
        "ten": first_name(customer.name),
        "ho_ten": full_name(customer.name),
        "diem": format_int(customer.points_balance),
        "hang": (tier_name or "").strip() or None,
        "ten_shop": shop.name.strip() or None,
        "ma_uu_dai": offer_code(offer, recipient_code),
        "gia_tri": offer_value(offer) if offer is not None else None,
        "han_dung": format_date(ends, shop.tzinfo) if ends is not None else None,
        "link_huy": unsubscribe_url or None,
        "uu_dai_hang": tier_perk(tier_multiplier),
        "diem_sap_het": format_int(lapsing_points) if lapsing_points else None,
        "han_diem": format_date(lapsing_last_day) if lapsing_last_day else None,
    }


def tier_perk(multiplier: Decimal | None) -> str | None:
    """What a tier gives, in words: "×1,5 points on every order"."""
    if multiplier is None:
        return None
    number = f"{multiplier.normalize():f}".replace(".", ",")
    return _("×%(multiplier)s points on every order") % {"multiplier": number}
