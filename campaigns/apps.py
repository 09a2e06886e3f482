from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns.automation_checks import automation_eligibility
        from campaigns.composer import campaign_messages_compose
        from campaigns.report import campaign_recipient_rows
        from messaging.composers import composer_register
        from shops.exports import register_exporter

        # The outbox asks it for the words of each campaign message just before sending.
        # The outbox asks it for the words of each campaign message just before sending; the
        # statement that starts one checks an automation's occasion again.
        composer_register("campaign", campaign_messages_compose, eligibility=automation_eligibility())
        register_exporter(
            "campaign_recipients", filename_prefix="chien-dich-nguoi-nhan", exporter=campaign_recipient_rows
        )
