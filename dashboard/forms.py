import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from core.fields import DateField
from dashboard.selectors import MAX_RANGE_DAYS


class RangeForm(forms.Form):
    start = DateField(label=_("From"))
    end = DateField(label=_("To"))

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("The first day comes after the last: swap them."))
            if end > self.today:
                raise forms.ValidationError(_("The last day is in the future: choose today or earlier."))
            if (end - start).days + 1 > MAX_RANGE_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS})
        return data
