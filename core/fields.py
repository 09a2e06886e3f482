"""Form fields for numbers as Vietnamese staff write and read them: "5.000.000" đồng, "1,5"."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.formatting import format_int
from core.numbers import NumberError, parse_amount, parse_number


class AmountField(forms.IntegerField):
    """Whole đồng, shown as "5.000.000"; reads "5.000.000", "5000000", "5,000,000" and
    "5.000.000 ₫" back (core.numbers, as the spreadsheets are read)."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # A text input: a number input would refuse the dots people type between thousands.
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def prepare_value(self, value):
        return format_int(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_amount(value)
        except NumberError as error:
            raise forms.ValidationError(
                _("%(reason)s Write an amount in đồng, such as 5.000.000.") % {"reason": error}, code="invalid"
            ) from None


class PointsField(forms.IntegerField):
    """A whole number of points, + or −, as people write it: "50", "-20", "1.000" (a
    thousand, as in Vietnamese; Django's own field would read it as 1), "1,000"."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return parse_number(value)
        except NumberError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class CommaDecimalField(forms.DecimalField):
    """A decimal shown as Vietnamese write it, "1" or "1,5", and read with a comma or a dot."""

    widget = forms.TextInput

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            number = Decimal(str(value))
            text = format(number.quantize(Decimal(1)) if number == number.to_integral() else number.normalize(), "f")
            return text.replace(".", ",")
        return value

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)
