"""Placeholders: the fixed allow-list staff may type in a campaign's content, each with an
optional fallback (``{ten|bạn}``), checked at save and replaced just before each send.

No template engine on purpose: Django's and Jinja's templates are not meant for untrusted
authors (the Jinja sandbox was escaped in CVE-2016-10745 and CVE-2019-10906), and staff need
nothing but values put in. A placeholder is ``{name}`` or ``{name|fallback}``; the name is
read without regard to case or surrounding spaces. There is no escape for a literal brace:
``{{ten}}``, the habit of other tools, is refused rather than sent as "{Lan}".
"""

import difflib
import html
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.text import fold

EMAIL = "email"
SMS = "sms"


@dataclass(frozen=True)
class Placeholder:
    name: str
    label: str | Promise
    description: str | Promise
    # A typical value's length matters for an SMS's parts while the text is typed.
    typical: str
    offer: bool = False  # only in a campaign with an offer
    email_only: bool = False
    kinds: tuple[str, ...] = ()  # only in campaigns of these kinds (empty: any)


PLACEHOLDERS: dict[str, Placeholder] = {
    p.name: p
    for p in (
        Placeholder(
            "ten",
            gettext_lazy("Name"),
            gettext_lazy("The customer's given name, the last word of the full name: “Lan” for “Nguyễn Thị Lan”."),
            typical="Phương",
        ),
        Placeholder(
            "ho_ten", gettext_lazy("Full name"), gettext_lazy("The customer's full name."), typical="Nguyễn Thị Phương"
        ),
        Placeholder(
            "diem",
            gettext_lazy("Points"),
            gettext_lazy("The customer's points when the message is sent, such as 1.250."),
            typical="12.500",
        ),
        Placeholder(
            "hang", gettext_lazy("Tier"), gettext_lazy("The customer's tier when it is sent."), typical="Bạch Kim"
        ),
        Placeholder(
            "ten_shop", gettext_lazy("Shop name"), gettext_lazy("The shop's name."), typical="Thời trang Hoa Mai"
        ),
        Placeholder(
            "ma_uu_dai",
            gettext_lazy("Promo code"),
            gettext_lazy("The customer's promo code (or the shared code)."),
            typical="HL-K7Q2M9XA",
            offer=True,
        ),
        Placeholder(
            "gia_tri",
            gettext_lazy("Code value"),
            gettext_lazy("What the code takes off, such as “50.000 ₫” or “10 % (at most 100.000 ₫)”."),
            typical="10 % (tối đa 100.000 ₫)",
            offer=True,
        ),
        Placeholder(
            "han_dung",
            gettext_lazy("Valid until"),
            gettext_lazy("The last day the code works, such as 31/12/2026."),
            typical="31/12/2026",
            offer=True,
        ),
        Placeholder(
            "uu_dai_hang",
            gettext_lazy("What the tier gives"),
            gettext_lazy("What the customer's tier gives when it is sent, such as “×1,5 points on every order”."),
            typical="×1,5 điểm cho mỗi đơn hàng",
        ),
        Placeholder(
            "diem_sap_het",
            gettext_lazy("Points lapsing"),
            gettext_lazy("The points that lapse soon, such as 300 (the points-expiring reminder only)."),
            typical="1.200",
            kinds=("points_expiring",),
        ),
        Placeholder(
            "han_diem",
            gettext_lazy("Last day of the points"),
            gettext_lazy(
                "The last day those points can be used, such as 31/12/2026 (the points-expiring reminder only)."
            ),
            typical="31/12/2026",
            kinds=("points_expiring",),
        ),
        Placeholder(
            "link_huy",
            gettext_lazy("Unsubscribe link"),
            gettext_lazy("The customer's own unsubscribe link (every email also has one at its foot)."),
            typical="https://loyalty.example/u/123:abcdefghijklmnopqrstuvwxyz0/",
            email_only=True,
        ),
    )
}

# Names staff may try from other tools or in other words: only ever suggested, never accepted.
_ALIASES = {
    "name": "ten",
    "first_name": "ten",
    "firstname": "ten",
    "ten_khach": "ten",
    "full_name": "ho_ten",
    "fullname": "ho_ten",
    "ho_va_ten": "ho_ten",
    "hoten": "ho_ten",
    "points": "diem",
    "so_diem": "diem",
    "tier": "hang",
    "hang_thanh_vien": "hang",
    "shop": "ten_shop",
    "shop_name": "ten_shop",
    "cua_hang": "ten_shop",
    "ten_cua_hang": "ten_shop",
    "code": "ma_uu_dai",
    "coupon": "ma_uu_dai",
    "ma": "ma_uu_dai",
    "ma_giam_gia": "ma_uu_dai",
    "value": "gia_tri",
    "discount": "gia_tri",
    "expiry": "han_dung",
    "valid_until": "han_dung",
    "het_han": "han_dung",
    "ngay_het_han": "han_dung",
    "unsubscribe": "link_huy",
    "huy": "link_huy",
}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_DOUBLED = re.compile(r"\{\{([^{}]*)\}\}")
_NESTED = re.compile(r"\{[^{}|]*\|[^{}]*\{[^{}]*\}[^{}]*\}")


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    typed: str  # the name as typed
    fallback: str | None

    @property
    def name(self) -> str:
        return self.typed.strip().lower()


def _tokens(text: str) -> Iterator[_Token]:
    for match in _PLACEHOLDER.finditer(text):
        typed, bar, fallback = match.group(1).partition("|")
        yield _Token(match.start(), match.end(), typed, fallback.strip() if bar else None)


