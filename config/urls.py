from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from shops.views import admin_login_redirect_view

admin.site.site_header = "Loyalty"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard:index", permanent=False)),
    path("", include("shops.urls")),
    path("", include("haravan.urls")),
    path("overview/", include("dashboard.urls")),
    path("members/", include("members.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("settings/loyalty/", include("loyalty.urls")),
    path("settings/messaging/", include("messaging.urls")),
    # One login for everyone, with its lock and its log line.
    path("admin/login/", admin_login_redirect_view),
    path("admin/", admin.site.urls),
]
