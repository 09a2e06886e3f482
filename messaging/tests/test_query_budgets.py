"""What the messaging settings page costs in queries, on the data of a shop in use (``busy_shop``)."""

import pytest

from core.tests.budgets import Visit, visit_within_budget

SMS = {"form": "sms", "action": "save", "sms-sms_username": "hoamai", "sms-sms_password": "vg-secret",
       "sms-sms_brandname": "HOAMAI", "sms-sms_part_price": "800"}  # fmt: skip
VISITS = [
    Visit("messaging:settings", 7),
    Visit("messaging:settings", 16, "post", label="SMS account saved", status=302, data=lambda rows: SMS),
]


@pytest.mark.parametrize("visit", VISITS, ids=str)
def test_the_messaging_page_keeps_its_query_budget(visit, owner_client, busy_shop, django_assert_max_num_queries):
    visit_within_budget(owner_client, visit, busy_shop, django_assert_max_num_queries)
