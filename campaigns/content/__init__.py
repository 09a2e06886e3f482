"""What a campaign's message says, per channel: placeholders, each customer's values, the SMS
as sent with its parts and cost, and the email's HTML and plain-text parts. Pure functions:
no query, no view."""

from campaigns.content.emails import EmailContent, OfferBlock, email_compose, email_offer_block, email_subject
from campaigns.content.placeholders import (
    PLACEHOLDERS,
    Placeholder,
    Rendered,
    content_missing_reason,
    content_render,
    placeholders_check,
    placeholders_used,
)
from campaigns.content.sms import SmsEstimate, sms_compose, sms_estimate, sms_plain, sms_refuse_missing
from campaigns.content.values import customer_values, first_name, full_name, offer_value

__all__ = [
    "PLACEHOLDERS",
    "EmailContent",
    "OfferBlock",
    "Placeholder",
    "Rendered",
    "SmsEstimate",
    "content_missing_reason",
    "content_render",
    "customer_values",
    "email_compose",
    "email_offer_block",
    "email_subject",
    "first_name",
    "full_name",
    "offer_value",
    "placeholders_check",
    "placeholders_used",
    "sms_compose",
    "sms_estimate",
    "sms_plain",
    "sms_refuse_missing",
]
