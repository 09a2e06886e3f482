from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.views import not_built_page

app_name = "loyalty"

urlpatterns = [
    path(
        "",
        not_built_page(
            _("Loyalty settings"),
            _(
                "Earning settings (points per đồng, rounding, tier multipliers, expiry) and tier settings "
                "(thresholds, upgrade, yearly review) will be configured here."
            ),
            owner_only=True,
        ),
        name="settings",
    ),
]
