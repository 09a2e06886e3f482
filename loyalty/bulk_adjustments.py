"""Bulk point adjustments from a spreadsheet (SoDienThoai, NoiDungDieuChinh, DiemDieuChinh),
through the same upload → preview → confirm → progress pipeline as the opening balances.

Each row is one ledger line (kind "adjust", source "import"), keyed by the job and the row,
so a batch applied twice adds nothing. A phone may appear on several rows (several reasons).
Like a manual adjustment, a deduction may not take a balance below zero: such a row is
refused with the balance it met, and the report says so.
"""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbers import NumberError, parse_number
from imports.kinds import ERROR, ImportKind, Outcome, Row, RowError, register_import
from imports.models import ImportJob
from imports.rows import cell_text
from loyalty.models import PointEntry
from loyalty.services import customers_refresh_points, earning_settings_read, expiry_for
from members.locks import customers_lock
from members.models import Customer
from members.phones import InvalidPhone, format_phone_national, normalize_phone
from shops.models import Shop

ADJUSTED = "adjusted"
MAX_POINTS = 10_000_000


class PointsImport(ImportKind):
    def read(self, shop: Shop, cells: dict[str, Any]) -> tuple[str, Any]:
        try:
            phone = normalize_phone(cells["SoDienThoai"] if cells["SoDienThoai"] != "" else None)
        except InvalidPhone as error:
            raise RowError(f"SoDienThoai: {error}") from error
        reason = cell_text(cells["NoiDungDieuChinh"])
        if not reason:
            raise RowError(_("NoiDungDieuChinh: say why the points change; the reason is kept in the history."))
        if len(reason) > 255:
            raise RowError(_("NoiDungDieuChinh: the reason is longer than 255 characters."))
        try:
            points = parse_number(cells["DiemDieuChinh"])
        except NumberError as error:
            raise RowError(f"DiemDieuChinh: {error}") from error
        if not points:
            raise RowError(_("DiemDieuChinh: write a number of points other than 0 (+ to add, − to take)."))
        if abs(points) > MAX_POINTS:
            raise RowError(
                _("DiemDieuChinh: %(points)s points is more than one adjustment may hold.") % {"points": points}
            )
        return phone, (reason, points)

    def _check(self, row: Row, customer: Customer | None, balance: int) -> str:
        if customer is None:
            return _("No customer has the phone %(phone)s.") % {"phone": format_phone_national(row.key)}
        if customer.member_since is None:
            return _("%(name)s is not a member: activate them first.") % {"name": customer.name or row.key}
        if balance + row.value[1] < 0:
            return _("%(name)s has %(balance)s points; taking %(points)s would leave fewer than zero.") % {
                "name": customer.name or row.key,
                "balance": balance,
                "points": -row.value[1],
            }
        return ""

    def _decide(self, rows: list[Row], customers: dict[str, Customer]) -> tuple[list[Outcome], dict[int, int]]:
        balances = {customer.pk: customer.points_balance for customer in customers.values()}
        outcomes = []
        for row in rows:
            customer = customers.get(row.key)
            problem = self._check(row, customer, balances.get(customer.pk, 0) if customer else 0)
            if problem:
                outcomes.append(Outcome(ERROR, problem))
                continue
            balances[customer.pk] += row.value[1]
            outcomes.append(Outcome(ADJUSTED, ""))
        return outcomes, balances

    def read_values(self, row: Row) -> tuple:
        return row.key, row.value[1]

    def preview(self, shop: Shop, rows: list[Row]) -> list[Outcome]:
        customers = {c.phone: c for c in Customer.objects.for_shop(shop).filter(phone__any={row.key for row in rows})}
        return self._decide(rows, customers)[0]

    def apply(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        phones = sorted({row.key for row in rows})
        customers = {
            customer.phone: customer
            for customer in customers_lock(Customer.objects.for_shop(shop).filter(phone__any=set(phones)))
        }
        outcomes, _balances = self._decide(rows, customers)
        settings = earning_settings_read(shop)
        now = timezone.now()
        lines = [
            PointEntry(
                shop=shop,
                customer=customers[row.key],
                kind=PointEntry.Kind.ADJUST,
                points=row.value[1],
                source=PointEntry.Source.IMPORT,
                source_id=str(job.pk),
                key=f"row-{row.number}",
                reason=row.value[0],
                actor=job.confirmed_by,
                created_at=now,
                expires_at=expiry_for(settings, now, shop) if row.value[1] > 0 else None,
            )
            for row, outcome in zip(rows, outcomes, strict=True)
            if outcome.code == ADJUSTED
        ]
        PointEntry.objects.bulk_create(lines, ignore_conflicts=True, batch_size=2_000)
        customers_refresh_points(customer_ids={line.customer_id for line in lines})
        return outcomes

    def result(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        written = set(
            PointEntry.objects.filter(
                shop=shop,
                source=PointEntry.Source.IMPORT,
                source_id=str(job.pk),
                key__any={f"row-{row.number}" for row in rows},
            ).values_list("key", flat=True)
        )
        return [
            Outcome(ADJUSTED, "") if f"row-{row.number}" in written else Outcome(ERROR, _("Not applied."))
            for row in rows
        ]


register_import(
    PointsImport(
        code=ImportJob.Kind.POINTS,
        title=gettext_lazy("Bulk point adjustments"),
        headers=("SoDienThoai", "NoiDungDieuChinh", "DiemDieuChinh"),
        example=("0912345678", "Tặng điểm tri ân khách hàng", 50),
        text_columns=("SoDienThoai",),
        read_columns=(("SoDienThoai", "phone"), ("DiemDieuChinh", "int")),
        unique_keys=False,
        outcome_labels={ADJUSTED: gettext_lazy("Adjustment applied"), ERROR: gettext_lazy("Error")},
        preview_labels={ADJUSTED: gettext_lazy("Will be adjusted")},
        start_url="imports:adjustments",
        template_name="mau-dieu-chinh-diem.xlsx",
        template_url="imports:adjustments_template",
        intro=(
            gettext_lazy(
                "Add or take points for many members at once: one row per adjustment, with the member's phone "
                "(SoDienThoai), the reason (NoiDungDieuChinh, kept in their point history) and the points "
                "(DiemDieuChinh: 50 to add, -20 to take)."
            ),
            gettext_lazy(
                "Only members can be adjusted, and a deduction may not take a balance below zero: such rows are "
                "left out and listed. Nothing is written until you confirm the preview."
            ),
        ),
    )
)
