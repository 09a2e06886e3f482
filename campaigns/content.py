"""INTERIM: replaced by the content helper's module on merge."""

import re

from django.utils.translation import gettext as _

_PLACEHOLDER = re.compile(r"\{([a-z_]+)(?:\|([^{}]*))?\}")
NAMES = {"ten", "ho_ten", "diem", "hang", "ten_shop", "ma_uu_dai", "gia_tri", "han_dung", "link_huy"}


def placeholders_check(text: str, *, channel: str, with_offer: bool) -> list[str]:
    return [_("Unknown placeholder {%(name)s}") % {"name": m.group(1)} for m in _PLACEHOLDER.finditer(text or "")
            if m.group(1) not in NAMES]


def sms_refuse_missing(settings) -> str | None:
    return None


def sms_estimate(text, *, advertising, plain, refuse_text, part_price):
    return 1, part_price, "unicode"
