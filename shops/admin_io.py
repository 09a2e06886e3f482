"""The admin's import and export pages ask which shop: the forms and the mixin that hand the
chosen shop to the resources (``shops.resources``). For superusers only."""

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportMixin
from import_export.forms import ConfirmImportForm, ImportForm, SelectableFieldsExportForm

from shops.models import Shop


def _shop_field(widget: forms.Widget | None = None) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(queryset=Shop.objects.order_by("name"), label=_("shop"), widget=widget)


class ShopImportForm(ImportForm):
    shop = _shop_field()
    field_order = ["shop", "resource", "import_file", "format"]


class ShopConfirmImportForm(ConfirmImportForm):
    shop = _shop_field(forms.HiddenInput())


class ShopExportForm(SelectableFieldsExportForm):
    shop = _shop_field()
    field_order = ["shop", "resource", "format"]


def _shop_of(form: forms.Form | None) -> Shop | None:
    if form is None or not form.is_bound or not form.is_valid():
        return None
    return form.cleaned_data.get("shop")


class ShopScopedExportMixin(ExportMixin):
    """Export one shop's rows (the form asks which), superusers only."""

    export_form_class = ShopExportForm

    def has_export_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def get_export_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"shop": _shop_of(kwargs.get("export_form"))}


class ShopScopedImportExportMixin(ShopScopedExportMixin, ImportExportMixin):
    """Import into one shop (the form asks which, and the confirmation carries it on)."""

    import_form_class = ShopImportForm
    confirm_form_class = ShopConfirmImportForm

    def has_import_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"shop": _shop_of(kwargs.get("form"))}

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["shop"] = import_form.cleaned_data["shop"].pk
        return initial
