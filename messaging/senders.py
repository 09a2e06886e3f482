"""Handing messages to the shop's mail server (SMTP, Gmail by default), and turning what it
answers into a reason a shop owner can act on (VietGuys' side is messaging/vietguys.py).

Each failure says how far it reaches (``Reach``): this message only, this message for now,
every message of the shop's channel (the account or the server is wrong, or the daily
quota is used up), or nobody knows whether it was delivered.
"""

import enum
import re
import smtplib
import socket
import ssl
from email.headerregistry import Address

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import sanitize_address
from django.utils.translation import gettext as _

from messaging.destinations import DestinationRefused, email_backend
from messaging.models import MessagingSettings


class Reach(enum.Enum):
    MESSAGE = "message"  # this message cannot be sent (a refused address): do not retry it
    RETRY = "retry"  # this message, for now: try it again later
    ACCOUNT = "account"  # the settings or the server: every message waits until fixed
    QUOTA = "quota"  # the daily sending limit: every message waits
    UNKNOWN = "unknown"  # broke while handing it over: it may have arrived, never resend


class SendError(Exception):
    def __init__(self, reach: Reach, reason: str, *, code: str = "", field: str | None = None, gmail_steps=False):
        super().__init__(reason)
        self.reach = reach
        self.reason = reason
        self.field = field  # the settings field to fix, where one is to blame
        self.gmail_steps = gmail_steps  # Gmail's 534/535: the page opens its app-password steps
        self.code = code  # the provider's own error code, where it gave one


def app_password(value: str) -> str:
    """Google shows an app password as "abcd efgh ijkl mnop": the spaces are not part of it."""
    return "".join((value or "").split())


# An enhanced status code (RFC 3463) at the start of a reply line: "5.7.9 ".
_ENHANCED_CODE = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\s+")


