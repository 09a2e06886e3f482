"""Where a shop's email may go. The owner types the mail server's host, port and encryption;
without limits the test send would reach any port of this server or its private network (a
refused port and a silent one answer differently: a port scanner), and "no encryption" would
send the password in clear text across the internet.

So: mail ports only (``SMTP_ALLOWED_PORTS``), no encryption only to this machine, and in
production no address of this server or its private network (``SMTP_ALLOW_PRIVATE_HOSTS``).
The form checks this to put the message next to the field, and every connection checks it
again (the test send and the outbox's sends alike) on the addresses the name resolves to
then, and connects to one of those very addresses: a name that resolves elsewhere a moment
later gains nothing.
"""

import functools
import ipaddress
import smtplib
import socket

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend
from django.utils.translation import gettext as _

from messaging.models import MessagingSettings

NO_ENCRYPTION = MessagingSettings.Security.NONE


class DestinationRefused(OSError):
    """The settings point where mail may not go; ``field`` names what to fix."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is no part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return ip


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def smtp_destination_check(*, host: str, port: int, security: str) -> list[str]:
    """The addresses mail to ``host`` may be handed to. Raises DestinationRefused, or the
    resolver's OSError for a name that does not exist (the send says that itself)."""
    if port not in settings.SMTP_ALLOWED_PORTS:
        raise DestinationRefused(
            "smtp_port",
            _(
                "Port %(port)s is not a mail port: use 587 with STARTTLS or 465 with SSL/TLS (Gmail: 587). "
                "Other ports can only be allowed by whoever runs this server (SMTP_ALLOWED_PORTS)."
            )
            % {"port": port},
        )
    plain = security == NO_ENCRYPTION
    if not plain and settings.SMTP_ALLOW_PRIVATE_HOSTS:
        return [host]  # nothing to check on the addresses: let the connection resolve the name
    clear_text = DestinationRefused(
        "smtp_security",
        _(
            "Without encryption the password would travel in clear text, so it is only for a mail server on "
            "this machine (localhost). For Gmail choose STARTTLS with port 587."
        ),
    )
    try:
        addresses = _resolve(host, port)
    except OSError:
        if plain:
            raise clear_text from None
        raise
    ips = [_ip(address) for address in addresses]
    if plain and not all(ip.is_loopback for ip in ips):
        raise clear_text
    if not settings.SMTP_ALLOW_PRIVATE_HOSTS and (inner := next((ip for ip in ips if not ip.is_global), None)):
        raise DestinationRefused(
            "smtp_host",
            _(
                "%(host)s is an address of this server or of a private network (%(address)s): enter the "
                "mail server on the internet, e.g. smtp.gmail.com. Only whoever runs this server can allow "
                "private addresses (SMTP_ALLOW_PRIVATE_HOSTS)."
            )
            % {"host": host, "address": inner},
        )
    return addresses


class _CheckedConnect:
    """smtplib's connection, opened only to an address that passed the check."""

    def __init__(self, *args, security: str, **kwargs):
        self.security = security
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        addresses = smtp_destination_check(host=host, port=port, security=self.security)
        failure: OSError | None = None
        for address in addresses:
            try:
                # TLS still checks the certificate against the name typed (smtplib keeps it
                # in self._host), not against the address.
                return super()._get_socket(address, port, timeout)
            except OSError as error:
                failure = error
        raise failure or OSError(f"no address for {host}")


class CheckedSMTP(_CheckedConnect, smtplib.SMTP):
    pass


class CheckedSMTPSSL(_CheckedConnect, smtplib.SMTP_SSL):
    pass


class CheckedEmailBackend(EmailBackend):
    def __init__(self, *args, security: str, **kwargs):
        self.security = security
        super().__init__(*args, **kwargs)

    @property
    def connection_class(self):
        return functools.partial(CheckedSMTPSSL if self.use_ssl else CheckedSMTP, security=self.security)


def email_backend(config: MessagingSettings, *, password: str) -> EmailBackend:
    """A connection to the shop's server, checked as above."""
    return CheckedEmailBackend(
        host=config.smtp_host,
        port=config.smtp_port,
        # Empty, not None: None would fall back to the deployment's EMAIL_HOST_USER/PASSWORD.
        username=config.smtp_username,
        password=password,
        use_tls=config.smtp_security == MessagingSettings.Security.STARTTLS,
        use_ssl=config.smtp_security == MessagingSettings.Security.SSL,
        security=config.smtp_security,
        timeout=settings.SMTP_TIMEOUT,
        fail_silently=False,
    )
