import os

import pytest
from hypothesis import settings as hypothesis_settings

from shops.tests.factories import TEST_PASSWORD, OwnerFactory, ShopFactory, UserFactory

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# next to it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# The machines are shared: one example took 329 ms under load and 0.2 ms on its rerun, and
# hypothesis failed the test as flaky. Speed is measured in bench/, never asserted in tests.
hypothesis_settings.register_profile("loyalty", deadline=None)
hypothesis_settings.load_profile("loyalty")


@pytest.fixture
def shop(db):
    return ShopFactory(name="Thời trang Hoa Mai")


@pytest.fixture
def owner(shop):
    return OwnerFactory(shop=shop, username="chu.hoamai", first_name="Mai", last_name="Trần")


@pytest.fixture
def staff(shop):
    return UserFactory(shop=shop, username="nv.hoamai", first_name="Lan", last_name="Nguyễn")


@pytest.fixture
def other_shop(db):
    return ShopFactory(name="Mỹ phẩm Sen Vàng")


@pytest.fixture
def other_owner(other_shop):
    return OwnerFactory(shop=other_shop, username="chu.senvang")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def superuser_client(client, db):
    """The Django admin's user: a superuser of no shop."""
    client.force_login(UserFactory(shop=None, username="root", is_superuser=True, is_staff=True))
    return client


@pytest.fixture
def password():
    return TEST_PASSWORD


@pytest.fixture(scope="module")
def celery_worker_process(django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker process on the configured broker and the test database."""
    import subprocess
    import sys
    import time

    from django.conf import settings

    from config.celery import app
    from core.db import current_database_url

    try:
        with app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=2, interval_start=0.5, timeout=5)
    except Exception as error:  # never skip: a named broker that is down is a failure
        pytest.fail(f"The broker {settings.CELERY_BROKER_URL} cannot be reached: {error}")
    # Messages left in the broker by an earlier run would be delivered to this worker.
    app.control.purge()
    log_path = tmp_path_factory.mktemp("worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": current_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
        "--without-mingle", "--without-gossip", "-n", f"test-{os.getpid()}@%h",
    ]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"The Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_for(condition, timeout: float = 30.0, interval: float = 0.2):
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"Gave up waiting after {timeout:.0f} s")


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's headless Chromium driven by Playwright. Missing Chromium skips the browser
    tests on a developer's machine, and fails them under CI or REQUIRE_BROWSER=1."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not os.path.exists(path):
        message = f"Chromium is not installed at {path} (apt-get install chromium)"
        if os.environ.get("CI") or os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-US", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    # Chromium reports what the Content-Security-Policy blocked (an inline style, say) on the
    # console: a page that depends on it is broken for its users.
    blocked = []
    page.on("console", lambda message: "Content Security Policy" in message.text and blocked.append(message.text))
    yield page
    context.close()
    assert blocked == [], f"The Content-Security-Policy blocked: {blocked}"


@pytest.fixture
def artifacts_dir():
    from django.conf import settings

    settings.ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return settings.ARTIFACTS_DIR


@pytest.fixture
def busy_shop(shop, owner, staff):
    """The shop as a few weeks of use leave it, for the pages' query budgets: the defaults a
    new shop gets, members in tiers with orders, points and messages, a static and a rule
    group, a finished export, a Haravan connection with a sync, and the overview's figures."""
    import datetime
    import types

    from django.utils import timezone

    from dashboard.services import dashboard_refresh
    from haravan.models import HaravanConnection, SyncJob
    from loyalty.membership import members_activate
    from loyalty.orders import order_record
    from loyalty.services import points_adjust
    from members.services import group_add_customers, group_create
    from members.tests.factories import CustomerFactory, OrderDataFactory
    from messaging.tests.factories import MessageFactory
    from shops.exports import export_request, export_run

    now = timezone.now()
    customers = [
        CustomerFactory(shop=shop, name=name, phone=phone, email=email, city="Hà Nội")
        for name, phone, email in [
            ("Nguyễn Thị Mai", "+84912345678", "mai@example.vn"),
            ("Trần Văn Nam", "+84382345678", ""),
            ("Lê Thị Hoa", "+84987654321", "hoa@example.vn"),
            ("Phạm Minh Khoa", "+84901234567", "khoa@example.vn"),
        ]
    ]
    member, *others = customers
    members_activate(
        shop=shop, actor=staff, customer_ids=[c.pk for c in customers[:3]], when=now - datetime.timedelta(days=60)
    )
    for number, (customer, total, days_ago) in enumerate(
        [(member, 6_000_000, 40), (member, 1_500_000, 10), (others[0], 800_000, 5), (others[1], 12_000_000, 2)], 1
    ):
        created = now - datetime.timedelta(days=days_ago)
        order_record(shop=shop, data=OrderDataFactory(external_id=str(number), phone=customer.phone, total=total,
                                                      created_at=created))  # fmt: skip
    points_adjust(shop=shop, actor=staff, customer_id=member.pk, points=50, reason="Quà tri ân", request_key="b1",
                  ip=None)  # fmt: skip
    MessageFactory(shop=shop, customer=member, recipient=member.email, created_by=staff)
    static = group_create(shop=shop, name="Khách hội chợ", kind="static")
    group_add_customers(group=static, customer_ids=[member.pk, others[0].pk])
    rules = group_create(shop=shop, name="VIP Hà Nội", kind="rules", rules={"member": "yes", "city": "hà nội"})
    export = export_request(shop=shop, actor=owner, ip=None, kind="activity", params={}, required_role="owner")
    export_run(job_id=export.pk)
    HaravanConnection.objects.create(shop=shop, store_name="Hoa Mai", access_token="token", client_secret="secret")
    sync = SyncJob.objects.create(shop=shop, kind=SyncJob.Kind.FULL, status=SyncJob.Status.DONE, finished_at=now)
    dashboard_refresh(shop=shop)
    return types.SimpleNamespace(
        shop=shop, owner=owner, staff=staff, member=member, customers=customers, static_group=static,
        rules_group=rules, export=export, sync=sync,
    )  # fmt: skip
