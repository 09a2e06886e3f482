import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


def _drop_marks(text: str) -> str:
    """The text decomposed, without its combining marks, and đ as d."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def fold(text: str) -> str:
    """Lower-case ASCII without Vietnamese marks: "Nguyễn Đức" -> "nguyen duc". Search
    compares folded text, so "nguyen van a" finds "Nguyễn Văn A"."""
    return " ".join(_drop_marks(text).lower().split())


def without_marks(text: str) -> str:
    """Vietnamese without its marks, case and spacing kept: "Chúc mừng Đức" -> "Chuc mung
    Duc"; so that an SMS goes in the 7-bit alphabet, at 160 characters a part instead of 70."""
    return unicodedata.normalize("NFC", _drop_marks(text))


# The common shape of an address (ASCII, a dotted domain ending in letters): anything it
# accepts Django's validator accepts too (a test checks that), at a tenth of the cost.
_PLAIN_EMAIL = re.compile(
    r"[a-z0-9_+-]+(?:\.[a-z0-9_+-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}", re.IGNORECASE | re.ASCII
)


def is_email(value: str) -> bool:
    """Whether Django's EmailValidator accepts the address; quick for the common shape."""
    if len(value) <= 254 and _PLAIN_EMAIL.fullmatch(value):
        return True
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
