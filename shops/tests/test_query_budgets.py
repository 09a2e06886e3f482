"""What the shop's settings, staff, activity-log and export pages cost in queries, on the
data of a shop in use (``busy_shop``)."""

import pytest

from core.tests.budgets import Visit, visit_within_budget
from shops.models import ActivityEntry
from shops.tests.factories import TEST_PASSWORD


def latest_entry(shop) -> int:
    return ActivityEntry.objects.filter(shop=shop).latest("pk").pk


STAFF = {"args": lambda rows: (rows.staff.pk,)}
VISITS = [
    Visit("shops:settings", 7),
    Visit("shops:settings", 10, "post", label="saved", status=302,
          data=lambda rows: {"name": "Hoa Mai Boutique", "time_zone": "Asia/Ho_Chi_Minh"}),
    Visit("shops:staff_create", 5),
    Visit("shops:staff_create", 10, "post", label="created", status=302,
          data=lambda rows: {"username": "nv.moi", "last_name": "Phạm", "first_name": "Thu", "role": "staff",
                             "password": "an-honest-Passw0rd-2"}),
    Visit("shops:staff_edit", 6, **STAFF),
    Visit("shops:staff_edit", 15, "post", label="saved", status=302, **STAFF,
          data=lambda rows: {"last_name": "Nguyễn", "first_name": "Lan", "role": "staff", "is_active": "on",
                             "email": "lan@example.vn"}),
    Visit("shops:activity", 8),
    Visit("shops:activity", 8, label="filtered", data=lambda rows: {"person": str(rows.staff.pk)}),
    Visit("shops:activity_detail", 6, args=lambda rows: (latest_entry(rows.shop),)),
    Visit("shops:activity_export", 10, "post", status=302),
    Visit("shops:export", 6, args=lambda rows: (rows.export.pk,)),
    Visit("shops:export_download", 7, args=lambda rows: (rows.export.pk,)),
]  # fmt: skip


@pytest.mark.parametrize("visit", VISITS, ids=str)
def test_each_shop_page_keeps_its_query_budget(visit, owner_client, busy_shop, django_assert_max_num_queries):
    visit_within_budget(owner_client, visit, busy_shop, django_assert_max_num_queries)


LOGIN = [
    Visit("shops:login", 2),
    Visit("shops:login", 18, "post", label="logged in", status=302,
          data=lambda rows: {"username": "chu.hoamai", "password": TEST_PASSWORD}),
]  # fmt: skip


@pytest.mark.parametrize("visit", LOGIN, ids=str)
def test_the_login_page_keeps_its_query_budget(visit, client, busy_shop, django_assert_max_num_queries):
    visit_within_budget(client, visit, busy_shop, django_assert_max_num_queries)
