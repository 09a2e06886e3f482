"""Messaging: the shop's sending accounts, queueing messages, the outbox that sends them,
and unsubscribing.

- ``accounts``: the Gmail/SMTP and VietGuys settings, saved (with the activity log) or
  tested as typed;
- ``queue``: ``message_queue``, the one way a message enters the outbox (campaigns use it);
- ``outbox``: leasing, sending, and the messages whose fate is unknown;
- ``unsubscribe``: the signed link and the customer's own "stop sending me emails".

A message is sent at most once: queueing is an insert under a unique constraint (``queue``),
and only the worker whose lease names it moves it to SENDING, just before handing it over;
one left SENDING by a dead worker is never sent again (``outbox``'s docstring says how).
"""

from messaging.selectors import messaging_settings_read
from messaging.services.accounts import (
    SENDING_FIELDS,
    EmailAccount,
    SmsAccount,
    email_settings_save,
    email_test_send,
    messaging_settings_for,
    sms_settings_save,
    sms_test_send,
)
from messaging.services.holds import messages_drop, messages_hold, messages_release, outbox_wake
from messaging.services.outbox import (
    SAME_REFUSALS_FOR_THE_ACCOUNT,
    OutboxResult,
    outbox_due,
    outbox_recover,
    outbox_send,
)
from messaging.services.queue import Queued, message_queue, recipient_for
from messaging.services.unsubscribe import (
    email_unsubscribe,
    unsubscribe_customer_id,
    unsubscribe_token,
    unsubscribe_url,
)

__all__ = [
    "SAME_REFUSALS_FOR_THE_ACCOUNT",
    "SENDING_FIELDS",
    "EmailAccount",
    "OutboxResult",
    "Queued",
    "SmsAccount",
    "email_settings_save",
    "email_test_send",
    "email_unsubscribe",
    "message_queue",
    "messages_drop",
    "messages_hold",
    "messages_release",
    "messaging_settings_for",
    "messaging_settings_read",
    "outbox_due",
    "outbox_recover",
    "outbox_send",
    "outbox_wake",
    "recipient_for",
    "sms_settings_save",
    "sms_test_send",
    "unsubscribe_customer_id",
    "unsubscribe_token",
    "unsubscribe_url",
]
