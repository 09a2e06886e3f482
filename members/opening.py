"""The opening-balance import (Nhập dữ liệu đầu kỳ): what each customer spent before the
shop used Haravan, brought in once per phone.

A row adds its DTDauKy to the customer with that phone (created, with the file's name and
email, if there is none) and makes them a member. ``OpeningBalance`` is unique per (shop,
phone): a batch first inserts its phones there, ignoring conflicts, and only the phones it
inserted itself go on; a phone imported before, by an earlier file or by another file
being applied at the same moment, is skipped with the date of its first import. A second
import of the same phone waits on the first one's uncommitted row, then skips it.

Opening revenue counts toward the tier. If the earning settings say so, it also earns
points once (ledger source "import", keyed by phone), at the base rate: it was spent
before the member had a tier.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.db import bulk_update_rows
from core.formatting import format_date, format_vnd
from core.numbers import NumberError, parse_amount
from core.text import fold
from members.imports import ERROR, ImportKind, Outcome, Row, RowError, register_import
from members.models import Customer, ImportJob, OpeningBalance
from members.phones import InvalidPhone, normalize_phone
from shops.models import Shop

NEW = "new"
EXISTING = "existing"
SKIPPED = "skipped"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class OpeningImport(ImportKind):
    def read(self, shop: Shop, cells: dict[str, Any]) -> tuple[str, Any]:
        try:
            phone = normalize_phone(cells["DienThoai"] if cells["DienThoai"] != "" else None)
        except InvalidPhone as error:
            raise RowError(f"DienThoai: {error}") from error
        try:
            amount = parse_amount(cells["DTDauKy"])
        except NumberError as error:
            raise RowError(f"DTDauKy: {error}") from error
        email = _cell_text(cells["Email"])
        if email:
            try:
                validate_email(email)
            except ValidationError as error:
                raise RowError(
                    _("Email: “%(email)s” is not an email address; correct it or leave the cell empty.")
                    % {"email": email}
                ) from error
        name = _cell_text(cells["HoTen"])
        if len(name) > 200:
            raise RowError(_("HoTen: the name is longer than 200 characters."))
        return phone, (name, email.lower(), amount)

    def _imported_before(self, shop: Shop, phones: list[str]) -> dict[str, OpeningBalance]:
        return {
            balance.phone: balance
            for balance in OpeningBalance.objects.for_shop(shop)
            .filter(phone__in=phones)
            .only("phone", "job_id", "created_at", "created_customer")
        }

    def _skipped(self, shop: Shop, balance: OpeningBalance) -> Outcome:
        return Outcome(
            SKIPPED,
            _("This phone's opening balance was imported on %(date)s (import #%(job)s); it is imported only once.")
            % {"date": format_date(balance.created_at, shop.tzinfo), "job": balance.job_id},
        )

    def preview(self, shop: Shop, rows: list[Row]) -> list[Outcome]:
        phones = [row.key for row in rows]
        imported = self._imported_before(shop, phones)
        existing = dict(Customer.objects.for_shop(shop).filter(phone__in=phones).values_list("phone", "name"))
        outcomes = []
        for row in rows:
            if row.key in imported:
                outcomes.append(self._skipped(shop, imported[row.key]))
            elif row.key in existing:
                outcomes.append(Outcome(EXISTING, self._added_reason(existing[row.key] or row.key, row.value[2])))
            else:
                outcomes.append(Outcome(NEW, ""))
        return outcomes

    def _added_reason(self, name: str, amount: int) -> str:
        return _("%(amount)s added to the existing customer %(name)s.") % {"amount": format_vnd(amount), "name": name}

    def apply(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        from loyalty.services import customers_refresh_tiers, opening_points_grant
        from members.services import members_activate

        rows = sorted(rows, key=lambda row: row.key)  # the same lock order in every import
        phones = [row.key for row in rows]
        now = timezone.now()
        # Lock the customers these phones already have: a second import of them waits here.
        before = {
            customer.phone: customer
            for customer in Customer.objects.for_shop(shop).select_for_update().filter(phone__in=phones).order_by("pk")
        }
        OpeningBalance.objects.bulk_create(
            [
                OpeningBalance(shop=shop, phone=row.key, job=job, row=row.number, amount=row.value[2], created_at=now)
                for row in rows
            ],
            ignore_conflicts=True,
        )
        balances = self._imported_before(shop, phones)
        mine = {phone for phone, balance in balances.items() if balance.job_id == job.pk}
        Customer.objects.bulk_create(
            [
                Customer(
                    shop=shop,
                    phone=row.key,
                    name=row.value[0],
                    search_name=fold(row.value[0]),
                    email=row.value[1],
                    created_at=now,
                )
                for row in rows
                if row.key in mine and row.key not in before
            ],
            ignore_conflicts=True,  # a Haravan sync adding the same phone meanwhile
        )
        customers = {
            customer.phone: customer
            for customer in Customer.objects.for_shop(shop).select_for_update().filter(phone__in=mine).order_by("pk")
        }
        changed = []
        for row in rows:
            if row.key not in mine:
                continue
            customer = customers[row.key]
            name, email, amount = row.value
            customer.opening_revenue += amount
            if row.key in before:  # fill what the customer lacks, change nothing they have
                customer.name = customer.name or name
                customer.search_name = fold(customer.name)
                customer.email = customer.email or email
            changed.append(customer)
        bulk_update_rows(changed, ["opening_revenue", "name", "search_name", "email"])
        by_phone = {balance.phone: balance for balance in balances.values() if balance.phone in mine}
        for phone, balance in by_phone.items():
            balance.customer_id = customers[phone].pk
            balance.created_customer = phone not in before
        bulk_update_rows(list(by_phone.values()), ["customer", "created_customer"])

        members = [c.pk for c in changed if c.member_since is not None]
        members_activate(
            shop=shop, actor=job.confirmed_by, customer_ids=[c.pk for c in changed if c.member_since is None], when=now
        )
        customers_refresh_tiers(shop=shop, customer_ids=members, reason=_("Opening balance imported"))
        opening_points_grant(shop=shop, balances=list(by_phone.values()))

        outcomes = {}
        for row in rows:
            if row.key in mine:
                outcomes[row.number] = (
                    Outcome(EXISTING, self._added_reason(customers[row.key].name or row.key, row.value[2]))
                    if row.key in before
                    else Outcome(NEW, "")
                )
            else:
                outcomes[row.number] = self._skipped(shop, balances[row.key])
        return [outcomes[row.number] for row in sorted(rows, key=lambda row: row.number)]

    def result(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        balances = self._imported_before(shop, [row.key for row in rows])
        outcomes = []
        for row in rows:
            balance = balances.get(row.key)
            if balance is None:
                outcomes.append(Outcome(ERROR, _("Not imported.")))
            elif balance.job_id != job.pk:
                outcomes.append(self._skipped(shop, balance))
            elif balance.created_customer:
                outcomes.append(Outcome(NEW, ""))
            else:
                outcomes.append(Outcome(EXISTING, _("Added to the existing customer.")))
        return outcomes


register_import(
    OpeningImport(
        code=ImportJob.Kind.OPENING,
        title=gettext_lazy("Opening balances"),
        headers=("HoTen", "DienThoai", "Email", "DTDauKy"),
        example=("Nguyễn Văn A", "0912345678", "nguyenvana@example.com", 1500000),
        text_columns=("DienThoai",),
        unique_keys=True,
        problem_codes=(ERROR, SKIPPED),
        outcome_labels={
            NEW: gettext_lazy("New customer"),
            EXISTING: gettext_lazy("Added to an existing customer"),
            SKIPPED: gettext_lazy("Skipped: imported before"),
            ERROR: gettext_lazy("Error"),
        },
        start_url="members:opening_import",
        template_name="mau-nhap-du-lieu-dau-ky.xlsx",
        template_url="members:opening_template",
        intro=(
            gettext_lazy(
                "Use this only for what customers bought outside Haravan, before the shop sold through it. Orders "
                "placed on Haravan are synced and counted already: do not add them here."
            ),
            gettext_lazy(
                "Each phone number can be imported only once. Once a phone's opening revenue is in, later files "
                "never change it (they skip that row), so check the amounts and phone numbers carefully first."
            ),
            gettext_lazy(
                "Download the template and fill one row per customer: HoTen as in Haravan, DienThoai (the key: it "
                "must be right), Email (may be empty), DTDauKy (the opening revenue in đồng). A customer already "
                "in the shop (e.g. synced from Haravan) is matched by phone and gets the amount; otherwise a new "
                "customer is created. Each one becomes a member."
            ),
            gettext_lazy("After uploading you will see what each row will do; nothing is written until you confirm."),
        ),
    )
)
