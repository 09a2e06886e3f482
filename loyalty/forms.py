from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.models import EarningSettings


class EarningSettingsForm(forms.ModelForm):
    class Meta:
        model = EarningSettings
        fields = ["dong_per_point", "rounding", "signup_points"]
        labels = {
            "dong_per_point": _("Every how many đồng of a paid order earn 1 point"),
            "rounding": _("Rounding"),
            "signup_points": _("Points for becoming a member (0 for none)"),
        }
        widgets = {"rounding": forms.RadioSelect}

    def clean_dong_per_point(self):
        value = self.cleaned_data["dong_per_point"]
        if value < 1_000:
            raise forms.ValidationError(_("Use at least 1.000 ₫ per point."))
        return value


class PointsAdjustForm(forms.Form):
    points = forms.IntegerField(label=_("Points (+ to add, − to take)"))
    reason = forms.CharField(label=_("Reason"), max_length=255)
    # Sent with the form and back: the same form submitted twice adjusts once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)
