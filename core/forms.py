"""How every form on every page is drawn: one partial per field, so a field's label, help,
error and typed value always sit together (templates/partials/field.html)."""

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _


class BoundField(forms.BoundField):
    """Labels without Django's trailing colon, which product forms do not write, also where
    a page draws a label itself with ``{{ field.label_tag }}``."""

    def label_tag(self, contents=None, attrs=None, label_suffix=None, tag=None):
        return super().label_tag(contents, attrs, "" if label_suffix is None else label_suffix, tag)


class FormRenderer(TemplatesSetting):
    # TemplatesSetting reads the project's templates/, so the partials can live beside the
    # pages that use them; Django's own widget templates come from the django.forms app.
    form_template_name = "partials/form.html"
    field_template_name = "partials/field.html"
    bound_field_class = BoundField


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
