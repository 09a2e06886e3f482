"""Activity log page: server time with many entries, against Django admin's changelist.

Builds a shop with 200,000 log entries (BENCH_ACTIVITY_ROWS) from 20 staff over a year, then
times our page (first page, a person + date filter, a deep page) and Django admin's
changelist of the same table, median of repeated requests through the test client.
"""

import datetime
import os
import random
import statistics
import time

from django.test import Client
from django.utils import timezone

from loyalty.services import loyalty_defaults_create
from shops.models import ActivityEntry, ActivityKind, Shop, User

ROWS = int(os.environ.get("BENCH_ACTIVITY_ROWS", 200_000))
REPEAT = 15


def _median_ms(client: Client, path: str, params: dict | None = None) -> float:
    timings = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        response = client.get(path, params or {})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings)


def run(report) -> None:
    shop = Shop.objects.create(name="Bench shop")
    loyalty_defaults_create(shop=shop)
    owner = User.objects.create_user(username="bench-owner", password="x", shop=shop, role=User.Role.OWNER)
    root = User.objects.create_superuser(username="bench-root", password="x")
    staff = [owner] + [
        User.objects.create_user(username=f"bench-staff-{i}", password="x", shop=shop) for i in range(19)
    ]
    kinds = [ActivityKind.LOGIN, ActivityKind.LOGOUT, ActivityKind.LOGIN_FAILED, ActivityKind.EXPORT_REQUESTED]
    rnd = random.Random(7)
    now = timezone.now()
    started = time.perf_counter()
    batch = []
    for index in range(ROWS):
        actor = rnd.choice(staff)
        batch.append(
            ActivityEntry(
                shop=shop,
                actor=actor,
                actor_name=actor.username,
                kind=rnd.choice(kinds),
                summary=f"{actor.username} did thing {index}",
                ip="203.0.113.5",
                created_at=now - datetime.timedelta(seconds=rnd.uniform(0, 365 * 86400)),
            )
        )
        if len(batch) == 10_000:
            ActivityEntry.objects.bulk_create(batch)
            batch = []
    ActivityEntry.objects.bulk_create(batch)
    report(f"inserted {ROWS:,} entries", ROWS / (time.perf_counter() - started), "rows/s")

    ours = Client()
    ours.force_login(owner)
    admin = Client()
    admin.force_login(root)
    month_ago = (timezone.localdate() - datetime.timedelta(days=30)).strftime("%d/%m/%Y")
    baseline = _median_ms(admin, "/admin/shops/activityentry/")
    report("Django admin changelist, first page", baseline, "ms")
    report(
        "our log, first page",
        _median_ms(ours, "/settings/activity/"),
        "ms",
        baseline=baseline,
        baseline_name="admin changelist",
    )
    report(
        "our log, one person over the last 30 days",
        _median_ms(ours, "/settings/activity/", {"person": staff[3].pk, "date_from": month_ago}),
        "ms",
        baseline=baseline,
        baseline_name="admin changelist",
    )
    middle = ROWS // 50 // 2
    report(
        f"our log, page {middle:,} of {ROWS // 50:,}",
        _median_ms(ours, "/settings/activity/", {"page": middle}),
        "ms",
        baseline=baseline,
        baseline_name="admin changelist",
    )
