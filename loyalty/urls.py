from django.urls import path

from loyalty import views
from members import import_views

app_name = "loyalty"

urlpatterns = [
    path("", views.settings_view, name="settings"),
    path("tiers/", views.tiers_view, name="tiers"),
    path("adjustments/", import_views.import_start_view, {"kind": "points"}, name="adjustments"),
    path(
        "adjustments/template.xlsx", import_views.import_template_view, {"kind": "points"}, name="adjustments_template"
    ),
]
