import pytest

from haravan.tests.conftest import connection, fake_haravan  # noqa: F401
from messaging.tests.conftest import clock, sms_ready, vietguys  # noqa: F401
from portal.tests.delivery import deliver_at_once
from rewards.tests.conftest import member  # noqa: F401


@pytest.fixture(autouse=True)
def codes_delivered_at_once(monkeypatch):
    deliver_at_once(monkeypatch)
