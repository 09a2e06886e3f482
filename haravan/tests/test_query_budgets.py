"""What the Haravan connection pages cost in queries, on the data of a shop in use (``busy_shop``)."""

import pytest

from core.tests.budgets import Visit, visit_within_budget

VISITS = [
    Visit("haravan:connection", 7),
    Visit("haravan:connection", 12, "post", label="saved", status=302,
          data=lambda rows: {"store_name": "Hoa Mai 2", "access_token": "", "client_id": "", "client_secret": ""}),
    Visit("haravan:sync", 6, args=lambda rows: (rows.sync.pk,)),
]  # fmt: skip


@pytest.mark.parametrize("visit", VISITS, ids=str)
def test_each_haravan_page_keeps_its_query_budget(visit, owner_client, busy_shop, django_assert_max_num_queries):
    visit_within_budget(owner_client, visit, busy_shop, django_assert_max_num_queries)
