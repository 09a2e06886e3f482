"""Webhook intake: signed order webhooks per second through gunicorn, p50/p99, duplicates.

Starts gunicorn (gthread) and a Celery worker on this machine's database and broker, sends
BENCH_WEBHOOKS distinct signed order webhooks (a tenth of them twice) from BENCH_CONCURRENCY
(default 8) keep-alive connections, then waits for the worker to apply them and counts the orders: there
must be exactly one per distinct webhook. Aim: 300/s or more with p99 under 100 ms, on
PostgreSQL and Redis.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection as db

from core.db import current_database_url
from haravan.models import HaravanConnection, WebhookEvent
from loyalty.services import loyalty_defaults_create
from members.models import Order
from shops.models import Shop

COUNT = int(os.environ.get("BENCH_WEBHOOKS", 6_000))
# Haravan delivers a shop's webhooks over a handful of connections; past the server's
# capacity (about 24 here), latency is queueing, not work.
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", 8))
SECRET = "bench-secret"
AIM_PER_SECOND = 300


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _bodies(count: int) -> list[bytes]:
    rnd = random.Random(11)
    bodies = []
    for index in range(count):
        phone = f"09{rnd.randint(10_000_000, 99_999_999)}"
        payload = {
            "id": 10_000_000 + index,
            "name": f"#{100000 + index}",
            "total_price": f"{rnd.randint(100, 3000) * 1000}.0",
            "financial_status": "paid",
            "created_at": "2026-11-20T01:00:00Z",
            "updated_at": "2026-11-20T02:00:00Z",
            "customer": {"id": 500_000 + index % 3000, "first_name": "Lan", "last_name": "Nguyễn", "phone": phone},
        }
        bodies.append(json.dumps(payload).encode())
    return bodies


def _request(path: str, body: bytes, topic: str = "orders/paid") -> bytes:
    signature = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nX-Haravan-Topic: {topic}\r\nX-Haravan-Org-Id: 1\r\n"
        f"X-Haravan-HmacSha256: {signature}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


async def _client(port: int, queue: list[bytes], latencies: list[float], statuses: dict[int, int]) -> None:
    reader = writer = None
    while queue:
        request = queue.pop()
        if writer is None:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        started = time.perf_counter()
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip() for line in lines[1:] if ":" in line}
        await reader.readexactly(int(headers.get("content-length", 0)))
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        if headers.get("connection", "").lower() == "close":
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _send_all(port: int, requests: list[bytes]) -> tuple[float, list[float], dict[int, int]]:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue = list(reversed(requests))
    started = time.perf_counter()
    await asyncio.gather(*[_client(port, queue, latencies, statuses) for _ in range(CONCURRENCY)])
    return time.perf_counter() - started, latencies, statuses


def _wait_http(port: int, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn stopped")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def run(report) -> None:
    if db.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        print("  (figures below are for the embedded default; the aim is set for PostgreSQL and Redis)")
    shop = Shop.objects.create(name="Bench webhooks")
    loyalty_defaults_create(shop=shop)
    connection = HaravanConnection.objects.create(shop=shop, access_token="x", client_secret=SECRET)
    path = f"/webhooks/haravan/{connection.webhook_key}/"
    bodies = _bodies(COUNT)
    duplicates = random.Random(5).sample(range(COUNT), COUNT // 10)
    requests = [_request(path, body) for body in bodies] + [_request(path, bodies[i]) for i in duplicates]
    random.Random(6).shuffle(requests)

    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": current_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    root = Path(settings.BASE_DIR)
    from config.celery import app

    app.control.purge()
    gunicorn = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", "gthread", "--threads", "8", "--keep-alive", "30", "--log-level", "warning"],
        cwd=root, env=env,
    )  # fmt: skip
    worker = None
    try:
        _wait_http(port, gunicorn)
        # Warm up (imports, connections) with a topic that is verified, then ignored.
        asyncio.run(_send_all(port, [_request(path, b'{"id": 1}', topic="products/create")] * 50))
        elapsed, latencies, statuses = asyncio.run(_send_all(port, requests))
        total = len(requests)
        latencies.sort()
        report(f"webhooks accepted ({total:,}, of which {len(duplicates):,} repeats)", total / elapsed, "per s",
               baseline=AIM_PER_SECOND, baseline_name="the aim")  # fmt: skip
        report("latency p50", statistics.median(latencies), "ms")
        report("latency p99", latencies[int(len(latencies) * 0.99) - 1], "ms", baseline=100, baseline_name="the aim")
        print(f"  answers: {statuses}")

        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=WARNING", "--concurrency=2",
             "--without-mingle", "--without-gossip"],
            cwd=root, env=env,
        )  # fmt: skip
        started = time.perf_counter()
        deadline = time.monotonic() + 600
        while WebhookEvent.objects.filter(shop=shop, status=WebhookEvent.Status.RECEIVED).exists():
            if time.monotonic() > deadline:
                print("  the worker did not finish within 10 minutes")
                break
            time.sleep(0.5)
        processed = WebhookEvent.objects.filter(shop=shop, status=WebhookEvent.Status.PROCESSED).count()
        report("events applied by one worker (2 processes)", processed / (time.perf_counter() - started), "per s")
        orders = Order.objects.filter(shop=shop).count()
        print(f"  distinct webhooks {COUNT:,}; events stored {WebhookEvent.objects.filter(shop=shop).count():,}; "
              f"orders created {orders:,}; duplicates created {orders - COUNT:,} (must be 0)")  # fmt: skip
    finally:
        for process in (gunicorn, worker):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
