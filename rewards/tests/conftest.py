import datetime

import pytest
from django.utils import timezone

from haravan.tests.conftest import connection, fake_haravan  # noqa: F401  (the fake Haravan on loopback)
from members.tests.factories import CustomerFactory
from messaging.tests.conftest import clock, email_ready, mail_server, sms_ready, vietguys  # noqa: F401
from rewards.tests.factories import RewardFactory, points_give


@pytest.fixture
def member(shop):
    """A member with 250 points who accepts SMS."""
    customer = CustomerFactory(
        shop=shop,
        name="Nguyễn Thị Lan",
        phone="+84912345678",
        email="lan@example.vn",
        member_since=timezone.now() - datetime.timedelta(days=60),
    )
    points_give(customer, 250)
    return customer


@pytest.fixture
def reward(shop):
    return RewardFactory(shop=shop)
