"""Handing messages to the shop's mail server (SMTP, Gmail by default) and to VietGuys, and
turning what they answer into a reason a shop owner can act on.

Each failure says how far it reaches (``Reach``): this message only, this message for now,
every message of the shop's channel (the account or the server is wrong, or the daily
quota is used up), or nobody knows whether it was delivered.
"""

import enum
import smtplib
import socket
import ssl
from email.headerregistry import Address

import requests
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ProxyError, SSLError

from messaging.destinations import DestinationRefused, email_backend
from messaging.models import MessagingSettings
from messaging.sms import sms_size


class Reach(enum.Enum):
    MESSAGE = "message"  # this message cannot be sent (a refused address): do not retry it
    RETRY = "retry"  # this message, for now: try it again later
    ACCOUNT = "account"  # the settings or the server: every message waits until fixed
    QUOTA = "quota"  # the daily sending limit: every message waits
    UNKNOWN = "unknown"  # broke while handing it over: it may have arrived, never resend


class SendError(Exception):
    def __init__(self, reach: Reach, reason: str, *, code: str = "", field: str | None = None):
        super().__init__(reason)
        self.reach = reach
        self.reason = reason
        self.field = field  # the settings field to fix, where one is to blame
        self.code = code  # the provider's own error code, where it gave one


def app_password(value: str) -> str:
    """Google shows an app password as "abcd efgh ijkl mnop": the spaces are not part of it."""
    return "".join((value or "").split())


# Email ---------------------------------------------------------------------------------------


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {' '.join(text.split())}".strip()


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

    def _check_alive(self) -> None:
        """A server may drop a connection left idle: a NOOP finds out before a message is
        handed over, so that a broken line then really means "maybe delivered"."""
        if not self.open:
            return
        try:
            code, _text = self.backend.connection.noop()
        except (smtplib.SMTPException, OSError):
            code = 0
        if code != 250:
            self.close()

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
        try:
            message.message()  # a header that cannot be written fails here, before anything is sent
        except ValueError as error:
            raise SendError(
                Reach.MESSAGE, _("This message cannot be sent as written: %(error)s") % {"error": error}
            ) from error
        self._check_alive()
        self.connect()
        try:
            self.backend.send_messages([message])
        except ValueError as error:  # an address Django cannot write: checked before anything is sent
            raise SendError(
                Reach.MESSAGE, _("This message cannot be sent as written: %(error)s") % {"error": error}
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            failure = smtp_error(error, self.config, connecting=False)
            if failure.reach is not Reach.MESSAGE:
                self.close()  # gone or not to be trusted: a fresh connection next time
            raise failure from error


def sender_header(config: MessagingSettings) -> str:
    """The From header: the shop's name and address, the name encoded as headers need."""
    address = config.sender_address
    if not config.from_name:
        return address
    user, _at, domain = address.rpartition("@")
    return str(Address(display_name=config.from_name, username=user, domain=domain))


# SMS (VietGuys) ------------------------------------------------------------------------------


def vietguys_phone(e164: str) -> str:
    """VietGuys takes the number as 84..., without the plus."""
    return e164.removeprefix("+")


class SmsSender:
    """VietGuys' HTTP API, one session for a batch. ``bid`` is our id of the request."""

    def __init__(self, config: MessagingSettings, *, password: str | None = None):
        self.config = config
        self.password = config.sms_password if password is None else password
        self.session = requests.Session()

    def __enter__(self) -> "SmsSender":
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    def send(self, *, phone: str, text: str, request_id: str) -> str:
        """Send; return VietGuys' message id."""
        data = {
            "u": self.config.sms_username,
            "pwd": self.password,
            "from": self.config.sms_brandname,
            "phone": vietguys_phone(phone),
            "sms": text,
            "bid": request_id,
            "type": sms_size(text).type,
            "json": 1,
        }
        try:
            response = self.session.post(settings.VIETGUYS_URL, data=data, timeout=settings.VIETGUYS_TIMEOUT)
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ) as error:
            raise SendError(
                Reach.ACCOUNT,
                _("VIETGUYS_URL is not an address VietGuys can be reached at (%(url)s); the messages wait.")
                % {"url": settings.VIETGUYS_URL},
            ) from error
        except requests.ConnectionError as error:
            if not _request_sent(error):
                raise SendError(
                    Reach.ACCOUNT,
                    _("Could not connect to VietGuys (%(detail)s); the messages wait and are tried again.")
                    % {"detail": error.__class__.__name__},
                ) from error
            raise _sms_unknown(error) from error
        except requests.Timeout as error:  # the request went out and no answer came
            raise _sms_unknown(error) from error
        status = response.status_code
        if status in (429, 503):  # refused before handling it
            raise SendError(
                Reach.ACCOUNT,
                _("VietGuys is busy or unavailable (HTTP %(status)d); the messages wait and are tried again.")
                % {"status": status},
            )
        if status in (401, 403):
            raise SendError(
                Reach.ACCOUNT,
                _("VietGuys refused the account (HTTP %(status)d): check the account name and the password or token.")
                % {"status": status},
            )
        if status >= 500:  # a gateway error or a crash: VietGuys may have handled it
            raise _sms_unknown(None, detail=f"HTTP {status}")
        if status >= 400:  # not handled at all: a wrong address, say
            raise SendError(
                Reach.ACCOUNT,
                _("VietGuys answered HTTP %(status)d: check the VIETGUYS_URL setting; the messages wait.")
                % {"status": status},
            )
        try:
            answer = response.json()
            code = int(answer.get("error", -1))
        except (ValueError, TypeError, AttributeError) as error:
            raise _sms_unknown(error, detail=f"HTTP {status}") from error
        if code == 0:
            return str(answer.get("msgid") or "")
        raise SendError(
            Reach.MESSAGE,
            _("VietGuys did not send this message: %(message)s (error %(code)s).")
            % {"message": answer.get("message") or "—", "code": code},
            code=str(code),
        )


def _request_sent(error: requests.ConnectionError) -> bool:
    """Whether the request may have reached VietGuys: only a failure to connect (no such
    host, refused, no route, a proxy that would not connect) or a failed TLS handshake
    means for sure that nothing was written."""
    if isinstance(error, (requests.ConnectTimeout, requests.exceptions.ProxyError)):
        return False
    reason = error.args[0] if error.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    if isinstance(reason, (NewConnectionError, ConnectTimeoutError, ProxyError)):
        return False
    if isinstance(error, requests.exceptions.SSLError) or isinstance(reason, SSLError):
        return not _tls_handshake_failed(error)
    return True


# OpenSSL's reasons for a handshake that did not complete (the certificate, the protocol, an
# alert from the server). A TLS error while reading the answer is none of these.
_HANDSHAKE_REASONS = ("CERTIFICATE", "WRONG_VERSION_NUMBER", "HANDSHAKE", "ALERT", "PROTOCOL", "CIPHER")


def _tls_handshake_failed(error: BaseException) -> bool:
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return True
        if isinstance(current, ssl.SSLError) and any(word in (current.reason or "") for word in _HANDSHAKE_REASONS):
            return True
        pending.extend([*current.args, getattr(current, "reason", None), current.__cause__, current.__context__])
    return False


def _sms_unknown(error: Exception | None, detail: str = "") -> SendError:
    return SendError(
        Reach.UNKNOWN,
        _(
            "VietGuys gave no clear answer after the message was handed over (%(detail)s). It may have been sent, "
            "so it is not sent again."
        )
        % {"detail": detail or error.__class__.__name__},
    )
