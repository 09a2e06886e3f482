from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.views import not_built_page
from members import views

app_name = "members"

urlpatterns = [
    path("", views.member_list_view, name="list"),
    path("export/", views.member_export_view, name="export"),
    path("activate/", views.member_activate_all_view, name="activate_all"),
    path("<int:pk>/", views.member_detail_view, name="detail"),
    path("<int:pk>/activate/", views.member_activate_view, name="activate"),
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
