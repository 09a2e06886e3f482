"""A fake Haravan REST API on loopback, for tests and benchmarks: real HTTP, paging by
since_id and updated_at_min, a leaky bucket that answers 429, and switches for slow answers
and malformed JSON. Discounts: create (a code is unique, case-insensitively; starts_at must
not be past), look up by code, read by id, enable and disable, with switches for a create
that is stored but whose answer is lost, and one stored with other values than asked."""

import datetime
import json
import re
import threading
import time
from urllib.parse import parse_qs, urlparse

from core.tests.loopback import LoopbackServer, QuietHandler


class FakeHaravan(LoopbackServer):
    def __init__(self, *, token: str = "test-token", bucket_size: int = 80, drain_per_second: float = 4.0):
        self.token = token
        self.customers: dict[int, dict] = {}
        self.orders: dict[int, dict] = {}
        self.shop = {"id": 200000123, "name": "Thời trang Hoa Mai", "domain": "hoamai.myharavan.com"}
        self.rate_limit = True
        self.bucket_size = bucket_size
        self.drain_per_second = drain_per_second
        self._level = 0.0
        self._last = time.monotonic()
        self.delay_seconds = 0.0  # sleep before answering (for timeouts)
        self.malformed_next = 0  # answer this many requests with broken JSON
        self.fail_next = 0  # answer this many requests with HTTP 500
        self.fail_after_requests: int | None = None  # from then on, answer 500
        self.report_call_limit = True  # send X-Haravan-Api-Call-Limit, as Haravan does
        self.requests: list[str] = []
        self.throttled = 0
        self.throttle_next = 0  # answer this many requests 429 with Retry-After, bucket or not
        self.discounts: dict[int, dict] = {}
        self.discount_creates = 0  # POSTs that stored a discount
        # The next creates are stored, then their answer is lost: "drop" (the connection is
        # closed), "500", or "slow" (answered after lost_answer_delay, past the client's timeout).
        self.lose_next_creates: list[str] = []
        self.lost_answer_delay = 1.0
        self.differ_next_create: dict = {}  # stored over what the next create asked
        self._next_discount_id = 1000001
        self._lock = threading.Lock()
        super().__init__()

    # Data ------------------------------------------------------------------------------------

    def add_customer(self, customer_id: int, **fields) -> dict:
        customer = {
            "id": customer_id,
            "first_name": "",
            "last_name": "",
            "email": "",
            "phone": "",
            "updated_at": "2026-01-01T00:00:00Z",
            **fields,
        }
        self.customers[customer_id] = customer
        return customer

    def add_order(self, order_id: int, **fields) -> dict:
        order = {
            "id": order_id,
            "name": f"#{order_id}",
            "total_price": "500000.0",
            "financial_status": "paid",
            "created_at": "2026-01-01T03:00:00Z",
            "updated_at": "2026-01-01T03:00:00Z",
            "cancelled_at": None,
            "customer": None,
            **fields,
        }
        self.orders[order_id] = order
        return order

    # Serving ---------------------------------------------------------------------------------

    def _take_token(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self._level = max(0.0, self._level - (now - self._last) * self.drain_per_second)
            self._last = now
            if self._level + 1 > self.bucket_size:
                self.throttled += 1
                return False
            self._level += 1
            return True

    def _listing(self, items: dict[int, dict], query: dict) -> list[dict]:
        since_id = int(query.get("since_id", ["0"])[0] or 0)
        limit = min(int(query.get("limit", ["50"])[0]), 250)
        updated_min = query.get("updated_at_min", [None])[0]
        chosen = [item for key, item in sorted(items.items()) if key > since_id]
        if updated_min:
            from django.utils.dateparse import parse_datetime

            floor = parse_datetime(updated_min)
            chosen = [item for item in chosen if parse_datetime(item["updated_at"]) >= floor]
        return chosen[:limit]

    def _count(self, items: dict[int, dict], query: dict) -> int:
        return len(self._listing(items, {**query, "limit": ["1000000000"], "since_id": ["0"]}))

    def _discount_store(self, asked: dict) -> tuple[int, dict]:
        code = str(asked.get("code") or "").strip()
        if not code:
            return 422, {"errors": {"code": ["can't be blank"]}}
        if any(d["code"].lower() == code.lower() for d in self.discounts.values()):
            return 422, {"errors": {"code": ["has already been taken"]}}
        starts = _parse_time(asked.get("starts_at"))
        ends = _parse_time(asked.get("ends_at"))
        now = datetime.datetime.now(datetime.UTC)
        if starts is not None and starts < now - datetime.timedelta(seconds=5):
            return 422, {"errors": {"starts_at": ["must be greater than current date"]}}
        if ends is not None and ends < now:
            return 422, {"errors": {"ends_at": ["must be greater than current date"]}}
        with self._lock:
            discount_id = self._next_discount_id
            self._next_discount_id += 1
        discount = {
            "id": discount_id,
            "code": code,
            "discount_type": asked.get("discount_type") or "fixed_amount",
            "value": float(asked.get("value") or 0),
            "minimum_order_amount": float(asked.get("minimum_order_amount") or 0),
            "usage_limit": asked.get("usage_limit"),
            "once_per_customer": bool(asked.get("once_per_customer")),
            "applies_once": bool(asked.get("applies_once")),
            # Haravan answers in UTC, whatever offset it was sent.
            "starts_at": _utc_text(starts),
            "ends_at": _utc_text(ends),
            "status": "enabled",
            "times_used": 0,
            "applies_to_resource": None,
            "created_at": _utc_text(now),
            **self.differ_next_create,
        }
        self.differ_next_create = {}
        self.discounts[discount_id] = discount
        self.discount_creates += 1
        return 201, {"discount": discount}

    def _handler(self):
        fake = self

        class Handler(QuietHandler):
            def _admitted(self, parsed) -> bool:
                """The checks every request meets first; False once it has been answered."""
                fake.requests.append(f"{self.command} {parsed.path}" if self.command != "GET" else parsed.path)
                if fake.delay_seconds:
                    time.sleep(fake.delay_seconds)
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    self.send_json(401, b'{"error":"Unauthorized"}')
                    return False
                if fake.throttle_next:
                    fake.throttle_next -= 1
                    fake.throttled += 1
                    self.send_json(429, b'{"error":"Too many requests"}', {"Retry-After": "0.3"})
                    return False
                if fake.rate_limit and not fake._take_token():
                    self.send_json(429, b'{"error":"Too many requests"}', {"Retry-After": "0.3"})
                    return False
                if fake.fail_after_requests is not None and len(fake.requests) > fake.fail_after_requests:
                    self.send_json(500, b'{"error":"boom"}')
                    return False
                if fake.fail_next:
                    fake.fail_next -= 1
                    self.send_json(500, b'{"error":"boom"}')
                    return False
                return True

            def _answer(self, status: int, payload: dict) -> None:
                headers = {}
                if fake.report_call_limit:
                    headers["X-Haravan-Api-Call-Limit"] = f"{int(fake._level)}/{fake.bucket_size}"
                self.send_json(status, json.dumps(payload).encode(), headers)

            def do_GET(self):
                parsed = urlparse(self.path)
                if not self._admitted(parsed):
                    return
                if fake.malformed_next:
                    fake.malformed_next -= 1
                    return self.send_json(200, b'{"orders": [ {"id": 1, ')
                query = parse_qs(parsed.query)
                routes = {
                    "/com/shop.json": lambda: {"shop": fake.shop},
                    "/com/customers.json": lambda: {"customers": fake._listing(fake.customers, query)},
                    "/com/orders.json": lambda: {"orders": fake._listing(fake.orders, query)},
                    "/com/customers/count.json": lambda: {"count": fake._count(fake.customers, query)},
                    "/com/orders/count.json": lambda: {"count": fake._count(fake.orders, query)},
                    "/com/discounts.json": lambda: {"discounts": fake._discounts_by_code(query)},
                }
                route = routes.get(parsed.path)
                one = re.fullmatch(r"/com/discounts/(\d+)\.json", parsed.path)
                if one and int(one[1]) in fake.discounts:
                    return self._answer(200, {"discount": fake.discounts[int(one[1])]})
                if route is None:
                    return self.send_json(404, b'{"error":"Not found"}')
                self._answer(200, route())

            def do_POST(self):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if not self._admitted(parsed):
                    return
                if parsed.path != "/com/discounts.json":
                    return self.send_json(404, b'{"error":"Not found"}')
                try:
                    asked = json.loads(raw)["discount"]
                except (ValueError, KeyError, TypeError):
                    return self.send_json(400, b'{"error":"Bad request"}')
                status, payload = fake._discount_store(asked)
                if status == 201 and fake.lose_next_creates:
                    how = fake.lose_next_creates.pop(0)
                    if how == "500":
                        return self.send_json(500, b'{"error":"boom"}')
                    if how == "slow":
                        time.sleep(fake.lost_answer_delay)
                    else:  # "drop": hang up without a word
                        self.close_connection = True
                        return
                self._answer(status, payload)

            def do_PUT(self):
                parsed = urlparse(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if not self._admitted(parsed):
                    return
                found = re.fullmatch(r"/com/discounts/(\d+)/(enable|disable)\.json", parsed.path)
                if not found or int(found[1]) not in fake.discounts:
                    return self.send_json(404, b'{"error":"Not found"}')
                discount = fake.discounts[int(found[1])]
                discount["status"] = "enabled" if found[2] == "enable" else "disabled"
                self._answer(200, {"discount": discount})

        return Handler

    def _discounts_by_code(self, query: dict) -> list[dict]:
        code = (query.get("code") or [""])[0].strip().lower()
        return [d for _id, d in sorted(self.discounts.items()) if not code or d["code"].lower() == code]


def _parse_time(value) -> datetime.datetime | None:
    if not value:
        return None
    return datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _utc_text(moment: datetime.datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
