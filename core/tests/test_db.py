import datetime
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from core.db import array_literal, insert_rows, update_rows, update_rows_returning
from members.models import Customer

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's array syntax")


def _round_trip(values, array_type):
    with connection.cursor() as cursor:
        sql = f"SELECT x FROM unnest(%s::{array_type}) WITH ORDINALITY AS v(x, n) ORDER BY n"
        cursor.execute(sql, [array_literal(values)])
        return [value for (value,) in cursor.fetchall()]


def test_array_literal_forms():
    assert array_literal([1, 22, -3]) == "{1,22,-3}"
    assert array_literal([]) == "{}"
    assert array_literal(["a", "b c"]) == '{"a","b c"}'
    assert array_literal(['say "hi"', "back\\slash", None]) == '{"say \\"hi\\"","back\\\\slash",NULL}'
    assert array_literal([1, None]) == '{"1",NULL}'
    json_like = [{"code": "SALE"}]
    assert array_literal(json_like) is json_like  # left to the driver


@on_postgresql
@pytest.mark.django_db
def test_array_literal_round_trips_awkward_text():
    values = ["", "NULL", "null", '"', "\\", '\\"', "{a,b}", "a,b", " spaced ", "Nguyễn Văn Ánh", "tab\tnew\nline"]
    values.append(None)
    assert _round_trip(values, "text[]") == values


@on_postgresql
@pytest.mark.django_db
def test_array_literal_round_trips_other_types():
    moment = datetime.datetime(2026, 11, 29, 23, 59, 58, 123456, tzinfo=datetime.UTC)
    assert _round_trip([moment, None], "timestamptz[]") == [moment, None]
    assert _round_trip([datetime.date(2026, 2, 28)], "date[]") == [datetime.date(2026, 2, 28)]
    assert _round_trip([True, False, None], "boolean[]") == [True, False, None]
    assert _round_trip([Decimal("1.50"), 2**40], "numeric[]") == [Decimal("1.50"), Decimal(2**40)]
    assert _round_trip([0.5, -2.25], "float8[]") == [0.5, -2.25]


@on_postgresql
@pytest.mark.django_db
@settings(max_examples=60, deadline=None)
@given(st.lists(st.none() | st.text(alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))))
def test_array_literal_round_trips_any_text(values):
    assert _round_trip(values, "text[]") == values


@on_postgresql
@pytest.mark.django_db
def test_arrays_are_text_not_cut_to_the_column(shop):
    """Arrays are cast to text, not varchar(n): that cast would cut a longer value to fit,
    so a long phone would be inserted cut short, or match a customer it is not."""
    Customer.objects.create(shop=shop, phone="+841234567890123")  # 16 characters, the column's width
    assert not Customer.objects.filter(phone__any={"+8412345678901239999"}).exists()
    assert Customer.objects.filter(phone__any={"+841234567890123"}).count() == 1
    with pytest.raises(DataError), transaction.atomic():
        insert_rows(Customer, ["phone", "name"], [("+84" + "9" * 30, "Quá dài")], same={"shop": shop.pk})


@pytest.mark.django_db
def test_update_rows_joins_on_a_key_with_expressions_a_condition_and_returning(shop, other_shop):
    """Rows found by phone, a value added to what the column held, a blank filled only,
    and only the shop's rows: what the opening import's UPDATE of customers needs."""
    mai = Customer.objects.create(shop=shop, phone="+84912345678", name="Mai", opening_revenue=100)
    lan = Customer.objects.create(shop=shop, phone="+84912345679", opening_revenue=0)
    theirs = Customer.objects.create(shop=other_shop, phone="+84912345670", opening_revenue=7)
    rows = [(c.phone, 50, "Tên mới") for c in (mai, lan, theirs)]

    found = update_rows_returning(
        Customer,
        ["opening_revenue", "name"],
        rows,
        key="phone",
        expressions={"opening_revenue": "{old} + {new}", "name": "CASE WHEN {old} = '' THEN {new} ELSE {old} END"},
        where="{table}.shop_id = %s",
        where_params=[shop.pk],
        returning=["id"],
    )

    assert sorted(found) == sorted([(mai.pk,), (lan.pk,)])
    kept = dict(Customer.objects.values_list("pk", "opening_revenue"))
    assert kept == {mai.pk: 150, lan.pk: 50, theirs.pk: 7}
    assert dict(Customer.objects.values_list("pk", "name")) == {mai.pk: "Mai", lan.pk: "Tên mới", theirs.pk: ""}
    assert update_rows(Customer, ["city"], [(mai.pk, "Huế")]) == 1
