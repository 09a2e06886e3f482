"""Members activated before every path gave a first tier (the demo set-up wrote them around
activation) are placed now, as activation places them: the tier their spend reaches."""

from django.db import migrations
from django.utils.translation import gettext as _


def place_members_without_a_tier(apps, schema_editor):
    Customer = apps.get_model("members", "Customer")
    unplaced = Customer.objects.filter(member_since__isnull=False, tier__isnull=True)
    shop_ids = list(unplaced.values_list("shop_id", flat=True).distinct())
    if not shop_ids:
        return  # a new database, or one without such members: nothing of today's code runs
    from loyalty.tiers import customers_refresh_tiers
    from shops.models import Shop

    for shop in Shop.objects.filter(pk__in=shop_ids):
        ids = list(unplaced.filter(shop_id=shop.pk).values_list("pk", flat=True))
        customers_refresh_tiers(shop=shop, customer_ids=ids, reason=_("Became a member"))


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0008_tierchange_unindexed_keys"),
        ("members", "0014_birth_month_index_covers_birthday"),
    ]

    operations = [migrations.RunPython(place_members_without_a_tier, migrations.RunPython.noop)]
