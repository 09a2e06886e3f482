from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from core.views import favicon_view
from messaging.views import unsubscribe_view
from shops.views import admin_login_redirect_view

admin.site.site_header = "Loyalty"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard:index", permanent=False)),
    path("favicon.ico", favicon_view),
    path("", include("shops.urls")),
    path("", include("haravan.urls")),
    # The import pages keep the addresses they had under /members/ and /settings/loyalty/.
    path("", include("imports.urls")),
    path("overview/", include("dashboard.urls")),
    path("members/", include("members.urls")),
    path("campaigns/", include("campaigns.urls")),
    path("settings/loyalty/rewards/", include("rewards.urls")),
    path("settings/loyalty/", include("loyalty.urls")),
    path("settings/messaging/", include("messaging.urls")),
    # Customers' own link in every email: no login, the signed token is the proof.
    path("unsubscribe/<str:token>/", unsubscribe_view, name="unsubscribe"),
    # The member's own page: a short address per shop, a one-time code for the proof.
    path("m/", include("portal.urls")),
    # One login for everyone, with its lock and its log line.
    path("admin/login/", admin_login_redirect_view),
    path("admin/", admin.site.urls),
]
