from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = _("Data import")

    def ready(self) -> None:
        from imports import phone_lists  # noqa: F401  (registers the phone-list import)
        from imports.files import import_report_rows
        from shops.exports import register_exporter

        register_exporter("import_report", filename_prefix="bao-cao-nhap-du-lieu", exporter=import_report_rows)
