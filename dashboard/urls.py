from django.urls import path
from django.utils.translation import gettext_lazy as _

from core.views import not_built_page

app_name = "dashboard"

urlpatterns = [
    path(
        "",
        not_built_page(
            _("Overview"),
            _("Total members, new members, new customers, orders and revenue over rolling windows will be shown here."),
        ),
        name="index",
    ),
]
