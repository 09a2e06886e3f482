"""Members activated before every path gave a first tier (the demo set-up wrote them around
activation) are placed now, as activation places them: the highest tier their spend
(opening revenue plus what their orders kept) reaches, with a line in their tier history.
Written on the historical models, so that later changes to the app's code cannot break it;
on the last-12-months basis it counts all spend, and the tier page's preview shows anyone
that leaves above their window's spend."""

from django.conf import settings
from django.db import migrations
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

# The guide's four tiers, as a shop without any starts with (loyalty.tiers.DEFAULT_TIERS then).
DEFAULT_TIERS = [("Thành viên", 0), ("Bạc", 5_000_000), ("Vàng", 20_000_000), ("Kim cương", 50_000_000)]


def place_members_without_a_tier(apps, schema_editor):
    Customer = apps.get_model("members", "Customer")
    Tier = apps.get_model("loyalty", "Tier")
    TierChange = apps.get_model("loyalty", "TierChange")
    unplaced = Customer.objects.filter(member_since__isnull=False, tier__isnull=True)
    with translation.override(settings.LANGUAGE_CODE):  # migrate runs with translations off
        reason = gettext("Became a member")
    now = timezone.now()
    for shop_id in list(unplaced.values_list("shop_id", flat=True).distinct()):
        in_use = Tier.objects.filter(shop_id=shop_id, removed_at__isnull=True).order_by("threshold")
        if not in_use.exists():
            Tier.objects.bulk_create([Tier(shop_id=shop_id, name=name, threshold=low) for name, low in DEFAULT_TIERS])
        tiers = list(in_use)
        placed: dict[int, list[int]] = {}
        spends = unplaced.filter(shop_id=shop_id).values_list("pk", F("opening_revenue") + F("total_spent"))
        for customer_id, spend in spends:
            reached = tiers[0]
            for tier in tiers:
                if spend >= tier.threshold:
                    reached = tier
            placed.setdefault(reached.pk, []).append(customer_id)
        for tier_id, customer_ids in placed.items():
            Customer.objects.filter(pk__in=customer_ids).update(tier_id=tier_id)
            TierChange.objects.bulk_create(
                TierChange(shop_id=shop_id, customer_id=pk, to_tier_id=tier_id, reason=reason, created_at=now)
                for pk in customer_ids
            )


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0008_tierchange_unindexed_keys"),
        ("members", "0014_birth_month_index_covers_birthday"),
    ]

    operations = [migrations.RunPython(place_members_without_a_tier, migrations.RunPython.noop)]
