"""A fake Haravan REST API on loopback, for tests and benchmarks: real HTTP, paging by
since_id and updated_at_min, a leaky bucket that answers 429, and switches for slow answers
and malformed JSON."""

import json
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

    def _handler(self):
        fake = self

        class Handler(QuietHandler):
            def do_GET(self):
                parsed = urlparse(self.path)
                fake.requests.append(parsed.path)
                if fake.delay_seconds:
                    time.sleep(fake.delay_seconds)
                if self.headers.get("Authorization") != f"Bearer {fake.token}":
                    return self.send_json(401, b'{"error":"Unauthorized"}')
                if fake.rate_limit and not fake._take_token():
                    return self.send_json(429, b'{"error":"Too many requests"}', {"Retry-After": "0.3"})
                if fake.fail_after_requests is not None and len(fake.requests) > fake.fail_after_requests:
                    return self.send_json(500, b'{"error":"boom"}')
                if fake.fail_next:
                    fake.fail_next -= 1
                    return self.send_json(500, b'{"error":"boom"}')
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
                }
                route = routes.get(parsed.path)
                if route is None:
                    return self.send_json(404, b'{"error":"Not found"}')
                headers = {}
                if fake.report_call_limit:
                    headers["X-Haravan-Api-Call-Limit"] = f"{int(fake._level)}/{fake.bucket_size}"
                self.send_json(200, json.dumps(route()).encode(), headers)

        return Handler
