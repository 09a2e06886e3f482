from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from loyalty.models import EarningSettings


class EarningSettingsForm(forms.ModelForm):
    class Meta:
        model = EarningSettings
        fields = ["dong_per_point", "rounding", "opening_revenue_earns", "signup_points", "expiry", "expiry_months"]
        labels = {
            "dong_per_point": _("Every how many đồng of a paid order earn 1 point"),
            "rounding": _("Rounding"),
            "opening_revenue_earns": _("Opening revenue (DTDauKy) also earns points, once, when it is imported"),
            "signup_points": _("Points for becoming a member (0 for none)"),
            "expiry": _("Points expire"),
            "expiry_months": _("Months until points expire (with “N months”)"),
        }
        widgets = {"rounding": forms.RadioSelect, "expiry": forms.RadioSelect}

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


class TierForm(forms.Form):
    pk = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Tier name"), max_length=100, required=False)
    threshold = forms.IntegerField(label=_("From spend (₫)"), min_value=0, required=False)
    multiplier = forms.DecimalField(
        label=_("Points ×"), min_value=Decimal("0.1"), max_value=Decimal("10"), decimal_places=2, required=False
    )


class BaseTierFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if any(
            form.cleaned_data.get("pk") and not (form.cleaned_data.get("name") or "").strip() for form in self.forms
        ):
            raise forms.ValidationError(_("A tier cannot be removed yet: give it a name, or keep it unused."))
        rows = self.rows()
        if not rows or rows[0].threshold != 0:
            raise forms.ValidationError(_("The first tier must start at 0 ₫, so that every member has a tier."))
        thresholds = [row.threshold for row in rows]
        if len(set(thresholds)) != len(thresholds):
            raise forms.ValidationError(_("Two tiers have the same threshold: give each its own."))
        names = [row.name.lower() for row in rows]
        if len(set(names)) != len(names):
            raise forms.ValidationError(_("Two tiers have the same name."))

    def rows(self):
        from loyalty.services import TierRow

        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or not (data.get("name") or "").strip():
                continue
            if data.get("threshold") is None:
                raise forms.ValidationError(_("Give the tier %(name)s a threshold.") % {"name": data["name"]})
            rows.append(
                TierRow(data.get("pk"), data["name"].strip(), data["threshold"], data.get("multiplier") or Decimal(1))
            )
        return sorted(rows, key=lambda row: row.threshold)


TierFormSet = forms.formset_factory(TierForm, formset=BaseTierFormSet, extra=2)
