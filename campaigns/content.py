"""INTERIM: replaced by the content helper's module on merge."""

import re

from django.utils.translation import gettext as _

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\|([^{}]*))?\}")
NAMES = {"ten", "ho_ten", "diem", "hang", "ten_shop", "ma_uu_dai", "gia_tri", "han_dung", "link_huy"}


def placeholders_check(text: str, *, channel: str, with_offer: bool) -> list[str]:
    return [
        _("Unknown placeholder {%(name)s}") % {"name": m.group(1)}
        for m in _PLACEHOLDER.finditer(text or "")
        if m.group(1) not in NAMES
    ]


def sms_refuse_missing(settings) -> str | None:
    return None


def sms_estimate(text, *, advertising, plain, refuse_text, part_price):
    return 1, part_price, "unicode"


class Rendered:
    def __init__(self, text, missing):
        self.text, self.missing = text, missing


def content_render(text, *, values, escape_html):
    missing = []

    def sub(m):
        value = values.get(m.group(1)) or m.group(2)
        if not value:
            missing.append(m.group(1))
            return ""
        return value

    return Rendered(_PLACEHOLDER.sub(sub, text or ""), missing)


def customer_values(*, customer, shop, tier_name, recipient_code, offer, code_ends_at, unsubscribe_url):
    return {
        "ten": (customer.name or "").split(" ")[-1] or None,
        "ho_ten": customer.name or None,
        "ten_shop": shop.name,
        "ma_uu_dai": recipient_code or None,
        "gia_tri": "50.000 ₫",
        "han_dung": "31/12/2026",
        "diem": str(customer.points_balance),
        "hang": tier_name or None,
        "link_huy": unsubscribe_url,
    }


def email_compose(*, subject, body_text, shop_name, offer_block, unsubscribe_url):
    return subject, f"{body_text}\n\n{unsubscribe_url}", f"<p>{body_text}</p>"


def sms_compose(text, *, advertising, plain, refuse_text):
    return f"[QC] {text} {refuse_text}" if advertising else text
