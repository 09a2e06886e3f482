from haravan.tests.conftest import connection, fake_haravan  # noqa: F401
from messaging.tests.conftest import clock, sms_ready, vietguys  # noqa: F401
from rewards.tests.conftest import member  # noqa: F401
