"""django-import-export resources for the Django admin (superusers only), scoped to one shop.

Each resource is made for one shop (``shop=`` from the admin's form, which asks for it):
its rows are that shop's only, for export and for finding the rows an import updates, and
an imported row that names another shop in its ``shop`` column is refused. What moves
points, tiers or orders is not imported here: those change through the services (the
ledger, the placements, the overview's days, the activity log), never row by row.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from import_export import fields, resources

from shops.models import ActivityEntry, Shop


class ShopScopedResource(resources.ModelResource):
    """A resource over one shop's rows. ``shop`` is None only when the admin draws the
    import page before a shop is chosen (to list the columns)."""

    shop_column = fields.Field(attribute="shop_id", column_name="shop", readonly=True)

    def __init__(self, *, shop: Shop | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shop = shop

    def get_queryset(self) -> QuerySet[Any]:
        model = self._meta.model
        return model.objects.filter(shop=self.shop) if self.shop is not None else model.objects.none()

    def filter_export(self, queryset: QuerySet[Any], **kwargs: Any) -> QuerySet[Any]:
        return queryset.filter(shop=self.shop) if self.shop is not None else queryset.none()

    def before_import_row(self, row: Any, **kwargs: Any) -> None:
        if self.shop is None:
            raise ValidationError(_("Choose the shop the rows are for."))
        named = row.get("shop")
        if named not in (None, "") and str(named).strip() != str(self.shop.pk):
            raise ValidationError(
                _("This row belongs to shop %(row_shop)s, not to %(shop)s (%(shop_id)s).")
                % {"row_shop": named, "shop": self.shop.name, "shop_id": self.shop.pk}
            )

    def init_instance(self, row: Any = None) -> Model:
        instance = super().init_instance(row)
        instance.shop = self.shop
        return instance


class ActivityEntryResource(ShopScopedResource):
    """The activity log, for export only: it is append-only (the database refuses updates)."""

    class Meta:
        model = ActivityEntry
        fields = ("id", "shop_column", "created_at", "actor_name", "kind", "target_type", "target_id",
                  "target_label", "summary", "before", "after", "ip")  # fmt: skip
        export_order = fields

    def import_data(self, *args: Any, **kwargs: Any) -> Any:
        raise ValidationError(_("The activity log cannot be imported."))
