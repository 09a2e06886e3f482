from django.urls import path

from loyalty import views

app_name = "loyalty"

urlpatterns = [
    path("", views.settings_view, name="settings"),
    path("tiers/", views.tiers_view, name="tiers"),
]
