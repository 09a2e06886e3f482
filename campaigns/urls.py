from django.urls import path
from django.utils.translation import gettext_lazy as _

from shops.views import not_built_page

app_name = "campaigns"

urlpatterns = [
    path(
        "",
        not_built_page(
            _("Campaigns"),
            _(
                "Notices, promo codes, birthday greetings, thank-you messages and purchase reminders by email "
                "and SMS will be created here."
            ),
        ),
        name="list",
    ),
]
