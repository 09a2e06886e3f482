"""What the overview costs in queries, on the data of a shop in use (``busy_shop``)."""

import pytest

from core.tests.budgets import Visit, visit_within_budget

VISITS = [
    Visit("dashboard:index", 16),
    Visit("dashboard:index", 16, label="90 days", data=lambda rows: {"window": "90"}),
]


@pytest.mark.parametrize("visit", VISITS, ids=str)
def test_the_overview_keeps_its_query_budget(visit, staff_client, busy_shop, django_assert_max_num_queries):
    visit_within_budget(staff_client, visit, busy_shop, django_assert_max_num_queries)
