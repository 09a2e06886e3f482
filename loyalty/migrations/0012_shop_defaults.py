"""Every shop gets the rows its pages read: the earning settings, how tiers are measured, and
the guide's four tiers if it has none. Pages used to create them on first view; now reads
never write and a new shop is made with them (``loyalty.services.shop_open``), so shops made
before are given them here. Written on the historical models."""

from django.db import migrations

# The guide's four tiers (loyalty.tiers.DEFAULT_TIERS when this was written).
DEFAULT_TIERS = [("Thành viên", 0), ("Bạc", 5_000_000), ("Vàng", 20_000_000), ("Kim cương", 50_000_000)]


def shop_defaults(apps, schema_editor):
    Shop = apps.get_model("shops", "Shop")
    Tier = apps.get_model("loyalty", "Tier")
    EarningSettings = apps.get_model("loyalty", "EarningSettings")
    TierSettings = apps.get_model("loyalty", "TierSettings")
    for shop_id in Shop.objects.values_list("pk", flat=True).iterator():
        EarningSettings.objects.get_or_create(shop_id=shop_id)
        TierSettings.objects.get_or_create(shop_id=shop_id)
        if not Tier.objects.filter(shop_id=shop_id).exists():
            Tier.objects.bulk_create([Tier(shop_id=shop_id, name=name, threshold=low) for name, low in DEFAULT_TIERS])


class Migration(migrations.Migration):
    dependencies = [("loyalty", "0011_opening_balance_moved_here")]

    operations = [migrations.RunPython(shop_defaults, migrations.RunPython.noop)]
