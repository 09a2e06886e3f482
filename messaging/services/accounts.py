"""The shop's sending accounts: its Gmail/SMTP and VietGuys settings, saved or tested as typed.

A secret (the app password, the VietGuys password) is never shown back, so an empty one
keeps the saved one. Saving a change to where or how messages are sent lets the messages
held back (most likely by those settings being wrong or missing) be tried again at once.
"""

import uuid
from dataclasses import asdict, dataclass

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from messaging.models import Message, MessagingSettings
from messaging.selectors import messaging_settings_read
from messaging.senders import EmailSender, app_password, sender_header
from messaging.vietguys import SmsSender
from shops.activity import audited_update
from shops.models import ActivityKind, Shop, User

Channel = Message.Channel
Status = Message.Status


def messaging_settings_for(shop: Shop) -> MessagingSettings:
    """The shop's saved settings, made if it has none: for writes only (a page reads
    ``messaging_settings_read``)."""
    config, _created = MessagingSettings.objects.get_or_create(shop=shop)
    return config


# The settings whose change may let held-back messages through.
SENDING_FIELDS = {"smtp_host", "smtp_port", "smtp_security", "smtp_username", "smtp_password", "from_email",
                  "sms_username", "sms_password", "sms_brandname"}  # fmt: skip


def _settings_save(*, shop: Shop, actor: User, ip: str | None, channel: str, values: dict, secret: str) -> bool:
    """Save one channel's settings; an empty secret keeps the saved one (it is never shown
    back, so the form cannot send it again). Messages held back, likely by the settings
    being wrong or missing, are tried again at once."""
    if not values[secret]:
        values = {name: value for name, value in values.items() if name != secret}
    with transaction.atomic():
        changed = audited_update(
            instance=messaging_settings_for(shop),
            values=values,
            shop=shop,
            actor=actor,
            kind=ActivityKind.MESSAGING_SETTINGS_CHANGED,
            target_label=_("Messaging"),
            summary=_("Messaging settings changed: %(fields)s."),
            ip=ip,
            also=lambda config, fields: ["updated_at"],
        )
        if not changed:
            return False
        if not set(changed) & SENDING_FIELDS:
            return True  # the sender's name or the price: nothing that held messages back
        held = Message.objects.filter(
            shop=shop, channel=channel, status=Status.QUEUED, next_attempt_at__gt=timezone.now()
        )
        if held.update(next_attempt_at=timezone.now()):
            from messaging.tasks import send_messages

            transaction.on_commit(lambda: send_messages.delay(shop.pk, channel))
    return True


@dataclass(frozen=True)
class EmailAccount:
    """The Gmail/SMTP settings as the owner typed them (an empty password: the saved one)."""

    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    from_email: str
    from_name: str
    smtp_password: str = ""


@dataclass(frozen=True)
class SmsAccount:
    """The VietGuys settings as the owner typed them (an empty password: the saved one)."""

    sms_username: str
    sms_brandname: str
    sms_part_price: int
    sms_password: str = ""


def email_settings_save(*, shop: Shop, actor: User, ip: str | None, account: EmailAccount) -> bool:
    values = {**asdict(account), "smtp_password": app_password(account.smtp_password)}
    return _settings_save(shop=shop, actor=actor, ip=ip, channel=Channel.EMAIL, values=values, secret="smtp_password")


def sms_settings_save(*, shop: Shop, actor: User, ip: str | None, account: SmsAccount) -> bool:
    return _settings_save(
        shop=shop, actor=actor, ip=ip, channel=Channel.SMS, values=asdict(account), secret="sms_password"
    )


def _unsaved(shop: Shop, account: EmailAccount | SmsAccount, *, secret: str) -> MessagingSettings:
    """The saved settings with the form's values over them, not saved: a test before saving."""
    config = messaging_settings_read(shop)
    for name, value in asdict(account).items():
        if name != secret:
            setattr(config, name, value)
    return config


def email_test_send(*, shop: Shop, to: str, account: EmailAccount) -> None:
    """Send a test email with the settings as typed (an empty password: the saved one).
    Raises SendError with what to fix."""
    config = _unsaved(shop, account, secret="smtp_password")
    password = app_password(account.smtp_password) or None
    message = EmailMessage(
        subject=_("Test email from %(shop)s") % {"shop": shop.name},
        body=_("The email settings of %(shop)s work: this message was sent with them.") % {"shop": shop.name},
        from_email=sender_header(config),
        to=[to],
    )
    with EmailSender(config, password=password) as sender:
        sender.send(message)


def sms_test_send(*, shop: Shop, phone: str, account: SmsAccount) -> str:
    """Send a test SMS with the settings as typed; VietGuys' message id. Raises SendError."""
    config = _unsaved(shop, account, secret="sms_password")
    text = _("Test SMS from %(shop)s: the SMS settings work.") % {"shop": shop.name}
    with SmsSender(config, password=account.sms_password or None) as sender:
        return sender.send(phone=phone, text=text, request_id=f"test-{uuid.uuid4().hex}")
