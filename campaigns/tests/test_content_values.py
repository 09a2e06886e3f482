import datetime

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from campaigns.content import customer_values, first_name, full_name
from campaigns.models import Offer
from members.models import Customer
from shops.models import Shop

UTC = datetime.UTC


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def values(**kwargs):
    arguments = {
        "customer": Customer(name="Nguyễn Thị Lan", points_balance=1250),
        "shop": Shop(name="Thời trang Hoa Mai", time_zone="Asia/Ho_Chi_Minh"),
        "tier_name": "Vàng",
        "recipient_code": None,
        "offer": None,
        "code_ends_at": None,
        "unsubscribe_url": "https://loyalty.example/u/1/",
    }
    arguments.update(kwargs)
    return customer_values(**arguments)


@pytest.mark.parametrize(
    ("name", "first", "full"),
    [
        ("Nguyễn Thị Lan", "Lan", "Nguyễn Thị Lan"),
        ("  nguyễn   thị  lan ", "Lan", "Nguyễn Thị Lan"),
        ("NGUYỄN VĂN AN", "An", "Nguyễn Văn An"),
        ("Lan", "Lan", "Lan"),
        ("Trần McKay", "McKay", "Trần McKay"),
        ("", None, None),
        ("   ", None, None),
        ("0901234567", None, None),
        ("lan@example.vn", None, None),
    ],
)
def test_the_first_name_is_the_last_word_of_a_vietnamese_name(name, first, full):
    assert first_name(name) == first
    assert full_name(name) == full


vietnamese_word = st.text(
    alphabet="abcdeghiklmnopqrstuvxyăâđêôơưáàảãạấầẩẫậếềểễệốồổỗộớờởỡợứừửữự", min_size=1, max_size=7
)


@given(st.lists(vietnamese_word.map(str.capitalize), min_size=1, max_size=5))
def test_any_vietnamese_name_greets_by_its_last_word(words):
    assert first_name(" ".join(words)) == words[-1]


def test_the_values_are_written_the_products_way():
    assert values() == {
        "ten": "Lan",
        "ho_ten": "Nguyễn Thị Lan",
        "diem": "1.250",
        "hang": "Vàng",
        "ten_shop": "Thời trang Hoa Mai",
        "ma_uu_dai": None,
        "gia_tri": None,
        "han_dung": None,
        "link_huy": "https://loyalty.example/u/1/",
        "uu_dai_hang": None,
        "diem_sap_het": None,
        "han_diem": None,
    }


def test_what_a_tier_gives_and_the_lapsing_points_are_written_the_products_way():
    from decimal import Decimal

    written = values(tier_multiplier=Decimal("1.50"), lapsing_points=1200, lapsing_last_day=datetime.date(2026, 12, 31))
    assert (written["uu_dai_hang"], written["diem_sap_het"], written["han_diem"]) == (
        "×1,5 points on every order",
        "1.200",
        "31/12/2026",
    )


def test_what_is_missing_is_none():
    result = values(customer=Customer(name="", points_balance=0), tier_name=None, unsubscribe_url=None)

    assert (result["ten"], result["ho_ten"], result["hang"], result["link_huy"]) == (None, None, None, None)
    assert result["diem"] == "0"


@pytest.mark.parametrize(
    ("offer", "shown"),
    [
        (Offer(kind=Offer.Kind.FIXED_AMOUNT, value=50000), "50.000 ₫"),
        (Offer(kind=Offer.Kind.FIXED_AMOUNT, value=1500000), "1.500.000 ₫"),
        (Offer(kind=Offer.Kind.PERCENTAGE, value=10, max_amount=100000), "10 % (at most 100.000 ₫)"),
        (Offer(kind=Offer.Kind.PERCENTAGE, value=15), "15 %"),
        (Offer(kind=Offer.Kind.SHIPPING, value=0), "free shipping"),
    ],
)
def test_the_code_value_describes_the_offer(offer, shown):
    assert values(offer=offer, recipient_code="HL-1")["gia_tri"] == shown


def test_a_unique_code_ends_on_its_own_day_in_the_shops_zone():
    offer = Offer(kind=Offer.Kind.FIXED_AMOUNT, value=50000, validity=Offer.Validity.DAYS, valid_days=7)
    last_second = datetime.datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Hồ Chí Minh

    assert values(offer=offer, recipient_code="HL-K7Q2", code_ends_at=last_second)["han_dung"] == "31/12/2026"
    after = last_second + datetime.timedelta(seconds=1)
    assert values(offer=offer, recipient_code="HL-K7Q2", code_ends_at=after)["han_dung"] == "01/01/2027"


def test_a_shared_code_and_its_dates_come_from_the_offer():
    offer = Offer(
        kind=Offer.Kind.FIXED_AMOUNT,
        value=50000,
        codes=Offer.Codes.SHARED,
        shared_code=" TET2027 ",
        validity=Offer.Validity.DATES,
        starts_on=datetime.date(2027, 1, 20),
        ends_on=datetime.date(2027, 2, 5),
    )

    result = values(offer=offer)

    assert (result["ma_uu_dai"], result["han_dung"]) == ("TET2027", "05/02/2027")


def test_a_unique_code_not_made_is_missing():
    offer = Offer(kind=Offer.Kind.FIXED_AMOUNT, value=50000, codes=Offer.Codes.UNIQUE)

    assert values(offer=offer, recipient_code="")["ma_uu_dai"] is None
