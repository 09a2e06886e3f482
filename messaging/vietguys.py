"""Handing SMS to VietGuys' HTTP API, and turning what it answers into a reason a shop owner
can act on, with how far it reaches (``Reach``, as for email)."""

import ssl

import requests
from django.conf import settings
from django.utils.translation import gettext as _
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ProxyError, SSLError

from messaging.models import MessagingSettings
from messaging.senders import Reach, SendError
from messaging.sms import sms_size


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
