from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.fields import AmountField, PointsField
from loyalty.models import Tier
from rewards.models import Reward
from rewards.services import REWARD_FIELDS
from shops.models import Shop


class RewardForm(forms.ModelForm):
    value = AmountField(
        label=gettext_lazy("Value (₫ or %)"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Đồng off for a fixed amount (such as 50.000), a percent for percent off."),
    )
    points = PointsField(label=gettext_lazy("Points"), min_value=1)
    minimum_order = AmountField(label=gettext_lazy("Minimum order (₫)"), required=False, min_value=0)
    valid_days = forms.IntegerField(
        label=gettext_lazy("Code valid for (days)"),
        min_value=1,
        max_value=365,
        help_text=gettext_lazy("Counted from the day it is redeemed; the last day ends at 23:59."),
    )
    per_member_limit = forms.IntegerField(
        label=gettext_lazy("Times per member"),
        required=False,
        min_value=1,
        max_value=1000,
        help_text=gettext_lazy("Empty: no limit. Codes whose points came back do not count."),
    )

    class Meta:
        model = Reward
        fields = list(REWARD_FIELDS)
        widgets = {"kind": forms.RadioSelect}
        help_texts = {
            "tier": gettext_lazy("Members of this tier and the tiers above it; empty: every member."),
            "active": gettext_lazy("Off: members no longer see it; codes already made keep working."),
        }

    def __init__(self, *args, shop: Shop, **kwargs):
        super().__init__(*args, **kwargs)
        tier_field = self.fields["tier"]
        assert isinstance(tier_field, forms.ModelChoiceField)
        tier_field.queryset = Tier.objects.for_shop(shop).filter(removed_at__isnull=True)
        tier_field.empty_label = _("Every member")
        self.fields["name"].widget.attrs["placeholder"] = _("Such as: 50.000 ₫ off")

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), data.get("value")
        if kind == Reward.Kind.FIXED_AMOUNT and not value:
            self.add_error("value", _("Enter the amount off, in đồng (such as 50.000)."))
        elif kind == Reward.Kind.PERCENTAGE and not (value and 1 <= value <= 100):
            self.add_error("value", _("Enter the percent off, from 1 to 100."))
        if data.get("minimum_order") is None:
            data["minimum_order"] = 0
        if kind == Reward.Kind.SHIPPING:
            data["value"] = 0
        return data


class RedeemForm(forms.Form):
    reward = forms.ModelChoiceField(queryset=Reward.objects.none(), label=gettext_lazy("Reward"))
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, shop: Shop, **kwargs):
        super().__init__(*args, **kwargs)
        reward_field = self.fields["reward"]
        assert isinstance(reward_field, forms.ModelChoiceField)
        reward_field.queryset = Reward.objects.for_shop(shop).filter(active=True)
