"""What each members page costs in queries, on the data of a shop in use (``busy_shop``)."""

import pytest

from core.tests.budgets import Visit, visit_within_budget

MEMBER = {"args": lambda rows: (rows.member.pk,)}
VISITS = [
    Visit("members:list", 10),
    Visit("members:list", 10, label="searched and filtered", data=lambda rows: {"q": "mai", "member": "yes"}),
    Visit("members:detail", 18, **MEMBER),
    Visit("members:detail", 13, "post", label="contact saved", status=302, **MEMBER,
          data=lambda rows: {"name": "Nguyễn Thị Mai", "phone": "0912345678", "email": "mai.nguyen@example.vn",
                             "city": "Hà Nội", "accepts_email": "on", "accepts_sms": "on"}),
    Visit("members:activate", 17, "post", status=302, args=lambda rows: (rows.customers[3].pk,)),
    Visit("members:points", 16, "post", status=302, **MEMBER,
          data=lambda rows: {"points": "20", "reason": "Khách giới thiệu bạn bè", "request_key": "q1"}),
    Visit("members:message", 10, "post", status=302, **MEMBER,
          data=lambda rows: {"channel": "email", "subject": "Cảm ơn chị", "body": "Cảm ơn chị.", "request_key": "q2"}),
    Visit("members:export", 11, "post", status=302, data=lambda rows: {"member": "yes"}),
    Visit("members:activate_all", 7, "post", status=302, data=lambda rows: {"member": "no"}),
    Visit("members:groups", 8),
    Visit("members:groups", 7, "post", label="group created", status=302,
          data=lambda rows: {"name": "Khách Huế", "kind": "static"}),
    Visit("members:group", 10, label="static", args=lambda rows: (rows.static_group.pk,)),
    Visit("members:group", 11, label="rules", args=lambda rows: (rows.rules_group.pk,)),
    Visit("members:group_count", 8, data=lambda rows: {"name": "x", "city": "hà nội", "member": "yes"}),
    Visit("members:add_to_group", 12, "post", status=302,
          data=lambda rows: {"target": rows.static_group.pk, "member": "yes"}),
]  # fmt: skip


@pytest.mark.parametrize("visit", VISITS, ids=str)
def test_each_members_page_keeps_its_query_budget(visit, owner_client, busy_shop, django_assert_max_num_queries):
    visit_within_budget(owner_client, visit, busy_shop, django_assert_max_num_queries)
