"""An order webhook through the real path: the request stores it, the broker carries the
task, a worker process applies it."""

import pytest
from django.test import Client

from conftest import wait_for
from haravan.tests.test_webhooks import order_body, post
from members.models import Customer, Order

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_an_order_webhook_reaches_the_customer_through_a_worker(celery_worker_process, connection, shop):
    response = post(Client(), connection, order_body(order_id=8080, total="2500000"))

    assert response.status_code == 200
    order = wait_for(lambda: Order.objects.filter(shop=shop, external_id="8080").first())
    assert order.customer.phone == "+84912345678"
    assert Customer.objects.get(shop=shop).total_spent == 2_500_000
