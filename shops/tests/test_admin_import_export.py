"""The activity log in the Django admin: exported one shop at a time, never imported."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import NoReverseMatch, reverse

from members.tests.test_admin_import_export import _export
from shops.activity import activity_record
from shops.models import ActivityKind
from shops.resources import ActivityEntryResource


def test_the_activity_log_is_exported_for_one_shop(superuser_client, shop, other_shop, owner, other_owner):
    activity_record(shop=shop, actor=owner, kind=ActivityKind.LANGUAGE_CHANGED, summary="Đổi ngôn ngữ")
    activity_record(shop=other_shop, actor=other_owner, kind=ActivityKind.LANGUAGE_CHANGED, summary="Khác")

    rows = _export(superuser_client, "/admin/shops/activityentry/export/", shop)

    assert [(row["summary"], row["shop"]) for row in rows] == [("Đổi ngôn ngữ", str(shop.pk))]


def test_the_activity_log_cannot_be_imported(superuser_client, shop, owner):
    activity_record(shop=shop, actor=owner, kind=ActivityKind.LANGUAGE_CHANGED, summary="Đổi ngôn ngữ")

    with pytest.raises(NoReverseMatch):
        reverse("admin:shops_activityentry_import")
    page = superuser_client.get("/admin/shops/activityentry/").content.decode()
    assert "/admin/shops/activityentry/export/" in page and "/admin/shops/activityentry/import/" not in page
    with pytest.raises(ValidationError):  # nor through the resource itself
        ActivityEntryResource(shop=shop).import_data(ActivityEntryResource(shop=shop).export(), dry_run=True)