def _answer(code: int, text: bytes | str) -> str:
    """The server's words on one line. smtplib gives a multi-line reply ("534-5.7.9 … Learn
    more at", "534 5.7.9  https://…") as lines that each repeat the enhanced code: once will do."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and (first := _ENHANCED_CODE.match(lines[0])):
        repeated = first.group(1)
        lines[1:] = [_ENHANCED_CODE.sub("", line, count=1) if line.startswith(repeated) else line for line in lines[1:]]
    return f"{code} {' '.join(' '.join(lines).split())}".strip()


def _quota() -> SendError:
    return SendError(
        Reach.QUOTA,
        _(
            "Gmail's daily sending limit is reached (550-5.4.5 Daily user sending limit exceeded): about 500 "
            "messages a day for a personal Gmail account, 2,000 for Google Workspace, counted over the last "
            "24 hours. The remaining messages wait and go out as the limit allows."
        ),
    )


def _account_answer(code: int, text: bytes | str) -> SendError | None:
    answer = _answer(code, text)
    if code == 534 or "5.7.9" in answer or "application-specific password" in answer.lower():
        return SendError(
            Reach.ACCOUNT,
            _(
                "Gmail asks for an app password (%(answer)s). 2-Step Verification is on for this account, so "
                "the usual password is refused: in your Google account open Security › 2-Step Verification › "
                "App passwords, create one, and paste its 16 letters here."
            )
            % {"answer": answer},
            gmail_steps=True,
        )
    if code == 535 or "5.7.8" in answer:
        return SendError(
            Reach.ACCOUNT,
            _(
                "The mail server did not accept the address or the password (%(answer)s). Check the Gmail "
                "address, and use an app password (16 letters), not the account's usual password: turn on "
                "2-Step Verification in your Google account, then create an app password."
            )
            % {"answer": answer},
            gmail_steps=True,
        )
    if code == 550 and ("5.4.5" in answer or "sending limit" in answer.lower()):
        return _quota()
    return None


def _slow_down(answer: str) -> SendError:
    """421: the server closes the connection (too many messages or connections for now)."""
    return SendError(
        Reach.ACCOUNT,
        _("The mail server asked to slow down and closed the connection (%(answer)s); the messages wait.")
        % {"answer": answer},
    )


def smtp_error(error: Exception, config: MessagingSettings, *, connecting: bool) -> SendError:
    """What a shop owner should know of an SMTP failure, and how far it reaches."""
    place = {"host": config.smtp_host, "port": config.smtp_port}
    if isinstance(error, DestinationRefused):
        return SendError(Reach.ACCOUNT, error.message, field=error.field)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        (code, text), *_rest = error.recipients.values()
        if known := _account_answer(code, text):
            return known
        if code == 421:
            return _slow_down(_answer(code, text))
        reach = Reach.RETRY if 400 <= code < 500 else Reach.MESSAGE
        return SendError(reach, _("The mail server refused this address: %(answer)s") % {"answer": _answer(code, text)})
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return SendError(
            Reach.ACCOUNT,
            _(
                "The server %(host)s:%(port)s does not offer the chosen encryption. For Gmail use port 587 with "
                "STARTTLS, or port 465 with SSL/TLS."
            )
            % place,
        )
    if isinstance(error, smtplib.SMTPResponseException):
        if known := _account_answer(error.smtp_code, error.smtp_error):
            return known
        answer = _answer(error.smtp_code, error.smtp_error)
        if error.smtp_code == 421:
            return _slow_down(answer)
        if connecting:
            return SendError(
                Reach.ACCOUNT, _("The mail server refused the connection or the login: %(answer)s") % {"answer": answer}
            )
        if isinstance(error, smtplib.SMTPSenderRefused):
            return SendError(Reach.ACCOUNT, _("The mail server refused the sender: %(answer)s") % {"answer": answer})
        if 400 <= error.smtp_code < 500:
            return SendError(Reach.RETRY, _("The mail server asked to try later: %(answer)s") % {"answer": answer})
        return SendError(Reach.MESSAGE, _("The mail server refused this message: %(answer)s") % {"answer": answer})
    if not connecting and isinstance(error, (smtplib.SMTPServerDisconnected, OSError)):
        return SendError(
            Reach.UNKNOWN,
            _(
                "The connection to the mail server broke while this message was being handed over (%(detail)s). "
                "It may have been delivered, so it is not sent again."
            )
            % {"detail": error.__class__.__name__},
        )
    if isinstance(error, ssl.SSLError):
        detail = _("encryption failed: %(error)s") % {"error": error.reason or error}
    elif isinstance(error, socket.gaierror):
        detail = _("no server has this name")
    elif isinstance(error, TimeoutError):
        detail = _("no answer within %(seconds)d seconds") % {"seconds": settings.SMTP_TIMEOUT}
    elif isinstance(error, ConnectionRefusedError):
        detail = _("the connection was refused")
    else:
        detail = str(error) or error.__class__.__name__
    return SendError(
        Reach.ACCOUNT,
        _(
            "Could not connect to the mail server %(host)s:%(port)s (%(detail)s). Check the server and the port: "
            "for Gmail, smtp.gmail.com with port 587 and STARTTLS."
        )
        % {**place, "detail": detail},
    )


class EmailSender:
    """One connection for a batch (Django's SMTP backend), opened on the first message and
    opened again after a connection broke."""

    def __init__(self, config: MessagingSettings, *, password: str | None = None):
        self.config = config
        self.backend = email_backend(
            config, password=app_password(config.smtp_password if password is None else password)
        )
        self.open = False

    def __enter__(self) -> "EmailSender":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Say QUIT if the server still listens; a connection that broke is just dropped."""
        try:
            self.backend.close()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            self.backend.connection = None
            self.open = False

    def connect(self) -> None:
        if self.open:
            return
        try:
            self.backend.open()
        except (smtplib.SMTPException, OSError) as error:
            self.close()  # a refused login leaves the socket open
            raise smtp_error(error, self.config, connecting=True) from error
        self.open = True

    def send(self, message: EmailMessage) -> None:
        """Hand one message over. The envelope (MAIL, RCPT) comes first: a line found broken
        there (a server drops a connection left idle) carried nothing of the message, so it
        is opened again and the envelope repeated once. Only a failure from DATA on means
        "it may have arrived". This replaces a NOOP before every message."""
        try:
            encoding = message.encoding or settings.DEFAULT_CHARSET
            sender = sanitize_address(message.from_email, encoding)
            recipients = [sanitize_address(address, encoding) for address in message.recipients()]
            # Built once, here: a header that cannot be written fails before anything is sent.
            data = message.message().as_bytes(linesep="\r\n")
        except ValueError as error:
            raise SendError(
                Reach.MESSAGE, _("This message cannot be sent as written: %(error)s") % {"error": error}
            ) from error
        for attempt in (1, 2):
            self.connect()
            try:
                self._envelope(sender, recipients, len(data))
                break
            except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as error:
                self.close()
                if attempt == 2:
                    raise smtp_error(error, self.config, connecting=True) from error
            except (smtplib.SMTPException, OSError) as error:
                raise self._failed(error) from error
        try:
            code, answer = self.backend.connection.data(data)
            if code != 250:
                self._reset(code)
                raise smtplib.SMTPDataError(code, answer)
        except (smtplib.SMTPException, OSError) as error:
            raise self._failed(error) from error

    def _envelope(self, sender: str, recipients: list[str], size: int) -> None:
        """MAIL and RCPT as smtplib's ``sendmail`` says them, raising its exceptions."""
        connection = self.backend.connection
        connection.ehlo_or_helo_if_needed()
        options = [f"size={size}"] if connection.does_esmtp and connection.has_extn("size") else []
        code, answer = connection.mail(sender, options)
        if code != 250:
            self._reset(code)
            raise smtplib.SMTPSenderRefused(code, answer, sender)
        refused = {}
        for recipient in recipients:
            code, answer = connection.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, answer)
                if code == 421:
                    self._reset(code)
                    raise smtplib.SMTPRecipientsRefused(refused)
        if len(refused) == len(recipients):
            self._reset(0)
            raise smtplib.SMTPRecipientsRefused(refused)

    def _reset(self, code: int) -> None:
        """After a refusal: a 421 closes the connection; anything else resets the transaction."""
        connection = self.backend.connection
        try:
            if code == 421:
                connection.close()
            else:
                connection.rset()
        except (smtplib.SMTPException, OSError):
            connection.close()

    def _failed(self, error: Exception) -> SendError:
        failure = smtp_error(error, self.config, connecting=False)
        if failure.reach is not Reach.MESSAGE:
            self.close()  # gone or not to be trusted: a fresh connection next time
        return failure


def sender_header(config: MessagingSettings) -> str:
    """The From header: the shop's name and address, the name encoded as headers need."""
    address = config.sender_address
    if not config.from_name:
        return address
    user, _at, domain = address.rpartition("@")
    return str(Address(display_name=config.from_name, username=user, domain=domain))
