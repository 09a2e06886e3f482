"""The campaign form (5-1 and 5-2 with its offer) and the owners' campaign settings.

Content is checked at save: an unknown placeholder is refused with the nearest valid name,
so a campaign never reaches its confirmation with a typo in it.
"""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from campaigns.content import placeholders_check
from campaigns.editing import AUTOMATION_FIELDS, CAMPAIGN_FIELDS, OFFER_FIELDS
from campaigns.models import Campaign, CampaignSettings, Offer
from core.fields import AmountField, DateField
from loyalty.models import Tier
from members.models import CustomerGroup
from shops.models import Shop

Kind = Campaign.Kind


class CampaignForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Campaign name"), max_length=200)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[(Kind.NOTICE, Kind.NOTICE.label), (Kind.OFFER, Kind.OFFER.label)],
        widget=forms.RadioSelect,
    )
    audience = forms.ChoiceField(
        label=gettext_lazy("Audience"), choices=Campaign.Audience.choices, widget=forms.RadioSelect
    )
    tier_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Tiers"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    group_ids = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Groups"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    send_email = forms.BooleanField(label=gettext_lazy("Email"), required=False)
    send_sms = forms.BooleanField(label=gettext_lazy("SMS"), required=False)
    email_subject = forms.CharField(label=gettext_lazy("Email subject"), max_length=200, required=False)
    email_body = forms.CharField(
        label=gettext_lazy("Email content"), required=False, widget=forms.Textarea(attrs={"rows": 8})
    )
    sms_text = forms.CharField(
        label=gettext_lazy("SMS content"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    sms_plain = forms.BooleanField(label=gettext_lazy("Send the SMS without diacritics"), required=False)
    holdout_percent = forms.IntegerField(
        label=gettext_lazy("Holdout (%)"),
        min_value=0,
        max_value=50,
        help_text=gettext_lazy(
            "A share of the audience, drawn at random, that gets nothing: the report compares what they bought "
            "with what the recipients bought."
        ),
    )
    send_now = forms.TypedChoiceField(
        label=gettext_lazy("When"),
        choices=[("1", gettext_lazy("Send as soon as it is started")), ("0", gettext_lazy("Send at a date and time"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
    )
    send_date = DateField(label=gettext_lazy("Date"), required=False)
    send_time = forms.TimeField(
        label=gettext_lazy("Time"), required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    # The offer (5-2 only).
    offer_kind = forms.ChoiceField(
        label=gettext_lazy("Offer"), choices=Offer.Kind.choices, required=False, widget=forms.RadioSelect
    )
    offer_value = AmountField(label=gettext_lazy("Value (₫ or %)"), required=False, min_value=0)
    offer_max_amount = AmountField(label=gettext_lazy("At most (₫)"), required=False, min_value=1)
    offer_minimum_order = AmountField(label=gettext_lazy("Minimum order (₫)"), required=False, min_value=0)
    offer_validity = forms.ChoiceField(
        label=gettext_lazy("Validity"), choices=Offer.Validity.choices, required=False, widget=forms.RadioSelect
    )
    offer_valid_days = forms.IntegerField(
        label=gettext_lazy("Valid for (days after the send)"), required=False, min_value=1, max_value=365
    )
    offer_starts_on = DateField(label=gettext_lazy("Valid from"), required=False)
    offer_ends_on = DateField(label=gettext_lazy("Valid until"), required=False)
    offer_codes = forms.ChoiceField(
        label=gettext_lazy("Codes"), choices=Offer.Codes.choices, required=False, widget=forms.RadioSelect
    )
    offer_shared_code = forms.CharField(
        label=gettext_lazy("Shared code"),
        max_length=64,
        required=False,
        help_text=gettext_lazy("A code the owner made in Haravan's Discounts; it is sent to everyone as typed."),
    )

    def __init__(self, *args, shop: Shop, **kwargs):
        super().__init__(*args, **kwargs)
        self.shop = shop
        if "tier_ids" in self.fields:
            self.fields["tier_ids"].choices = [
                (tier.pk, tier.name)
                for tier in Tier.objects.for_shop(shop).filter(removed_at__isnull=True).order_by("threshold", "pk")
            ]
        if "group_ids" in self.fields:
            self.fields["group_ids"].choices = [
                (group.pk, group.name) for group in CustomerGroup.objects.for_shop(shop).order_by("name", "pk")
            ]

    @classmethod
    def initial_for(cls, campaign: Campaign | None, *, shop: Shop) -> dict:
        settings = CampaignSettings.objects.filter(shop=shop).first() or CampaignSettings(shop=shop)
        if campaign is None:
            return {
                "kind": Kind.NOTICE,
                "audience": Campaign.Audience.ALL,
                "send_email": True,
                "holdout_percent": settings.holdout_percent,
                "send_now": "1",
                "offer_kind": Offer.Kind.FIXED_AMOUNT,
                "offer_validity": Offer.Validity.DAYS,
                "offer_valid_days": 14,
                "offer_codes": Offer.Codes.UNIQUE,
                "offer_minimum_order": 0,
            }
        initial = {name: getattr(campaign, name) for name in CAMPAIGN_FIELDS}
        initial["send_now"] = "0" if campaign.send_at else "1"
        if campaign.send_at:
            local = timezone.localtime(campaign.send_at, shop.tzinfo)
            initial["send_date"], initial["send_time"] = local.date(), local.time().replace(second=0, microsecond=0)
        offer = campaign.offer
        if offer is not None:
            initial.update({f"offer_{name}": getattr(offer, name) for name in OFFER_FIELDS})
        return initial

    def with_offer(self, data: dict) -> bool:
        return data.get("kind") == Kind.OFFER

    def content_kind(self) -> str | None:
        return None

    def clean(self):
        data = super().clean()
        with_offer = self.with_offer(data)
        audience = data.get("audience")
        if audience == Campaign.Audience.TIERS and not data.get("tier_ids"):
            self.add_error("tier_ids", _("Choose at least one tier."))
        if audience == Campaign.Audience.GROUPS and not data.get("group_ids"):
            self.add_error("group_ids", _("Choose at least one group."))
        if not data.get("send_email") and not data.get("send_sms"):
            self.add_error("send_email", _("Choose at least one channel: email or SMS."))
        # Placeholders are checked whatever the channels: text kept for later must be right too.
        checks = [("email_subject", "email"), ("email_body", "email"), ("sms_text", "sms")]
        for name, channel in checks:
            for problem in placeholders_check(
                data.get(name) or "", channel=channel, with_offer=with_offer, kind=self.content_kind()
            ):
                self.add_error(name, problem)
        if data.get("send_now") is False:
            self._clean_send_at(data)
        if with_offer:
            self._clean_offer(data)
        return data

    def _clean_send_at(self, data: dict) -> None:
        day, time = data.get("send_date"), data.get("send_time")
        if day is None:
            self.add_error("send_date", _("Enter the day to send it (dd/mm/yyyy)."))
        if time is None:
            self.add_error("send_time", _("Enter the time to send it (hh:mm)."))
        if day is None or time is None:
            return
        when = datetime.datetime.combine(day, time, tzinfo=self.shop.tzinfo)
        if when <= timezone.now():
            self.add_error("send_time", _("This time has passed: choose a later one, or send as soon as it starts."))
        data["send_at"] = when

    def _clean_offer(self, data: dict) -> None:
        kind = data.get("offer_kind") or ""
        if not kind:
            self.add_error("offer_kind", _("Choose what the offer gives."))
            return
        value = data.get("offer_value")
        if kind == Offer.Kind.FIXED_AMOUNT and not value:
            self.add_error("offer_value", _("Enter the amount off, in đồng (such as 50.000)."))
        if kind == Offer.Kind.PERCENTAGE and not (value and 1 <= value <= 100):
            self.add_error("offer_value", _("Enter the percent off, from 1 to 100."))
        codes = data.get("offer_codes") or ""
        if not codes:
            self.add_error("offer_codes", _("Choose a shared code or unique codes."))
        if kind == Offer.Kind.PERCENTAGE and data.get("offer_max_amount") and codes == Offer.Codes.UNIQUE:
            # Haravan's discounts API takes no cap on a percentage: a capped percentage
            # would be made uncapped, so it is refused rather than promised.
            self.add_error(
                "offer_max_amount",
                _(
                    "Haravan cannot cap a percent-off code made through its API: leave “At most” empty, choose a "
                    "fixed amount, or make the code yourself in Haravan and use it as a shared code."
                ),
            )
        if codes == Offer.Codes.SHARED and not (data.get("offer_shared_code") or "").strip():
            self.add_error("offer_shared_code", _("Type the shared code that the owner made in Haravan."))
        validity = data.get("offer_validity") or ""
        if validity == Offer.Validity.DAYS and not data.get("offer_valid_days"):
            self.add_error("offer_valid_days", _("Enter how many days the code is valid after the send."))
        if validity == Offer.Validity.DATES:
            starts, ends = data.get("offer_starts_on"), data.get("offer_ends_on")
            if ends is None:
                self.add_error("offer_ends_on", _("Enter the last day the code is valid (dd/mm/yyyy)."))
            elif starts and ends < starts:
                self.add_error("offer_ends_on", _("The last day comes before the first: check the two dates."))
            elif ends < timezone.localdate(timezone=self.shop.tzinfo):
                self.add_error("offer_ends_on", _("This day has passed: the code would not work."))
        if not validity:
            self.add_error("offer_validity", _("Choose how long the code is valid."))


class AutomationForm(CampaignForm):
    """An automation's settings, content and optional offer: it has no name, type, audience
    (all members whom its occasion concerns) or send time of its own."""

    name = None
    kind = None
    audience = None
    tier_ids = None
    group_ids = None
    send_now = None
    send_date = None
    send_time = None
    run_hour = forms.TypedChoiceField(
        label=gettext_lazy("Run at (shop time)"),
        choices=[(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
    )
    lead_days = forms.IntegerField(
        label=gettext_lazy("Days before the birthday"),
        min_value=0,
        max_value=30,
        help_text=gettext_lazy("0 sends it on the day."),
    )
    wait_hours = forms.IntegerField(label=gettext_lazy("Hours after the order is paid"), min_value=1, max_value=720)
    idle_days = forms.IntegerField(
        label=gettext_lazy("Days without an order"),
        min_value=7,
        max_value=730,
        help_text=gettext_lazy("Sent once; again only after a new order and as many days without another."),
    )
    gift_points = forms.IntegerField(
        label=gettext_lazy("Birthday points"),
        min_value=0,
        max_value=1_000_000,
        help_text=gettext_lazy("Given once a year on the day, with or without a message. 0 gives none."),
    )
    offered = forms.BooleanField(label=gettext_lazy("Add an offer (a promo code)"), required=False)

    def __init__(self, *args, shop: Shop, kind: str, **kwargs):
        super().__init__(*args, shop=shop, **kwargs)
        self.kind = kind
        unused = {
            Kind.BIRTHDAY: ("wait_hours", "idle_days"),
            Kind.THANK_YOU: ("run_hour", "lead_days", "idle_days", "gift_points"),
            Kind.WIN_BACK: ("lead_days", "wait_hours", "gift_points"),
            Kind.TIER_UP: ("run_hour", "lead_days", "wait_hours", "idle_days", "gift_points"),
            Kind.POINTS_EXPIRING: ("wait_hours", "idle_days", "gift_points"),
        }[kind]
        if kind == Kind.POINTS_EXPIRING:
            self.fields["lead_days"].label = gettext_lazy("Days before the points lapse")
            self.fields["lead_days"].min_value = 1
            self.fields["lead_days"].help_text = ""
        for name in unused:
            del self.fields[name]

    @classmethod
    def initial_for_automation(cls, automation: Campaign) -> dict:
        initial = {name: getattr(automation, name) for name in AUTOMATION_FIELDS}
        initial["offered"] = automation.offer is not None
        offer = automation.offer
        if offer is not None:
            initial.update({f"offer_{name}": getattr(offer, name) for name in OFFER_FIELDS})
        else:
            initial.update(
                {
                    "offer_kind": Offer.Kind.FIXED_AMOUNT,
                    "offer_validity": Offer.Validity.DAYS,
                    "offer_valid_days": 14,
                    "offer_codes": Offer.Codes.UNIQUE,
                    "offer_minimum_order": 0,
                }
            )
        return initial

    def with_offer(self, data: dict) -> bool:
        return bool(data.get("offered"))

    def content_kind(self) -> str | None:
        return self.kind

    def clean(self):
        data = super().clean()
        if self.kind == Kind.POINTS_EXPIRING and (data.get("lead_days") or 0) < 1:
            self.add_error("lead_days", _("Warn at least 1 day before the points lapse."))
        if self.with_offer(data) and data.get("offer_validity") == Offer.Validity.DATES:
            self.add_error(
                "offer_validity",
                _("An automation sends every day: give its codes a number of days after the send, not dates."),
            )
        return data


class CampaignSettingsForm(forms.ModelForm):
    class Meta:
        model = CampaignSettings
        fields = ["revenue_days", "holdout_percent", "sms_refuse_text", "cap_messages", "cap_days"]

    def clean_cap_messages(self):
        count = self.cleaned_data["cap_messages"]
        if count > 100:
            raise forms.ValidationError(_("At most 100: or 0 for no limit."))
        return count

    def clean_cap_days(self):
        days = self.cleaned_data["cap_days"]
        if not 1 <= days <= 90:
            raise forms.ValidationError(_("Choose between 1 and 90 days."))
        return days

    def clean_revenue_days(self):
        days = self.cleaned_data["revenue_days"]
        if not 1 <= days <= 90:
            raise forms.ValidationError(_("Choose between 1 and 90 days."))
        return days

    def clean_holdout_percent(self):
        percent = self.cleaned_data["holdout_percent"]
        if percent > 50:
            raise forms.ValidationError(_("At most 50 %: the others must still receive the campaign."))
        return percent


class TestSendForm(forms.Form):
    customer = forms.IntegerField(widget=forms.HiddenInput)
    email = forms.EmailField(label=gettext_lazy("Your email"), required=False)
    phone = forms.CharField(label=gettext_lazy("Your phone"), max_length=20, required=False)
