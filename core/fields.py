"""Form fields as Vietnamese staff write and read them: "5.000.000" đồng, "1,5", dd/mm/yyyy."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.formatting import format_int
from core.numbers import NumberError, parse_amount, parse_number


class _WrittenIntegerField(forms.IntegerField):
    """A whole number in a text box, read by ``parse`` (core.numbers, as the spreadsheets
    are read): a number input would refuse the dots people type between thousands."""

    widget = forms.TextInput
    parse: "staticmethod[[object], int]" = staticmethod(parse_number)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return self.parse(value)
        except NumberError as error:
            raise forms.ValidationError(self.invalid_message(error), code="invalid") from None

    def invalid_message(self, error: NumberError) -> str:
        return str(self.error_messages["invalid"])


class AmountField(_WrittenIntegerField):
    """Whole đồng, shown as "5.000.000"; reads "5.000.000", "5000000", "5,000,000" and
    "5.000.000 ₫" back."""

    parse = staticmethod(parse_amount)

    def prepare_value(self, value):
        return format_int(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def invalid_message(self, error: NumberError) -> str:
        return _("%(reason)s Write an amount in đồng, such as 5.000.000.") % {"reason": error}


class PointsField(_WrittenIntegerField):
    """A whole number of points, + or −, as people write it: "50", "-20", "1.000" (a
    thousand, as in Vietnamese; Django's own field would read it as 1), "1,000"."""


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


# Vietnamese shops write dates day first; one format in and out, everywhere.
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]


class DateInput(forms.TextInput):
    """A dd/mm/yyyy text box rather than the browser's picker, whose order follows the
    browser's language (mm/dd/yyyy in an English Chromium) and so differs between people."""

    input_type = "text"

    def __init__(self, attrs=None):
        defaults = {
            "placeholder": _("dd/mm/yyyy"),
            "inputmode": "numeric",
            "pattern": r"\d{1,2}/\d{1,2}/\d{4}",
            "autocomplete": "off",
            "class": "date-input",
            "size": 10,
        }
        super().__init__({**defaults, **(attrs or {})})

    def format_value(self, value):
        if hasattr(value, "strftime"):
            return value.strftime("%d/%m/%Y")
        return super().format_value(value)


class DateField(forms.DateField):
    """A date typed dd/mm/yyyy (the ISO form still accepted, for links that carry it)."""

    widget = DateInput
    input_formats = DATE_INPUT_FORMATS

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid": _("Write the date as dd/mm/yyyy, for example 01/03/2026.")})
        super().__init__(**kwargs)
