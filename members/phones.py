"""The one phone normaliser of the product: import, search, sync and SMS all call it.

A customer is identified in a shop by one number in E.164 (+84...). People and spreadsheets
write numbers in many ways; this turns each into that one form, or raises ``InvalidPhone``
with a message that names the input.
"""

import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.utils.translation import gettext as _

# The pre-2018 11-digit mobile prefixes and today's 10-digit ones (the last 7 digits stay).
LEGACY_MOBILE_PREFIXES = {
    # Viettel
    "162": "32", "163": "33", "164": "34", "165": "35", "166": "36", "167": "37", "168": "38", "169": "39",
    # MobiFone
    "120": "70", "121": "79", "122": "77", "126": "76", "128": "78",
    # VinaPhone
    "123": "83", "124": "84", "125": "85", "127": "81", "129": "82",
    # Vietnamobile
    "186": "56", "188": "58",
    # Gmobile
    "199": "59",
}  # fmt: skip

_SEPARATORS = re.compile(r"[\s.\-()/\u00a0\u200b]+")
_SPREADSHEET_FLOAT = re.compile(r"^\+?\d+\.0+$")


# Whether a Vietnamese national number is valid depends only on its first four digits and
# its length (phonenumbers' patterns for VN are a prefix followed by \d{n}), so the answer is
# kept per (first four digits, length): an import of a million rows asks phonenumbers a few
# hundred times instead of a million (64 µs each).
_VN_SHAPES: dict[tuple[str, int], bool] = {}


class InvalidPhone(ValueError):
    def __init__(self, raw: object, reason: str = ""):
        self.raw = raw
        self.reason = reason
        shown = "" if raw is None else str(raw)
        super().__init__(
            _("“%(phone)s” is not a valid phone number: %(reason)s")
            % {"phone": shown, "reason": reason or _("check the digits.")}
        )


def _digits_text(raw: object) -> str:
    if raw is None:
        raise InvalidPhone(raw, _("it is empty."))
    if isinstance(raw, bool):
        raise InvalidPhone(raw, _("it is not a number."))
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float | Decimal):
        # A numeric spreadsheet cell: 912345678.0 (the leading zero already gone).
        try:
            value = Decimal(str(raw))
        except InvalidOperation as error:
            raise InvalidPhone(raw) from error
        if value != value.to_integral_value() or value < 0:
            raise InvalidPhone(raw, _("it has decimals."))
        return str(int(value))
    text = str(raw).strip()
    if _SPREADSHEET_FLOAT.match(text):
        return text.split(".", 1)[0]
    return _SEPARATORS.sub("", text)


def _national_significant(raw: object, text: str) -> tuple[str, str | None]:
    """(digits after the country code or trunk 0, country code if written)."""
    if text.startswith("+"):
        digits = text[1:]
        international = True
    elif text.startswith("00"):
        digits = text[2:]
        international = True
    else:
        digits = text
        international = False
    if not digits.isdigit():
        raise InvalidPhone(raw, _("it may hold only digits, spaces, dots, dashes and a leading +."))
    if international:
        if digits.startswith("84"):
            return digits[2:], "84"
        return digits, None  # another country: phonenumbers decides
    if digits.startswith("0"):
        return digits[1:], "84"
    # 84 followed by a 9-digit number (or a 10-digit old one) is the country code written
    # without +; a 9- or 10-digit number is a national number whose 0 was dropped.
    if digits.startswith("84") and len(digits) in (11, 12):
        return digits[2:], "84"
    return digits, "84"


def normalize_phone(raw: object) -> str:
    """Return the number in E.164 (``+84912345678``), or raise ``InvalidPhone``.

    Accepts spaces, dots, dashes and brackets; +84, 84, 0084 or 0; a dropped leading zero;
    a spreadsheet's 912345678.0; and maps the pre-2018 11-digit mobile prefixes to today's.
    """
    text = _digits_text(raw)
    if not text:
        raise InvalidPhone(raw, _("it is empty."))
    national, country = _national_significant(raw, text)
    if country == "84":
        if len(national) == 10 and national[:3] in LEGACY_MOBILE_PREFIXES:
            national = LEGACY_MOBILE_PREFIXES[national[:3]] + national[3:]
        candidate = "+84" + national
        shape = (national[:4], len(national)) if national[:1] != "0" else None
        known = _VN_SHAPES.get(shape) if shape else None
        if known is not None:
            if known:
                return candidate
            raise InvalidPhone(raw, _("a Vietnamese number has 10 digits starting with 0, e.g. 0912 345 678."))
    else:
        candidate = "+" + national
    try:
        parsed = phonenumbers.parse(candidate, "VN")
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(raw) from error
    if not phonenumbers.is_valid_number(parsed):
        if country == "84":
            if shape:
                _VN_SHAPES[shape] = False
            raise InvalidPhone(raw, _("a Vietnamese number has 10 digits starting with 0, e.g. 0912 345 678."))
        raise InvalidPhone(raw)
    result = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if country == "84" and shape and result == candidate:
        _VN_SHAPES[shape] = True
    return result


def try_normalize_phone(raw: object) -> str | None:
    """The E.164 number, or None when ``raw`` is empty or invalid."""
    try:
        return normalize_phone(raw)
    except InvalidPhone:
        return None


def format_phone_national(e164: str) -> str:
    """How staff read a stored number: +84912345678 -> "0912 345 678"."""
    if not e164:
        return ""
    digits = e164[3:]
    if e164[:3] == "+84" and digits[:1] != "0" and digits.isascii() and digits.isdigit():
        # What parsing gives, without parsing: an import's report formats every row's phone.
        return _grouped("0" + digits)
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return e164
    if parsed.country_code != 84:
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return _grouped("0" + str(parsed.national_number))


def _grouped(national: str) -> str:
    return f"{national[:4]} {national[4:7]} {national[7:]}" if len(national) == 10 else national


def phone_from_candidates(*candidates: object) -> tuple[str | None, str]:
    """The first valid number among what a platform sent, and the first non-empty raw value
    (kept on an order that stays unattached, to say why)."""
    raw_first = ""
    for candidate in candidates:
        if candidate in (None, ""):
            continue
        raw_first = raw_first or str(candidate)
        phone = try_normalize_phone(candidate)
        if phone:
            return phone, raw_first
    return None, raw_first
