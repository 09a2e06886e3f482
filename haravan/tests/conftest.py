import pytest

from haravan.models import HaravanConnection
from haravan.tests.fake_haravan import FakeHaravan

SECRET = "hoa-mai-app-secret"


@pytest.fixture
def fake_haravan(settings):
    fake = FakeHaravan().start()
    settings.HARAVAN_API_URL = fake.url
    settings.HARAVAN_TIMEOUT = 2
    settings.HARAVAN_BACKOFF_SECONDS = 0.01
    yield fake
    fake.stop()


@pytest.fixture
def connection(shop, fake_haravan):
    return HaravanConnection.objects.create(shop=shop, access_token=fake_haravan.token, client_secret=SECRET)
