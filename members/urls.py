from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.views import not_built_page

app_name = "members"

urlpatterns = [
    path(
        "",
        not_built_page(
            _("Member profiles"),
            _("The member list with search and filters, and each member's page, will be here."),
        ),
        name="list",
    ),
    path(
        "groups/",
        not_built_page(
            _("Customer groups"),
            _("Static and rule-based customer groups, the audiences of campaigns, will be here."),
        ),
        name="groups",
    ),
    path(
        "opening-balances/",
        not_built_page(
            _("Opening balances"),
            _("The one-time import of what each customer spent before the shop used Haravan will be here."),
            owner_only=True,
        ),
        name="opening_import",
    ),
]
