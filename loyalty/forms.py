import datetime
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import AmountField, CommaDecimalField, PointsField
from loyalty.models import EarningSettings, TierSettings
from loyalty.tiers import TierRow


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
    points = PointsField(
        label=_("Points (+ to add, − to take)"),
        error_messages={
            "required": _("Enter the number of points, for example 50 or -20."),
            "invalid": _("Points are whole numbers: enter, for example, 50 or -20, without a decimal part."),
        },
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=255,
        error_messages={"required": _("Say why the points change: the reason is kept in the history.")},
    )
    # Sent with the form and back: the same form submitted twice adjusts once.
    request_key = forms.CharField(widget=forms.HiddenInput, max_length=64)


class TierForm(forms.Form):
    pk = forms.IntegerField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Tier name"), max_length=100, required=False)
    threshold = AmountField(label=_("From spend (₫)"), min_value=0, required=False)
    multiplier = CommaDecimalField(
        label=_("Points ×"),
        min_value=Decimal("0.1"),
        max_value=Decimal("10"),
        decimal_places=2,
        required=False,
        error_messages={
            "invalid": _("Write the multiplier as a number, such as 1 or 1,5."),
            "min_value": _("Use a multiplier from 0,1 to 10."),
            "max_value": _("Use a multiplier from 0,1 to 10."),
            "max_decimal_places": _("Use at most 2 decimals, such as 1,25."),
            "max_digits": _("Use a multiplier from 0,1 to 10."),
        },
    )


class BaseTierFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        for form in self.forms:
            data = form.cleaned_data
            if data.get("pk") and not data.get("DELETE") and not (data.get("name") or "").strip():
                raise forms.ValidationError(_("Give every tier a name, or tick “Remove” to remove it."))
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
        """The tiers to keep, from the lowest."""
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE") or not (data.get("name") or "").strip():
                continue
            if data.get("threshold") is None:
                raise forms.ValidationError(_("Give the tier %(name)s a threshold.") % {"name": data["name"]})
            rows.append(
                TierRow(data.get("pk"), data["name"].strip(), data["threshold"], data.get("multiplier") or Decimal(1))
            )
        return sorted(rows, key=lambda row: row.threshold)

    def removed(self) -> list[int]:
        """The existing tiers ticked for removal."""
        return [
            form.cleaned_data["pk"]
            for form in self.forms
            if form.cleaned_data.get("DELETE") and form.cleaned_data.get("pk")
        ]


TierFormSet = forms.formset_factory(TierForm, formset=BaseTierFormSet, extra=2, can_delete=True)


class TierSettingsForm(forms.ModelForm):
    class Meta:
        model = TierSettings
        fields = ["basis", "downgrade", "review_month", "review_day"]
        labels = {
            "basis": _("Ranking spend counts"),
            "downgrade": _("Once a year, move members whose spend no longer reaches their tier down"),
            "review_month": _("Review month"),
            "review_day": _("Review day"),
        }
        help_texts = {
            "basis": _(
                "With the last 12 months, orders count by the day they were placed, and opening revenue counts "
                "for 12 months from the day it was imported."
            ),
        }
        widgets = {
            "basis": forms.RadioSelect,
            "review_month": forms.NumberInput(attrs={"min": 1, "max": 12}),
            "review_day": forms.NumberInput(attrs={"min": 1, "max": 31}),
        }

    def clean(self):
        data = super().clean()
        month, day = data.get("review_month"), data.get("review_day")
        if month is not None and day is not None:
            try:
                datetime.date(2001, month, day)  # not a leap year: the date must come every year
            except ValueError:
                raise forms.ValidationError(
                    _("Choose a review date that comes every year (a month from 1 to 12 and a day that month has).")
                ) from None
        return data