def placeholders_used(text: str) -> list[str]:
    """The allowed placeholders the text uses, in order, each once."""
    return list(dict.fromkeys(t.name for t in _tokens(text) if t.name in PLACEHOLDERS))


def _suggestion(typed: str) -> str | None:
    key = "_".join(fold(typed).replace("-", " ").split())
    if key in PLACEHOLDERS:
        return key
    if key in _ALIASES:
        return _ALIASES[key]
    close = difflib.get_close_matches(key, [*PLACEHOLDERS, *_ALIASES], n=1, cutoff=0.6)
    return (_ALIASES.get(close[0], close[0])) if close else None


def _near(text: str, at: int, reach: int = 18) -> str:
    """A few whole words around ``text[at]``, so that staff find the place."""
    start, end = max(at - reach, 0), min(at + reach, len(text))
    words = text[start:end].split()
    if start > 0 and not text[start - 1].isspace() and len(words) > 1 and text[at] not in words[0]:
        words = words[1:]
    if end < len(text) and not text[end].isspace() and len(words) > 1 and text[at] not in words[-1]:
        words = words[:-1]
    return " ".join(words)


def _name_problems(token: _Token, *, channel: str, with_offer: bool, kind: str | None) -> list[str]:
    name = token.name
    if not name:
        return [_("“{}” is empty: write a placeholder's name between the braces, such as {ten}.")]
    placeholder = PLACEHOLDERS.get(name)
    if placeholder is None:
        suggestion = _suggestion(token.typed)
        if suggestion:
            return [
                _("{%(typed)s} is not a placeholder: did you mean {%(name)s}?")
                % {"typed": token.typed.strip(), "name": suggestion}
            ]
        return [
            _("{%(typed)s} is not a placeholder. The placeholders are: %(names)s.")
            % {"typed": token.typed.strip(), "names": ", ".join(f"{{{n}}}" for n in PLACEHOLDERS)}
        ]
    problems = []
    if placeholder.kinds and kind not in placeholder.kinds:
        problems.append(_("{%(name)s} belongs to the points-expiring reminder only.") % {"name": name})
    if placeholder.offer and not with_offer:
        problems.append(_("{%(name)s} is an offer's: this campaign has no offer.") % {"name": name})
    if placeholder.email_only and channel == SMS:
        problems.append(
            _(
                "{%(name)s} belongs in emails: an SMS has no unsubscribe link, and an advertising SMS "
                "ends with how to refuse, which is added for you."
            )
            % {"name": name}
        )
    return problems


def placeholders_check(text: str, *, channel: str, with_offer: bool, kind: str | None = None) -> list[str]:
    """What is wrong with the placeholders of a campaign's text for ``channel`` ("email" or
    "sms"), as messages staff read; empty when it may be saved."""
    if channel not in (EMAIL, SMS):
        raise ValueError(f"unknown channel {channel!r}")
    problems: list[str] = []
    for match in _DOUBLED.finditer(text):
        problems.append(
            _("Write {%(name)s} with one pair of braces, not {{%(name)s}}.") % {"name": match.group(1).strip()}
        )
    # Read on as if they had one pair, so that their names are checked too.
    single = _DOUBLED.sub(r"{\1}", text)
    for match in _NESTED.finditer(single):
        problems.append(_("A fallback cannot hold a placeholder: %(typed)s.") % {"typed": match.group()})
    # Blanked (same length, so that places stay) rather than read again as stray braces.
    single = _NESTED.sub(lambda match: " " * len(match.group()), single)
    covered: set[int] = set()
    for token in _tokens(single):
        covered.update((token.start, token.end - 1))
        problems.extend(_name_problems(token, channel=channel, with_offer=with_offer, kind=kind))
    for at, char in enumerate(single):
        if char in "{}" and at not in covered:
            if char == "{":
                problems.append(_("A “{” is not closed by a “}”, near “%(near)s”.") % {"near": _near(single, at)})
            else:
                problems.append(_("A “}” has no “{” before it, near “%(near)s”.") % {"near": _near(single, at)})
    return list(dict.fromkeys(problems))


@dataclass(frozen=True)
class Rendered:
    text: str
    # Placeholders with no value and no fallback (or not allowed): the recipient is skipped.
    missing: list[str]


def content_render(text: str, *, values: Mapping[str, str | None], escape_html: bool) -> Rendered:
    """The text with its placeholders replaced. A value that is missing (None or blank) takes
    the placeholder's fallback; without one, the placeholder is listed in ``missing`` and the
    caller must not send the text. With ``escape_html`` the whole result is HTML-escaped:
    neither the staff's words nor the values are markup."""
    escape = html.escape if escape_html else _same
    pieces: list[str] = []
    missing: list[str] = []
    at = 0
    for token in _tokens(text):
        pieces.append(escape(text[at : token.start]))
        at = token.end
        value = values.get(token.name) if token.name in PLACEHOLDERS else None
        if value is not None and value.strip():
            pieces.append(escape(value.strip()))
        elif token.fallback is not None and token.name in PLACEHOLDERS:
            pieces.append(escape(token.fallback))
        else:
            missing.append(token.name or "{}")
    pieces.append(escape(text[at:]))
    return Rendered(text="".join(pieces), missing=list(dict.fromkeys(missing)))


def _same(text: str) -> str:
    return text


def content_missing_reason(missing: list[str]) -> str:
    """Why a recipient is skipped, as staff read it in the report."""
    return _("No value for %(names)s, and no fallback.") % {"names": ", ".join(f"{{{n}}}" for n in missing)}
