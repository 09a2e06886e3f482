import datetime

import pytest
from django.db import connection as db

from haravan.models import HaravanConnection, SyncJob
from haravan.services import connection_check, incremental_sync_all, sync_run, sync_start
from members.models import Customer, Order
from shops.activity import SECRET_MASK
from shops.models import ActivityEntry, ActivityKind


def order_for(fake, order_id, phone, customer_id=None, **fields):
    """An order whose buyer has a Haravan account (customer_id) or checked out as a guest."""
    customer = {"first_name": "Lan", "last_name": "Nguyễn", "phone": phone}
    if customer_id:
        customer["id"] = customer_id
    return fake.add_order(order_id, customer=customer, **fields)


def run_started_job(shop, django_capture_on_commit_callbacks, kind=SyncJob.Kind.FULL):
    with django_capture_on_commit_callbacks(execute=False):
        job = sync_start(shop=shop, kind=kind)
    sync_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_first_sync_brings_customers_and_orders_and_every_phone_form_is_one_customer(
    connection, fake_haravan, shop, django_capture_on_commit_callbacks
):
    fake_haravan.add_customer(1, first_name="Lan", last_name="Nguyễn", phone="0912 345 678", email="Lan@Example.vn")
    fake_haravan.add_customer(2, first_name="Hùng", last_name="Trần", phone="0168 234 5678")
    fake_haravan.add_customer(3, first_name="Không", last_name="Số", phone="")
    order_for(fake_haravan, 101, "+84 912 345 678", customer_id=1, total_price="1500000.0")
    order_for(fake_haravan, 102, "84912345678", total_price="300000", financial_status="pending")
    order_for(fake_haravan, 103, "912345678", total_price="200000.0")
    order_for(fake_haravan, 104, "01682345678", customer_id=2, total_price="700000.0")
    fake_haravan.add_order(105, customer=None, total_price="90000.0")

    job = run_started_job(shop, django_capture_on_commit_callbacks)

    assert (job.status, job.customers_done, job.orders_done, job.percent) == (SyncJob.Status.DONE, 3, 5, 100)
    assert (job.customers_skipped, job.orders_unattached) == (1, 1)
    lan = Customer.objects.get(shop=shop, phone="+84912345678")
    assert (lan.name, lan.email, lan.haravan_id) == ("Nguyễn Lan", "lan@example.vn", 1)
    assert (lan.orders_count, lan.total_spent) == (3, 1_700_000)  # the pending order counts, not its money
    hung = Customer.objects.get(shop=shop, phone="+84382345678")  # the old 0168 number, today's 038
    assert (hung.orders_count, hung.total_spent) == (1, 700_000)
    assert Customer.objects.filter(shop=shop).count() == 2
    assert Order.objects.get(external_id="105").customer is None
    connection.refresh_from_db()
    assert connection.synced_until == job.started_at


def test_a_failed_sync_resumes_without_duplicating(
    connection, fake_haravan, shop, django_capture_on_commit_callbacks, owner
):
    for index in range(1, 131):
        order_for(fake_haravan, index, f"09{index:08d}", total_price="100000")
    fake_haravan.fail_after_requests = 4  # shop count, customers page, orders count, one page of orders
    with django_capture_on_commit_callbacks(execute=False):
        job = sync_start(shop=shop, kind=SyncJob.Kind.FULL)

    sync_run(job_id=job.pk)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.FAILED
    assert "lỗi nội bộ" in job.error
    assert job.orders_done == 50
    assert Order.objects.filter(shop=shop).count() == 50

    fake_haravan.fail_after_requests = None
    from haravan.services import sync_resume

    with django_capture_on_commit_callbacks(execute=False):
        sync_resume(shop=shop, job_id=job.pk, actor=owner, ip=None)
    sync_run(job_id=job.pk)
    sync_run(job_id=job.pk)  # a redelivered task changes nothing

    job.refresh_from_db()
    assert (job.status, job.orders_done) == (SyncJob.Status.DONE, 130)
    assert Order.objects.filter(shop=shop).count() == 130
    assert Customer.objects.filter(shop=shop).count() == 130


def test_only_one_sync_runs_per_shop(connection, shop, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = sync_start(shop=shop, kind=SyncJob.Kind.FULL)
        second = sync_start(shop=shop, kind=SyncJob.Kind.FULL)

    assert first.pk == second.pk
    assert SyncJob.objects.filter(shop=shop).count() == 1


def test_incremental_sync_picks_up_a_change_whose_webhook_never_came(
    connection, fake_haravan, shop, django_capture_on_commit_callbacks
):
    order = order_for(fake_haravan, 7, "0912345678", total_price="1000000", updated_at="2026-01-01T03:00:00Z")
    run_started_job(shop, django_capture_on_commit_callbacks)
    later = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=1)).isoformat()
    order.update(financial_status="partially_refunded", total_refunded="400000", updated_at=later)
    fake_haravan.requests.clear()

    with django_capture_on_commit_callbacks(execute=False):
        assert incremental_sync_all() == 1
    job = SyncJob.objects.get(shop=shop, kind=SyncJob.Kind.INCREMENTAL)
    sync_run(job_id=job.pk)

    stored = Order.objects.get(shop=shop, external_id="7")
    assert (stored.financial_status, stored.refunded_amount) == ("partially_refunded", 400_000)
    assert Customer.objects.get(shop=shop).total_spent == 600_000


def test_connection_check_says_what_is_wrong(connection, fake_haravan):
    connection_check(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.check_status == HaravanConnection.Check.OK
    assert "Thời trang Hoa Mai" in connection.check_message

    connection.access_token = "revoked"
    connection.save()
    connection_check(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.check_status == HaravanConnection.Check.FAILED
    assert "Haravan từ chối mã truy cập (access token)" in connection.check_message


def test_the_connection_page_never_shows_a_secret_back(owner_client, connection, fake_haravan):
    response = owner_client.post(
        "/settings/haravan/",
        {"store_name": "Hoa Mai", "access_token": "Bearer tok-123 456", "client_id": "app", "client_secret": "s3cr3t"},
        follow=True,
    )

    page = response.content.decode()
    assert "Đã lưu cấu hình" in page
    assert "tok-123" not in page and "s3cr3t" not in page
    connection.refresh_from_db()
    assert (connection.access_token, connection.client_secret) == ("tok-123456", "s3cr3t")
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, client_secret FROM haravan_haravanconnection")
        stored = cursor.fetchone()
    assert "tok-123456" not in stored[0] and "s3cr3t" not in stored[1]  # encrypted at rest
    entry = ActivityEntry.objects.get(kind=ActivityKind.HARAVAN_SETTINGS_CHANGED)
    assert entry.after["access_token"] == entry.after["client_secret"] == SECRET_MASK


def test_saving_with_empty_secret_fields_keeps_them(owner_client, connection):
    owner_client.post("/settings/haravan/", {"store_name": "Hoa Mai 2", "access_token": "", "client_secret": ""})

    connection.refresh_from_db()
    assert (connection.store_name, connection.access_token) == ("Hoa Mai 2", "test-token")


@pytest.mark.parametrize("path", ["/settings/haravan/", "/settings/haravan/sync/1/"])
def test_staff_cannot_open_the_haravan_settings(staff_client, path):
    assert staff_client.get(path).status_code == 403


def test_another_shops_sync_answers_404(owner_client, other_shop):
    job = SyncJob.objects.create(shop=other_shop, kind=SyncJob.Kind.FULL)

    assert owner_client.get(f"/settings/haravan/sync/{job.pk}/").status_code == 404
