"""A campaign's email: the HTML part in the shop's name and the plain-text part.

The HTML is what Gmail and a phone show well: one centred column at most 600 px wide, laid
out with tables, every style inline (Gmail drops some <style> rules), no script, no image.
The body is the staff's plain text, already rendered (``content_render(..., escape_html=False)``):
its blank lines make paragraphs and its links are made clickable; everything is escaped here.
Words customers read are in the active language (the composer runs under theirs).
"""

import html
import re
from collections.abc import Mapping
from typing import NamedTuple, NotRequired, TypedDict

from django.utils.html import urlize
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from campaigns.models import Offer
from core.formatting import format_vnd

SUBJECT_MAX = 200  # messaging.Message.subject

_FONT = "font-family:Arial,Helvetica,sans-serif;"
_LINK = "color:#1d4ed8;text-decoration:underline;"
_PARAGRAPHS = re.compile(r"\n[ \t]*\n\s*")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)+")


class OfferBlock(TypedDict):
    code: str
    value: NotRequired[str]  # "50.000 ₫", "free shipping"
    valid_until: NotRequired[str]  # dd/mm/yyyy
    minimum_order: NotRequired[str]  # "300.000 ₫"


class EmailContent(NamedTuple):
    subject: str
    text: str
    html: str


def email_offer_block(*, offer: Offer | None, values: Mapping[str, str | None]) -> OfferBlock | None:
    """The code box's contents from ``customer_values``; None without an offer or a code."""
    code = values.get("ma_uu_dai")
    if offer is None or not code:
        return None
    block = OfferBlock(code=code)
    if values.get("gia_tri"):
        block["value"] = values["gia_tri"] or ""
    if values.get("han_dung"):
        block["valid_until"] = values["han_dung"] or ""
    if offer.minimum_order > 0:
        block["minimum_order"] = format_vnd(offer.minimum_order)
    return block


def email_subject(subject: str) -> str:
    """One line (a line break in a header is refused) that fits the outbox's column."""
    line = " ".join(subject.split())
    return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1].rstrip() + "…"


def _offer_lines(block: OfferBlock) -> list[str]:
    """The lines under the code, shared by both parts."""
    lines = []
    if block.get("value"):
        lines.append(block.get("value", ""))
    if block.get("valid_until"):
        lines.append(_("Valid until %(date)s") % {"date": block.get("valid_until")})
    if block.get("minimum_order"):
        lines.append(_("For orders from %(amount)s") % {"amount": block.get("minimum_order")})
    return lines


def _offer_html(block: OfferBlock) -> str:
    e = html.escape
    lines = _offer_lines(block)
    details = "".join(
        f'<div style="{_FONT}font-size:{16 if i == 0 and block.get("value") else 13}px;color:#44403c;'
        f'margin-top:6px;">{e(line)}</div>'
        for i, line in enumerate(lines)
    )
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="margin:8px 0 16px;border-collapse:separate;">'
        '<tr><td align="center" style="padding:20px 16px;border:2px dashed #d97706;border-radius:8px;'
        'background-color:#fffbeb;">'
        f'<div style="{_FONT}font-size:13px;color:#92400e;letter-spacing:1px;">{e(_("Your promo code"))}</div>'
        "<div style=\"font-family:'Courier New',Courier,monospace;font-size:26px;font-weight:bold;"
        f'letter-spacing:2px;color:#111827;margin-top:8px;word-break:break-all;">{e(block["code"])}</div>'
        f"{details}</td></tr></table>"
    )


def _paragraphs_html(body_text: str) -> str:
    paragraphs = [p.strip() for p in _PARAGRAPHS.split(body_text.strip()) if p.strip()]
    return "".join(
        f'<p style="margin:0 0 16px;">{_links(str(urlize(p, autoescape=True))).replace(chr(10), "<br>")}</p>'
        for p in paragraphs
    )


def _links(escaped: str) -> str:
    # urlize escaped the text first, so every "<a " here is its own.
    return escaped.replace("<a href=", f'<a style="{_LINK}" href=')


def email_compose(
    *, subject: str, body_text: str, shop_name: str, offer_block: OfferBlock | None, unsubscribe_url: str
) -> EmailContent:
    """The email's subject, plain-text part and HTML part."""
    e = html.escape
    subject = email_subject(subject)
    body_text = _BLANK_LINES.sub("\n\n", body_text.replace("\r\n", "\n").strip())
    why = _("You receive this email as a customer of %(shop)s.") % {"shop": shop_name}

    text = body_text
    if offer_block:
        text += "\n\n" + "\n".join([f"{_('Your promo code')}: {offer_block['code']}", *_offer_lines(offer_block)])
    text += "\n\n-- \n" + _("You receive this email as a customer of %(shop)s. To stop receiving emails: %(url)s") % {
        "shop": shop_name,
        "url": unsubscribe_url,
    }
    text += "\n"

    markup = (
        f'<!DOCTYPE html><html lang="{e(get_language() or "vi")}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(subject)}</title></head>"
        '<body style="margin:0;padding:0;background-color:#f4f4f5;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="background-color:#f4f4f5;"><tr><td align="center" style="padding:24px 12px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="max-width:600px;background-color:#ffffff;border:1px solid #e4e4e7;border-radius:8px;">'
        f'<tr><td style="{_FONT}padding:20px 24px;border-bottom:1px solid #e4e4e7;font-size:20px;'
        f'font-weight:bold;color:#18181b;">{e(shop_name)}</td></tr>'
        f'<tr><td style="{_FONT}padding:24px 24px 8px;font-size:16px;line-height:1.5;color:#27272a;">'
        f"{_paragraphs_html(body_text)}{_offer_html(offer_block) if offer_block else ''}</td></tr>"
        f'<tr><td style="{_FONT}padding:16px 24px 24px;border-top:1px solid #e4e4e7;font-size:12px;'
        f'line-height:1.5;color:#71717a;">{e(why)} '
        f'<a href="{e(unsubscribe_url)}" style="color:#71717a;text-decoration:underline;">{e(_("Unsubscribe"))}</a>'
        "</td></tr></table></td></tr></table></body></html>"
    )
    return EmailContent(subject=subject, text=text, html=markup)
