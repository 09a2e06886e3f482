import datetime

import pytest
from django.utils import timezone

from members.tests.factories import CustomerFactory
from messaging.tests.conftest import clock, email_ready, mail_server, sms_ready, vietguys  # noqa: F401


@pytest.fixture
def members(shop):
    """Five members who accept email and SMS."""
    joined = timezone.now() - datetime.timedelta(days=30)
    return [
        CustomerFactory(shop=shop, name=f"Nguyễn Thị {name}", email=f"{name.lower()}@example.vn", member_since=joined)
        for name in ["Lan", "Huệ", "Mai", "Cúc", "Đào"]
    ]


from haravan.tests.conftest import connection, fake_haravan  # noqa: F401, E402  (the fake Haravan on loopback)
