"""A campaign's SMS: what is sent (Decree 91's "[QC]" and how to refuse, for advertising)
and, while staff type it, its parts and cost.

Decree 91/2020/ND-CP: an advertising SMS (one with an offer) begins with [QC] and ends with
how to refuse. There is no shortcode to text "TC" to, so how to refuse is the shop's own
words (CampaignSettings.sms_refuse_text, such as "Tu choi QC: goi 0901234567"); an
advertising SMS campaign cannot start until the owner has written them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from campaigns.content.placeholders import PLACEHOLDERS, content_render, placeholders_used
from campaigns.models import CampaignSettings
from messaging.sms import sms_plain, sms_size

QC_PREFIX = "[QC]"

# Used for the estimate while the shop has not written its own yet.
_SAMPLE_REFUSE = "Tu choi QC: goi 0901234567"


def sms_compose(text: str, *, advertising: bool, plain: bool, refuse_text: str) -> str:
    """The SMS as sent, from its rendered text. Raises ValueError for an advertising SMS
    without how to refuse (``sms_refuse_missing`` says so before a campaign starts)."""
    body = text.strip()
    if advertising:
        refuse = " ".join(refuse_text.split())
        if not refuse:
            raise ValueError("an advertising SMS must end with how to refuse it")
        if not body.upper().startswith(QC_PREFIX):
            body = f"{QC_PREFIX} {body}"
        if not body.endswith(refuse):
            body = f"{body} {refuse}"
    return sms_plain(body) if plain else body


def sms_refuse_missing(campaign_settings: CampaignSettings) -> str | None:
    """Why an advertising SMS campaign cannot start yet, or None."""
    if campaign_settings.sms_refuse_text.strip():
        return None
    return _(
        "Write how customers refuse advertising SMS (such as “Tu choi QC: goi 0901234567”) in the campaign "
        "settings: the law requires it at the end of every SMS with an offer."
    )


@dataclass(frozen=True)
class SmsEstimate:
    parts: int
    cost: int  # đồng
    encoding: str  # "plain" (7-bit, 160 a part) or "unicode" (70 a part)
    length: int  # in the encoding's units
    # Placeholders counted at a typical length, their values being unknown while typing.
    typical: list[str] = field(default_factory=list)
    # Characters that keep a message "without diacritics" in Unicode (an emoji, say).
    unicode_because: str = ""
    # How to refuse is counted from a sample: the shop has not written its own yet.
    sample_refuse: bool = False

    @property
    def note(self) -> str:
        """What the page says under the figures, or ""."""
        notes = []
        if self.typical:
            notes.append(
                _("Estimated with typical lengths for %(names)s: a longer value can add a part.")
                % {"names": ", ".join(f"{{{n}}}" for n in self.typical)}
            )
        if self.unicode_because:
            notes.append(
                _("These characters keep the SMS in Unicode (70 characters a part): %(chars)s")
                % {"chars": " ".join(self.unicode_because)}
            )
        if self.sample_refuse:
            notes.append(
                _("How to refuse is counted as “%(sample)s”: write the shop's own in the campaign settings.")
                % {"sample": _SAMPLE_REFUSE}
            )
        return " ".join(notes)


def sms_estimate(
    text: str,
    *,
    advertising: bool,
    plain: bool,
    refuse_text: str,
    part_price: int,
    known_values: Mapping[str, str | None] | None = None,
) -> SmsEstimate:
    """Parts and cost of one SMS as it would be sent, from the text as typed. Values known
    while typing (the shop's name, a shared code, the offer's value) may be given in
    ``known_values``; the others count at a typical length, and ``typical`` names them."""
    if not text.strip():
        return SmsEstimate(parts=0, cost=0, encoding="plain", length=0)
    known = known_values or {}
    values: dict[str, str | None] = {}
    typical: list[str] = []
    for name in placeholders_used(text):
        value = known.get(name)
        if not (value and value.strip()):
            value = PLACEHOLDERS[name].typical
            typical.append(name)
        values[name] = value
    sample_refuse = advertising and not refuse_text.strip()
    refuse = _SAMPLE_REFUSE if sample_refuse else refuse_text
    rendered = content_render(text, values=values, escape_html=False).text
    composed = sms_compose(rendered, advertising=advertising, plain=plain, refuse_text=refuse)
    size = sms_size(composed)
    because = ""
    if plain and size.unicode:
        because = "".join(dict.fromkeys(c for c in composed if sms_size(c).unicode))
    return SmsEstimate(
        parts=size.parts,
        cost=size.parts * part_price,
        encoding="unicode" if size.unicode else "plain",
        length=size.length,
        typical=typical,
        unicode_because=because,
        sample_refuse=sample_refuse,
    )
