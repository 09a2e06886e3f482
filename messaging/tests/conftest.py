import pytest

from messaging.models import MessagingSettings
from messaging.tests.servers import APP_PASSWORD, GMAIL, FakeVietGuys, MailServer


@pytest.fixture
def mail_server():
    server = MailServer().start()
    yield server
    server.stop()


@pytest.fixture
def vietguys(settings):
    fake = FakeVietGuys().start()
    settings.VIETGUYS_URL = fake.url
    settings.VIETGUYS_TIMEOUT = (1.0, 1.0)
    yield fake
    fake.stop()


@pytest.fixture
def email_ready(shop, mail_server, settings):
    settings.SMTP_TIMEOUT = 5
    return MessagingSettings.objects.update_or_create(
        shop=shop,
        defaults={
            "smtp_host": "127.0.0.1",
            "smtp_port": mail_server.port,
            "smtp_security": MessagingSettings.Security.NONE,
            "smtp_username": GMAIL,
            "smtp_password": APP_PASSWORD,
            "from_name": "Thời trang Hoa Mai",
        },
    )[0]


@pytest.fixture
def sms_ready(shop, vietguys):
    return MessagingSettings.objects.update_or_create(
        shop=shop, defaults={"sms_username": "hoamai", "sms_password": "vg-secret", "sms_brandname": "HOAMAI"}
    )[0]


from messaging.tests.clock import clock  # noqa: F401, E402  (Django's clock moved for a test)
