"""What the loyalty settings pages cost in queries, on the data of a shop in use (``busy_shop``)."""

import pytest

from core.tests.budgets import Visit, visit_within_budget
from loyalty.tests.test_tiers import _tier_post
from loyalty.tiers import tiers_read

EARNING = {"dong_per_point": "20000", "rounding": "down", "signup_points": "0", "expiry": "never",
           "expiry_months": "12"}  # fmt: skip
VISITS = [
    Visit("loyalty:settings", 6),
    Visit("loyalty:settings", 12, "post", label="saved", status=302, data=lambda rows: EARNING),
    Visit("loyalty:tiers", 9),
    Visit("loyalty:tiers", 13, "post", label="preview",
          data=lambda rows: {**_tier_post(tiers_read(rows.shop), **{"Bạc": 4_000_000}), "preview": "1"}),
    Visit("loyalty:tiers", 21, "post", label="saved", status=302,
          data=lambda rows: {**_tier_post(tiers_read(rows.shop), **{"Bạc": 4_000_000}), "save": "1"}),
]  # fmt: skip


@pytest.mark.parametrize("visit", VISITS, ids=str)
def test_each_loyalty_page_keeps_its_query_budget(visit, owner_client, busy_shop, django_assert_max_num_queries):
    visit_within_budget(owner_client, visit, busy_shop, django_assert_max_num_queries)
