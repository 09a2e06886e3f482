"""The tier page reads as the owner writes money and multipliers, and says how many members
each tier holds."""

import re
from decimal import Decimal

import pytest

from loyalty.models import Tier
from loyalty.tests.test_tiers import _tier_post
from loyalty.tiers import tiers_read
from members.tests.factories import CustomerFactory


def _inputs(html: str, field: str) -> list[str]:
    return re.findall(rf'name="tiers-\d+-{field}" value="([^"]*)"', html)


def test_thresholds_and_multipliers_are_shown_as_the_owner_writes_them(owner_client, shop):
    tiers = tiers_read(shop)
    Tier.objects.filter(pk=tiers[1].pk).update(multiplier=Decimal("1.5"))

    html = owner_client.get("/settings/loyalty/tiers/").content.decode()

    assert _inputs(html, "threshold") == ["0", "5.000.000", "20.000.000", "50.000.000"]
    assert _inputs(html, "multiplier") == ["1", "1,5", "1", "1"]


@pytest.mark.parametrize("typed", ["7.500.000", "7500000", "7,500,000", "7.500.000 ₫"])
def test_a_threshold_is_read_back_in_the_forms_people_type(owner_client, shop, typed):
    tiers = tiers_read(shop)
    data = _tier_post(tiers, **{"Bạc": typed})
    data["tiers-1-multiplier"] = "1,5"

    response = owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"})

    assert response.status_code == 302
    silver = Tier.objects.get(pk=tiers[1].pk)
    assert (silver.threshold, silver.multiplier) == (7_500_000, Decimal("1.5"))


def test_a_threshold_or_multiplier_that_is_not_a_number_says_what_to_write(owner_client, shop):
    tiers = tiers_read(shop)
    data = _tier_post(tiers, **{"Bạc": "năm triệu"})
    data["tiers-2-multiplier"] = "1,555"

    html = owner_client.post("/settings/loyalty/tiers/", {**data, "save": "1"}).content.decode()

    assert "“năm triệu” không phải là số. Hãy ghi số tiền bằng đồng, ví dụ 5.000.000." in html
    assert "Chỉ dùng tối đa 2 chữ số thập phân, ví dụ 1,25." in html
    assert Tier.objects.get(pk=tiers[1].pk).threshold == 5_000_000


def test_the_page_counts_the_members_in_each_tier(owner_client, shop, other_shop):
    bronze, silver, gold, _diamond = tiers_read(shop)
    for tier, count in ((bronze, 3), (silver, 2), (gold, 1)):
        CustomerFactory.create_batch(count, shop=shop, tier=tier)
    CustomerFactory.create_batch(4, shop=other_shop, tier=tiers_read(other_shop)[0])

    html = owner_client.get("/settings/loyalty/tiers/").content.decode()

    assert "Số thành viên hiện tại" in html
    counts = re.findall(r"<td class=\"num\" data-tier-members>([^<]*)</td>", html)
    assert counts[:4] == ["3", "2", "1", "0"]
