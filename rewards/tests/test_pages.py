"""The catalogue in the loyalty settings, and "Đổi điểm" on the member page."""

from django.urls import reverse

from loyalty.models import Tier
from rewards.models import Redemption, Reward
from rewards.tests.factories import RewardFactory
from shops.models import ActivityEntry, ActivityKind

CATALOGUE = "/settings/loyalty/rewards/"


def test_an_owner_adds_a_reward_and_the_log_says_so(owner_client, shop):
    tier = Tier.objects.for_shop(shop).order_by("threshold")[1]
    response = owner_client.post(
        CATALOGUE,
        {
            "name": "Giảm 50.000 ₫",
            "kind": "fixed_amount",
            "value": "50.000",
            "points": "100",
            "minimum_order": "300.000",
            "valid_days": "30",
            "tier": tier.pk,
            "per_member_limit": "2",
            "active": "on",
        },
    )
    assert response.status_code == 302
    reward = Reward.objects.get()
    assert (reward.value, reward.points, reward.minimum_order, reward.tier, reward.per_member_limit) == (
        50_000, 100, 300_000, tier, 2,
    )  # fmt: skip
    entry = ActivityEntry.objects.get(kind=ActivityKind.REWARD_SAVED)
    assert "Giảm 50.000 ₫" in entry.summary and entry.after["points"] == 100
    page = owner_client.get(CATALOGUE)
    assert "Giảm 50.000 ₫" in page.text and f"/m/{shop.slug}/" in page.text


def test_a_reward_form_says_what_to_fix(owner_client):
    response = owner_client.post(CATALOGUE, {"name": "Giảm %", "kind": "percentage", "value": "150", "points": "0"})
    assert response.status_code == 200 and not Reward.objects.exists()
    form = response.context["form"]
    assert "value" in form.errors and "points" in form.errors and "valid_days" in form.errors


def test_switching_a_reward_off_and_editing_it_are_logged(owner_client, shop):
    reward = RewardFactory(shop=shop)
    owner_client.post(reverse("rewards:switch", args=[reward.pk]), {"active": "0"})
    reward.refresh_from_db()
    assert not reward.active
    owner_client.post(
        reverse("rewards:edit", args=[reward.pk]),
        {"name": "Miễn phí vận chuyển", "kind": "shipping", "value": "", "points": "80", "valid_days": "14"},
    )
    reward.refresh_from_db()
    assert (reward.name, reward.kind, reward.value, reward.points) == ("Miễn phí vận chuyển", "shipping", 0, 80)
    summaries = list(ActivityEntry.objects.filter(kind=ActivityKind.REWARD_SAVED).values_list("summary", flat=True))
    assert len(summaries) == 2 and any("points" in s or "điểm" in s for s in summaries[:1])


def test_staff_who_are_not_owners_cannot_change_the_catalogue(staff_client, shop):
    reward = RewardFactory(shop=shop)
    assert staff_client.get(CATALOGUE).status_code == 403
    assert staff_client.post(reverse("rewards:switch", args=[reward.pk]), {"active": "0"}).status_code == 403


def test_another_shops_reward_is_not_found(owner_client, other_shop):
    reward = RewardFactory(shop=other_shop)
    assert owner_client.get(reverse("rewards:edit", args=[reward.pk])).status_code == 404
    assert owner_client.post(reverse("rewards:switch", args=[reward.pk]), {"active": "0"}).status_code == 404


def test_staff_redeem_on_the_member_page_and_see_its_state(staff_client, shop, member, connection):
    reward = RewardFactory(shop=shop, points=100)
    RewardFactory(shop=shop, points=900, name="Giảm 500.000 ₫")
    page = staff_client.get(reverse("members:detail", args=[member.pk]))
    assert f'action="/members/{member.pk}/redeem/"' in page.text and "Giảm 500.000 ₫" in page.text
    key = page.context["redeem_key"]
    url = reverse("members:redeem", args=[member.pk])
    response = staff_client.post(url, {"reward": reward.pk, "request_key": key})
    staff_client.post(url, {"reward": reward.pk, "request_key": key})  # the form sent twice
    assert response.status_code == 302
    redemption = Redemption.objects.get()
    page = staff_client.get(reverse("members:detail", args=[member.pk]))
    assert redemption.code in page.text and redemption.get_state_display() in page.text
    member.refresh_from_db()
    assert member.points_balance == 150


def test_a_refused_redemption_says_why(staff_client, shop, member, connection):
    reward = RewardFactory(shop=shop, points=1000)
    response = staff_client.post(
        reverse("members:redeem", args=[member.pk]), {"reward": reward.pk, "request_key": "k"}, follow=True
    )
    assert "1000" in response.text and not Redemption.objects.exists()


def test_staff_of_another_shop_cannot_redeem_for_this_member(client, other_owner, member, shop, connection):
    client.force_login(other_owner)
    reward = RewardFactory(shop=shop, points=10)
    response = client.post(reverse("members:redeem", args=[member.pk]), {"reward": reward.pk, "request_key": "x"})
    assert response.status_code == 404 and not Redemption.objects.exists()
