import os

import pytest

from shops.tests.factories import TEST_PASSWORD, OwnerFactory, ShopFactory, UserFactory

# Playwright's sync API runs an event loop in the test's thread; the ORM calls the tests make
# next to it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
def password():
    return TEST_PASSWORD
