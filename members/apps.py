from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Customers and members")

    def ready(self) -> None:
        from members.selectors import customer_export_rows
        from shops.exports import register_exporter

        register_exporter("members", filename_prefix="ho-so-thanh-vien", exporter=customer_export_rows)
