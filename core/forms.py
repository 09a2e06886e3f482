"""How every form on every page is drawn: one partial per field, so a field's label, help,
error and typed value always sit together (templates/partials/field.html)."""

from django import forms
from django.forms.renderers import TemplatesSetting


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
