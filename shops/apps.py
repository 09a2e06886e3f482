from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShopsConfig(AppConfig):
    name = "shops"
    verbose_name = _("Shops and staff")

    def ready(self) -> None:
        from shops.exports import register_exporter
        from shops.selectors import activity_export_rows

        register_exporter("activity", filename_prefix="nhat-ky-hoat-dong", exporter=activity_export_rows)
