"""Whether an address on this server can be reached from the Internet (by Haravan's
servers, say), judged from the address alone: no DNS look-up, which may hang or lie."""

import ipaddress
from urllib.parse import urlsplit

LOCAL_NAMES = ("localhost", "localhost.localdomain")
LOCAL_SUFFIXES = (".localhost", ".local", ".lan", ".internal", ".home.arpa")


def url_is_public(url: str) -> bool:
    """False for loopback, private, link-local and single-label hosts (127.0.0.1, localhost,
    192.168.1.5, myserver, shop.local); True for any other name or address."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host not in LOCAL_NAMES and not host.endswith(LOCAL_SUFFIXES) and "." in host
    return address.is_global
