"""Haravan's REST API (apis.haravan.com/com/...), with its leaky bucket and time limits.

Haravan allows a burst of about 80 requests, draining 4 per second, and answers 429 when the
bucket is full: the client waits (Retry-After, or a second) and asks again. Timeouts, dropped
connections, 5xx answers and bodies that are not JSON are retried with backoff up to a
ceiling; then ``HaravanError`` says, in words a shop owner can act on, what is wrong. Writes
(POST) are not retried after a failure that may have been applied: the caller looks first
(``haravan.discounts``).
"""

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# 429s in a row before giving up: at 4 requests a second, a minute of a full bucket.
MAX_RATE_LIMITED = 60
MAX_BACKOFF_SECONDS = 30.0


class HaravanError(Exception):
    """``retryable``: trying again later may work. ``maybe_applied``: a write whose answer
    was lost (a timeout, a dropped connection, a 5xx): Haravan may have done it."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None, maybe_applied: bool = False):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.maybe_applied = maybe_applied


class HaravanClient:
    def __init__(
        self,
        *,
        token: str,
        base_url: str | None = None,
        timeout: float | None = None,
        max_attempts: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not token:
            raise HaravanError(
                _("No Haravan access token is saved: enter one on the connection page."), retryable=False
            )
        self.base_url = (base_url or settings.HARAVAN_API_URL).rstrip("/")
        self.timeout = timeout or settings.HARAVAN_TIMEOUT
        self.max_attempts = max_attempts or settings.HARAVAN_MAX_ATTEMPTS
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
        self.requests_made = 0

    def close(self) -> None:
        self.session.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any], *, retry_unsafe: bool = False) -> dict[str, Any]:
        """POST ``body``. A timeout, a dropped connection, a 5xx or an unreadable answer may
        come after Haravan applied the request (nothing in its API makes a create
        idempotent), so by default they are not retried here: they raise a retryable
        ``HaravanError`` with ``maybe_applied`` set, and the caller looks before it tries
        again. A 429 is always waited for and retried: Haravan applied nothing."""
        return self.request("POST", path, body=body, retry_unsafe=retry_unsafe)

    def put(self, path: str, body: dict[str, Any] | None = None, *, retry_unsafe: bool = True) -> dict[str, Any]:
        """PUT: Haravan's PUTs (enable, disable) set a state, so repeating one is harmless."""
        return self.request("PUT", path, body=body, retry_unsafe=retry_unsafe)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
        retry_unsafe: bool = True,
    ) -> dict[str, Any]:
        """One call, with the bucket's 429s waited for and, when ``retry_unsafe`` (always
        for a GET), timeouts, dropped connections, 5xx answers and broken JSON retried with
        backoff up to ``max_attempts``."""
        url = f"{self.base_url}{path}"
        writing = method != "GET"
        failures = 0
        rate_limited = 0
        while True:
            problem: HaravanError
            try:
                self.requests_made += 1
                response = self.session.request(
                    method, url, params=params, json=body, timeout=(min(self.timeout, 10), self.timeout)
                )
            except requests.ConnectTimeout:
                # Never connected: nothing reached Haravan, so even a create may be repeated.
                problem = HaravanError(
                    _("Could not reach Haravan (%(host)s). Check the server's internet connection.")
                    % {"host": self.base_url},
                    retryable=True,
                )
            except requests.Timeout:
                problem = HaravanError(
                    _("Haravan did not answer within %(seconds)d seconds. Try again later.")
                    % {"seconds": self.timeout},
                    retryable=True,
                    maybe_applied=writing,
                )
            except requests.ConnectionError:
                problem = HaravanError(
                    _("Could not reach Haravan (%(host)s). Check the server's internet connection.")
                    % {"host": self.base_url},
                    retryable=True,
                    maybe_applied=writing,
                )
            else:
                if response.status_code == 429:
                    rate_limited += 1
                    if rate_limited > MAX_RATE_LIMITED:
                        raise HaravanError(
                            _("Haravan kept asking us to slow down (HTTP 429). Try again in a few minutes."),
                            retryable=True,
                            status=429,
                        )
                    self.sleep(_retry_after(response))
                    continue
                rate_limited = 0
                if response.status_code in (401, 403):
                    raise HaravanError(
                        _(
                            "Haravan refused the access token (HTTP %(status)d). Create a new token in Haravan "
                            "(Apps › Private apps) with read access to customers and orders, and save it here."
                        )
                        % {"status": response.status_code}
                        if not writing
                        else _(
                            "Haravan refused to let this app change discounts (HTTP %(status)d). In Haravan "
                            "(Apps › Private apps), give the token write access to discounts "
                            "(com.write_discounts), and save it here."
                        )
                        % {"status": response.status_code},
                        retryable=False,
                        status=response.status_code,
                    )
                if response.status_code == 404:
                    raise HaravanError(
                        _("Haravan has no %(path)s: check the API address.") % {"path": path},
                        retryable=False,
                        status=404,
                    )
                if response.status_code >= 500:
                    problem = HaravanError(
                        _("Haravan had an internal error (HTTP %(status)d). Try again later.")
                        % {"status": response.status_code},
                        retryable=True,
                        status=response.status_code,
                        maybe_applied=writing,
                    )
                elif response.status_code >= 400:
                    raise HaravanError(
                        _("Haravan refused the request (HTTP %(status)d): %(detail)s")
                        % {"status": response.status_code, "detail": response.text[:200]},
                        retryable=False,
                        status=response.status_code,
                    )
                else:
                    try:
                        answer = response.json()
                    except ValueError:
                        answer = None
                    if isinstance(answer, dict):
                        self._pace(response)
                        return answer
                    problem = HaravanError(
                        _("Haravan answered with something that is not JSON. Try again later."),
                        retryable=True,
                        status=response.status_code,
                        maybe_applied=writing,
                    )
            failures += 1
            logger.warning(
                "Haravan %s %s failed (%d/%d): %s", method, path, failures, self.max_attempts, problem.message
            )
            if (problem.maybe_applied and not retry_unsafe) or failures >= self.max_attempts:
                raise problem
            self.sleep(min(MAX_BACKOFF_SECONDS, settings.HARAVAN_BACKOFF_SECONDS * 2**failures))

    def _pace(self, response: requests.Response) -> None:
        """Slow down before the bucket is full rather than after: "40/80" means 40 used."""
        used, _sep, size = response.headers.get("X-Haravan-Api-Call-Limit", "").partition("/")
        if used.isdigit() and size.isdigit() and int(size) and int(used) >= int(size) - 4:
            self.sleep(1.0)

    # Resources -------------------------------------------------------------------------------

    def shop(self) -> dict[str, Any]:
        return self.get("/com/shop.json").get("shop") or {}

    def count(self, resource: str, *, updated_at_min: str | None = None) -> int:
        params = {"updated_at_min": updated_at_min} if updated_at_min else None
        return int(self.get(f"/com/{resource}/count.json", params).get("count") or 0)

    def pages(
        self, resource: str, *, since_id: int = 0, updated_at_min: str | None = None, limit: int | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """Pages of ``resource`` (customers, orders) in ascending id after ``since_id``."""
        limit = limit or settings.HARAVAN_PAGE_SIZE
        while True:
            params: dict[str, Any] = {"limit": limit, "since_id": since_id, "order": "id asc"}
            if updated_at_min:
                params["updated_at_min"] = updated_at_min
            items = self.get(f"/com/{resource}.json", params).get(resource)
            if not isinstance(items, list):
                raise HaravanError(
                    _("Haravan's answer has no list of %(resource)s.") % {"resource": resource}, retryable=True
                )
            if not items:
                return
            yield items
            last = max(int(item["id"]) for item in items)
            if last <= since_id:
                return  # a server that ignores since_id would loop forever
            since_id = last
            if len(items) < limit:
                return


def _retry_after(response: requests.Response) -> float:
    try:
        return max(0.25, min(float(response.headers.get("Retry-After", 1.0)), MAX_BACKOFF_SECONDS))
    except ValueError:
        return 1.0
