"""The Django admin's import and export (django-import-export), for superusers, one shop at
a time: customers, orders and tiers."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import NoReverseMatch, reverse

from loyalty.models import Tier
from members.models import Customer
from members.tests.factories import CustomerFactory


def _format(form, title: str) -> str:
    """The value the admin's format list gives ``title`` (csv, xlsx...)."""
    return next(value for value, label in form.fields["format"].choices if label == title)


def _export(client, url: str, shop) -> list[dict[str, str]]:
    form = client.get(url)
    every_column = {name: "on" for name, field in form.context["form"].fields.items() if field.initial is True}
    response = client.post(url, {"shop": shop.pk, "format": _format(form.context["form"], "csv"), **every_column})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def _import(client, shop, text: str):
    url = "/admin/members/customer/import/"
    form = client.get(url).context["form"]
    upload = SimpleUploadedFile("khach.csv", text.encode(), content_type="text/csv")
    return client.post(url, {"shop": shop.pk, "format": _format(form, "csv"), "import_file": upload})


def test_an_export_of_customers_holds_the_chosen_shops_rows_only(superuser_client, shop, other_shop):
    CustomerFactory(shop=shop, phone="+84912345678", name="Trần Thị Mai")
    CustomerFactory(shop=other_shop, phone="+84987654321", name="Lê Văn Sen")

    rows = _export(superuser_client, "/admin/members/customer/export/", shop)

    assert [(row["phone"], row["name"], row["shop"]) for row in rows] == [
        ("+84912345678", "Trần Thị Mai", str(shop.pk))
    ]


def test_an_import_of_customers_normalises_phones_as_the_product_does(superuser_client, shop, other_shop):
    CustomerFactory(shop=other_shop, phone="+84912345678", name="Khách của cửa hàng khác")

    preview = _import(superuser_client, shop, "phone,name,city\n0912 345 678,Trần Thị Mai,Hà Nội\n")
    assert preview.status_code == 200
    confirm = preview.context["confirm_form"]
    response = superuser_client.post("/admin/members/customer/process_import/", confirm.initial)

    assert response.status_code == 302
    customer = Customer.objects.get(shop=shop)
    assert (customer.phone, customer.name, customer.city) == ("+84912345678", "Trần Thị Mai", "Hà Nội")
    assert customer.search_name == "tran thi mai"  # the member search finds them
    assert Customer.objects.get(shop=other_shop).name == "Khách của cửa hàng khác"  # untouched


def test_an_import_refuses_a_phone_that_is_not_a_number_and_says_why(superuser_client, shop):
    page = _import(superuser_client, shop, "phone,name\nabc,Trần Thị Mai\n").content.decode()

    assert "“abc”" in page and "không phải số điện thoại hợp lệ" in page
    assert 'name="import_file_name"' not in page  # nothing to confirm
    assert not Customer.objects.exists()


def test_an_import_refuses_rows_that_name_another_shop(superuser_client, shop, other_shop):
    page = _import(superuser_client, shop, f"shop,phone,name\n{other_shop.pk},0912345678,Mai\n").content.decode()

    assert f"thuộc cửa hàng {other_shop.pk}" in page
    assert not Customer.objects.exists()


def test_orders_and_tiers_are_exported_per_shop_and_never_imported(superuser_client, shop, other_shop):
    Tier.objects.filter(shop__in=[shop, other_shop]).delete()  # the guide's four, made with each shop
    Tier.objects.create(shop=shop, name="Vàng", threshold=5_000_000)
    Tier.objects.create(shop=other_shop, name="Bạc", threshold=1_000_000)

    tiers = _export(superuser_client, "/admin/loyalty/tier/export/", shop)

    assert [(row["name"], row["threshold"]) for row in tiers] == [("Vàng", "5000000")]
    assert _export(superuser_client, "/admin/members/order/export/", other_shop) == []
    for model in ("loyalty_tier", "members_order"):
        with pytest.raises(NoReverseMatch):
            reverse(f"admin:{model}_import")
    assert "/import/" not in superuser_client.get("/admin/loyalty/tier/").content.decode()


def test_only_superusers_import_and_export(client, owner):
    owner.is_staff = True
    owner.save()
    client.force_login(owner)

    assert client.get("/admin/members/customer/export/").status_code in (302, 403)
    assert client.get("/admin/members/customer/import/").status_code in (302, 403)


@pytest.mark.parametrize("model", ["members/customer", "members/order", "loyalty/tier", "shops/activityentry"])
def test_the_admin_lists_open_with_their_import_export_links(superuser_client, shop, model):
    CustomerFactory(shop=shop)

    page = superuser_client.get(f"/admin/{model}/")

    assert page.status_code == 200
    assert f"/admin/{model}/export/" in page.content.decode()
