"""How repeated failed logins are slowed down without handing a stranger a lock on someone
else's account.

A lock on a username alone is a lock anyone controls: five wrong passwords for the owner's
username, from anywhere, and the owner is out. So the hard locks are per address (guessing
many usernames from one place) and per (username, address) (guessing one from one place).
Across addresses (guesses spread over many machines) the username gets a growing delay
instead: after ``LOGIN_DELAY_AFTER`` failures in ``LOGIN_DELAY_WINDOW_HOURS``, each attempt
waits 2, 4, 8 … seconds after the last failure, at most ``LOGIN_DELAY_MAX_SECONDS``. An
address that logged in as that username lately is spared the delay, so a stranger can slow
the owner down on a new network but never keep them out from their own.

The counts come from the activity log's failed-login lines, which every attempt writes
anyway; a refused attempt writes a "refused" line, which counts toward nothing.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from shops.models import ActivityEntry, ActivityKind

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginRefusal:
    summary: str  # for the activity log: which limit
    message: str  # for the person at the login form: how long to wait


def _failures(**lookup) -> QuerySet:
    return ActivityEntry.objects.filter(kind=ActivityKind.LOGIN_FAILED, **lookup)


def _locked(failures: QuerySet, *, limit: int, now: datetime.datetime) -> int:
    """Minutes until the window frees an attempt, or 0 when under the limit."""
    window = datetime.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    recent = failures.filter(created_at__gte=now - window)
    if recent.count() < limit:
        return 0
    oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
    remaining = oldest + window - now
    return max(1, int(remaining.total_seconds() // 60) + 1)


def _lock_message(minutes: int) -> str:
    return ngettext(
        "Too many failed logins. For your safety, try again in %(minutes)d minute.",
        "Too many failed logins. For your safety, try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def _known_address(username: str, ip: str | None) -> bool:
    if not ip:
        return False
    since = timezone.now() - datetime.timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS)
    return ActivityEntry.objects.filter(
        kind=ActivityKind.LOGIN, target_label=username, ip=ip, created_at__gte=since
    ).exists()


def delay_seconds(failures: int) -> int:
    """The wait after the last failure once a username has had ``failures`` of them."""
    if failures < settings.LOGIN_DELAY_AFTER:
        return 0
    return min(2 ** (failures - settings.LOGIN_DELAY_AFTER + 1), settings.LOGIN_DELAY_MAX_SECONDS)


def login_refusal(*, username: str, ip: str | None) -> LoginRefusal | None:
    """Why an attempt to log in as ``username`` from ``ip`` is refused now, or None."""
    now = timezone.now()
    names = {"username": username}
    refusal = None
    # Without an address (no REMOTE_ADDR, a proxy not declared), every such attempt would
    # share one lock: a stranger's failures would lock everyone out. The username's delay
    # alone applies then.
    if ip and (minutes := _locked(_failures(ip=ip), limit=settings.LOGIN_FAILURE_IP_LIMIT, now=now)):
        summary = _("Login to %(username)s refused: too many failed logins from this address.") % names
        refusal = LoginRefusal(summary=summary, message=_lock_message(minutes))
    elif ip and (
        minutes := _locked(_failures(ip=ip, target_label=username), limit=settings.LOGIN_FAILURE_LIMIT, now=now)
    ):
        summary = _("Login to %(username)s refused: too many failed logins for it from this address.") % names
        refusal = LoginRefusal(summary=summary, message=_lock_message(minutes))
    elif not _known_address(username, ip):
        since = now - datetime.timedelta(hours=settings.LOGIN_DELAY_WINDOW_HOURS)
        failures = _failures(target_label=username, created_at__gte=since)
        count = failures.count()
        if wait := delay_seconds(count):
            last = failures.order_by("-created_at").values_list("created_at", flat=True).first()
            seconds = int((last + datetime.timedelta(seconds=wait) - now).total_seconds() + 0.999)
            if seconds > 0:
                summary = _("Login to %(username)s delayed %(seconds)d s: %(count)d failed logins for it lately.") % {
                    **names,
                    "seconds": seconds,
                    "count": count,
                }
                message = ngettext(
                    "Many failed logins for this username lately. For your safety, wait %(seconds)d second "
                    "and try again.",
                    "Many failed logins for this username lately. For your safety, wait %(seconds)d seconds "
                    "and try again.",
                    seconds,
                ) % {"seconds": seconds}
                refusal = LoginRefusal(summary=summary, message=message)
    if refusal is not None:
        logger.warning("Login refused for %r from %s: %s", username, ip, refusal.summary)
    return refusal
