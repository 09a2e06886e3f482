"""Searching the member list by part of an e-mail address: the domain, the part before the
@, in any case; on PostgreSQL the trigram index on the address answers it."""

import pytest
from django.db import connection

from members.models import Customer
from members.selectors import _search
from members.tests.factories import CustomerFactory


@pytest.fixture
def people(shop, other_shop):
    CustomerFactory(shop=shop, name="Nguyễn Thị Mai", email="mai.nguyen@gmail.com")
    CustomerFactory(shop=shop, name="Trần Văn Bình", email="Binh.Tran@GMAIL.com")  # typed by staff as it came
    CustomerFactory(shop=shop, name="Lê Thu Hà", email="ha_le@yahoo.com.vn")
    CustomerFactory(shop=shop, name="Phạm Gia Khánh", email="")
    CustomerFactory(shop=other_shop, name="Người Lạ", email="stranger@gmail.com")


def names(response) -> list[str]:
    return sorted(customer.name for customer in response.context["page"].object_list)


@pytest.mark.parametrize("typed", ["gmail.com", "GMAIL", "@gmail.com", " gmail.com "])
def test_part_of_an_address_finds_the_members_with_it(staff_client, people, typed):
    assert names(staff_client.get("/members/", {"q": typed})) == ["Nguyễn Thị Mai", "Trần Văn Bình"]


def test_the_part_before_the_at_finds_the_member(staff_client, people):
    assert names(staff_client.get("/members/", {"q": "mai.nguyen"})) == ["Nguyễn Thị Mai"]
    assert names(staff_client.get("/members/", {"q": "yahoo.com.vn"})) == ["Lê Thu Hà"]


def test_one_word_still_finds_names_and_wildcards_are_typed_characters(staff_client, people):
    assert names(staff_client.get("/members/", {"q": "khanh"})) == ["Phạm Gia Khánh"]
    assert names(staff_client.get("/members/", {"q": "ha_le"})) == ["Lê Thu Hà"]
    assert names(staff_client.get("/members/", {"q": "b_nh"})) == []  # "_" is not "any character"
    assert names(staff_client.get("/members/", {"q": "%mail"})) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram indexes are PostgreSQL's")
def test_the_address_search_is_answered_by_the_trigram_index(shop, people):
    from django.db import connection as db

    # The search's own condition, without the shop's: at a few rows, any index leading with
    # the shop would serve, and the question here is whether the trigram ones can.
    customers = _search(Customer.objects.all(), "gmail.com").values("pk")
    with db.cursor() as cursor:
        # At a few rows the planner would rightly scan the table; forbid that, to see that
        # the index can answer the condition at all (it cannot answer UPPER(email) LIKE …).
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = customers.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "customer_email_trgm" in plan
    assert "customer_search_name_trgm" in plan
    assert Customer.objects.filter(shop=shop, email__ilike="GMAIL.COM").count() == 2
