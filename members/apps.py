from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Customers and members")

    def ready(self) -> None:
        from members import opening  # noqa: F401  (registers the opening-balance import)
        from members.import_report import import_report_rows
        from members.selectors import customer_export_rows
        from shops.exports import register_exporter

        register_exporter("members", filename_prefix="ho-so-thanh-vien", exporter=customer_export_rows)
        register_exporter("import_report", filename_prefix="bao-cao-nhap-du-lieu", exporter=import_report_rows)
