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
    path("<int:pk>/points/", views.member_points_view, name="points"),
    path("add-to-group/", views.group_add_filtered_view, name="add_to_group"),
    path("groups/", views.group_list_view, name="groups"),
    path("groups/count/", views.group_count_view, name="group_count"),
    path("groups/<int:pk>/", views.group_detail_view, name="group"),
    path("groups/<int:pk>/upload/", views.group_upload_view, name="group_upload"),
    path("groups/<int:pk>/remove/<int:customer_id>/", views.group_remove_view, name="group_remove"),
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
