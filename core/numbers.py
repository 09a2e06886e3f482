"""Reading numbers as people write them in spreadsheets: amounts of đồng and points."""

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

_CURRENCY = re.compile(r"(₫|đồng|đ|vnđ|vnd|dong)\.?$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f']+")
_VI_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$")  # 1.500.000 or 1.500.000,00
_EN_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")  # 1,500,000 or 1,500,000.00
_PLAIN = re.compile(r"^\d+([.,]\d{1,2})?$")  # 1500000, 1500000.00, 1500000,5


class NumberError(ValueError):
    pass


def _whole(value: Decimal, shown: object) -> int:
    if value != value.to_integral_value():
        raise NumberError(_("“%(value)s” has decimals: write a whole number.") % {"value": shown})
    return int(value)


def _signed_text(raw: str) -> tuple[int, str]:
    text = _SPACES.sub("", raw.strip())
    sign = 1
    if text[:1] in "+-−":
        sign = -1 if text[0] in "-−" else 1
        text = text[1:]
    return sign, text


def parse_number(raw: object, *, currency: bool = False) -> int:
    """A whole number from a cell: 1500000, 1500000.0, "1.500.000", "1,500,000",
    "1.500.000 ₫", "1.500.000đ", "-20". Raises NumberError naming the input."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise NumberError(_("it is empty: write a number."))
    if isinstance(raw, bool):
        raise NumberError(_("“%(value)s” is not a number.") % {"value": raw})
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise NumberError(_("“%(value)s” is not a number.") % {"value": raw})
        return _whole(Decimal(repr(raw)), raw)
    if not isinstance(raw, str):
        raise NumberError(_("“%(value)s” is not a number.") % {"value": raw})
    sign, text = _signed_text(raw)
    if currency:
        text = _CURRENCY.sub("", text)
    if _VI_GROUPED.match(text):
        number = text.replace(".", "").replace(",", ".")
    elif _EN_GROUPED.match(text):
        number = text.replace(",", "")
    elif _PLAIN.match(text):
        number = text.replace(",", ".")
    else:
        raise NumberError(_("“%(value)s” is not a number.") % {"value": raw})
    try:
        return sign * _whole(Decimal(number), raw)
    except InvalidOperation as error:
        raise NumberError(_("“%(value)s” is not a number.") % {"value": raw}) from error


def _as_typed(raw: object) -> object:
    """A cell as the person typed it: a spreadsheet gives -5000 as -5000.0."""
    return int(raw) if isinstance(raw, float) and raw.is_integer() else raw


def parse_amount(raw: object) -> int:
    """An amount of đồng, zero or more."""
    amount = parse_number(raw, currency=True)
    if amount < 0:
        raise NumberError(_("“%(value)s” is negative: an amount is zero or more.") % {"value": _as_typed(raw)})
    if amount >= 10**15:
        raise NumberError(_("“%(value)s” is far too large for an amount in đồng.") % {"value": _as_typed(raw)})
    return amount
