from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.views import not_built_page

app_name = "messaging"

urlpatterns = [
    path(
        "",
        not_built_page(
            _("Messaging settings"),
            _("Gmail/SMTP sending and VietGuys SMS (brandname) will be configured here."),
            owner_only=True,
        ),
        name="settings",
    ),
]
