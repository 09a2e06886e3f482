"""What an SMS costs: its encoding and its number of parts.

A message in the GSM 7-bit alphabet fits 160 characters in one part (153 a part once it is
split, since each part carries a header); anything else (Vietnamese marks included) goes as
Unicode, 70 characters in one part and 67 a part once split. The extension characters
(``^{}[]~|€\\``) take two places in the 7-bit alphabet.
"""

import math
from dataclasses import dataclass

from core.text import without_marks

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

# VietGuys' "type": 0 plain (7-bit), 8 Unicode.
TYPE_PLAIN = 0
TYPE_UNICODE = 8


@dataclass(frozen=True)
class SmsSize:
    unicode: bool
    length: int  # in the encoding's own units
    parts: int

    @property
    def type(self) -> int:
        return TYPE_UNICODE if self.unicode else TYPE_PLAIN


def sms_size(text: str) -> SmsSize:
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text):
        length = sum(2 if c in _GSM_EXTENSION else 1 for c in text)
        single, each = 160, 153
        unicode = False
    else:
        # UTF-16 code units: a character outside the BMP (an emoji) takes two.
        length = len(text.encode("utf-16-le")) // 2
        single, each = 70, 67
        unicode = True
    parts = 1 if length <= single else math.ceil(length / each)
    return SmsSize(unicode=unicode, length=length, parts=parts if text else 0)


# What a keyboard or a pasted text brings that the 7-bit alphabet lacks, as a plain SMS
# writes it; one such character would make the whole message Unicode (70 a part, not 160).
_PLAIN = str.maketrans(
    {
        "₫": "d",
        "“": '"',
        "”": '"',
        "‘": "'",
        "’": "'",
        "–": "-",
        "—": "-",
        "…": "...",
        "•": "-",
        "\u00a0": " ",
        "\u202f": " ",
        "\t": " ",
        "Ð": "D",  # the Icelandic eth, sometimes typed for Đ
    }
)


def sms_plain(text: str) -> str:
    """The text without Vietnamese marks, in the 7-bit alphabet where it can be."""
    return without_marks(text).translate(_PLAIN)
