"""The opening-balance import (Nhập dữ liệu đầu kỳ): what each customer spent before the
shop used Haravan, brought in once per phone.

A row adds its DTDauKy to the customer with that phone (created, with the file's name and
email, if there is none) and makes them a member. ``OpeningBalance`` is unique per (shop,
phone): a batch first inserts its phones there, ignoring conflicts, and only the phones it
inserted itself go on; a phone imported before, by an earlier file or by another file
being applied at the same moment, is skipped with the date of its first import. A second
import of the same phone waits on the first one's uncommitted row, then skips it.

Opening revenue counts toward the tier. The tier it reaches is decided in Python, by the
rule orders follow (``loyalty.tiers.UpwardPlacement``: up, never down), and written in the
same INSERT or UPDATE as the amount: each customer row is written once, since every write
of a customer updates all of its indexes. If the earning settings say so, it also earns
points once (ledger source "import", keyed by phone), at the base rate: it was spent
before the member had a tier.
"""

from types import SimpleNamespace
from typing import Any, NamedTuple

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.db import insert_rows, reserve_ids, update_rows, update_rows_returning
from core.formatting import format_date, format_vnd
from core.numbers import NumberError, parse_amount
from core.text import fold, is_email
from imports.kinds import ERROR, ImportKind, Outcome, Row, RowError, register_import
from imports.models import ImportJob
from imports.rows import cell_text
from loyalty.models import OpeningBalance
from loyalty.services import members_welcome_points, opening_points_grant
from loyalty.tiers import UpwardPlacement, customers_refresh_tiers
from members.locks import customers_lock
from members.models import Customer
from members.phones import InvalidPhone, normalize_phone
from shops.activity import activity_record
from shops.models import ActivityKind, Shop

NEW = "new"
EXISTING = "existing"
SKIPPED = "skipped"


class Opening(NamedTuple):
    """What a row brings, read (by the thread that reads ahead) before its batch is applied."""

    name: str
    search_name: str  # the name folded for search: left empty by a preview, which has no use for it
    email: str
    amount: int


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
        email = cell_text(cells["Email"])
        if email and not is_email(email):
            raise RowError(
                _("Email: “%(email)s” is not an email address; correct it or leave the cell empty.") % {"email": email}
            )
        name = cell_text(cells["HoTen"])
        if len(name) > 200:
            raise RowError(_("HoTen: the name is longer than 200 characters."))
        return phone, Opening(name, "", email.lower(), amount)

    def complete(self, value: Opening) -> Opening:
        return value._replace(search_name=fold(value.name))

    def _imported_before(self, shop: Shop, phones: list[str]) -> dict[str, OpeningBalance]:
        return {
            balance.phone: balance
            for balance in OpeningBalance.objects.for_shop(shop)
            .filter(phone__any=set(phones))
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
        existing = {
            phone: (name, folded)
            for phone, name, folded in Customer.objects.for_shop(shop)
            .filter(phone__any=set(phones))
            .values_list("phone", "name", "search_name")
        }
        added = _("%(amount)s added to the existing customer %(name)s.")
        differs = NameCheck()
        outcomes = []
        for row in rows:
            if row.key in imported:
                outcomes.append(self._skipped(shop, imported[row.key]))
            elif row.key in existing:
                name, folded = existing[row.key]
                outcomes.append(
                    Outcome(
                        EXISTING,
                        added % {"amount": format_vnd(row.value.amount), "name": name or row.key},
                        differs(typed=row.value.name, kept=name, kept_folded=folded),
                    )
                )
            else:
                outcomes.append(Outcome(NEW, ""))
        return outcomes

    def read_values(self, row: Row) -> tuple:
        return row.key, row.value.amount

    def apply(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        """Set-based, a statement per step for the whole batch, and each customer written
        once: its tier is decided here and goes in with the rest (see the module's docstring)."""
        rows = sorted(rows, key=lambda row: row.key)  # the same lock order in every import
        phones = [row.key for row in rows]
        now = timezone.now()
        # Lock the customers these phones already have: a second import of them waits here.
        before = {
            phone: (pk, member_since, tier_id, spent)
            for phone, pk, member_since, tier_id, spent in customers_lock(
                Customer.objects.for_shop(shop).filter(phone__any=set(phones))
            ).values_list("phone", "pk", "member_since", "tier", F("opening_revenue") + F("total_spent"))
        }
        placement = UpwardPlacement(shop)
        spends = placement.spends({pk: spent for pk, _since, _tier, spent in before.values()})
        # Whose each balance is: the customer the shop has, or the id a new one will take
        # (PostgreSQL; elsewhere new customers' balances are linked once they are inserted).
        owner = {phone: pk for phone, (pk, *_rest) in before.items()}
        unknown = [phone for phone in phones if phone not in before]
        reserved = reserve_ids(Customer, len(unknown))
        owner.update(zip(unknown, reserved or (), strict=False))
        mine = {
            phone
            for (phone,) in insert_rows(
                OpeningBalance,
                ["phone", "row", "amount", "created_customer", "customer"],
                [(row.key, row.number, row.value.amount, row.key not in before, owner.get(row.key)) for row in rows],
                same={"shop": shop.pk, "job": job.pk, "created_at": now},
                conflict=["shop", "phone"],
                returning=["phone"],
            )
        }
        # New customers: members from now, with their opening revenue and the tier it reaches.
        fresh = {row.key: row for row in rows if row.key in mine and row.key not in before}
        first_tier = {phone: placement.target(None, row.value.amount) for phone, row in fresh.items()}
        created = dict(
            insert_rows(
                Customer,
                ["id", "phone", "name", "search_name", "email", "opening_revenue", "tier"],
                [(owner.get(phone), phone, *row.value, first_tier[phone]) for phone, row in fresh.items()],
                same={"shop": shop.pk, "member_since": now, "created_at": now},
                conflict=["shop", "phone"],  # a Haravan sync adding the same phone meanwhile
                returning=["phone", "id"],
            )
        )
        moves = [(pk, None, first_tier[phone]) for phone, pk in created.items()]
        # A customer a Haravan sync created since the lock was taken (the INSERT met it):
        # locked now, given the amount, then placed as orders place them.
        late = [row for row in rows if row.key in fresh and row.key not in created]
        unlocked = _lock(shop, [row.key for row in late])
        # Customers the shop had: add the amount, fill what they lack, make them members,
        # move them up if the amount takes them higher.
        adding = []
        for row in rows:
            if row.key in before and row.key in mine:
                pk, _since, tier_id, _spent = before[row.key]
                target = placement.target(tier_id, spends[pk] + row.value.amount)
                if target:
                    moves.append((pk, tier_id, target))
            elif row.key in unlocked:
                pk, target = unlocked[row.key], None
            else:
                continue
            value = row.value
            adding.append((pk, value.amount, value.name, value.search_name, value.email, target))
        added = dict(_add_to_existing(shop, adding, now=now))
        reason = _("Opening balance imported")
        placement.record(moves, reason)
        customers_refresh_tiers(shop=shop, customer_ids=unlocked.values(), reason=reason)
        ids = {**created, **added}
        _link_balances(job, {phone: pk for phone, pk in ids.items() if owner.get(phone) != pk})
        joined = [ids[phone] for phone in ids if phone not in before or before[phone][1] is None]
        members_welcome_points(shop=shop, customer_ids=joined)
        opening_points_grant(
            shop=shop,
            balances=[
                SimpleNamespace(customer_id=ids[row.key], phone=row.key, amount=row.value.amount)
                for row in rows
                if row.key in ids
            ],
        )

        skipped = {} if len(mine) == len(rows) else self._imported_before(shop, [p for p in phones if p not in mine])
        outcomes = {}
        for row in rows:
            if row.key in created:
                outcomes[row.number] = Outcome(NEW, "")
            elif row.key in added:
                outcomes[row.number] = Outcome(EXISTING, _("Added to the existing customer."))
            else:
                outcomes[row.number] = self._skipped(shop, skipped[row.key])
        return [outcomes[row.number] for row in sorted(rows, key=lambda row: row.number)]

    def finish(self, job: ImportJob) -> None:
        """One activity-log line for the members this import made (a line per customer
        would double the import's time on a large file; the report lists each row)."""
        joined = Customer.objects.filter(opening_balances__job=job, member_since__gte=job.started_at).count()
        if joined:
            activity_record(
                shop=job.shop,
                actor=job.confirmed_by,
                kind=ActivityKind.MEMBER_ACTIVATED,
                target=job,
                target_label=job.file_name,
                summary=ngettext(
                    "%(count)s customer became a member through the opening-balance import %(name)s.",
                    "%(count)s customers became members through the opening-balance import %(name)s.",
                    joined,
                )
                % {"count": joined, "name": job.file_name},
                after={"members": joined},
            )

    def result(self, shop: Shop, job: ImportJob, rows: list[Row]) -> list[Outcome]:
        balances = {
            balance.phone: balance
            for balance in OpeningBalance.objects.for_shop(shop)
            .filter(phone__any={row.key for row in rows})
            .select_related("customer")
            .only("phone", "job_id", "created_at", "created_customer", "customer__name")
        }
        added = _("%(amount)s added to the existing customer %(name)s.")
        differs = NameCheck()
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
                # The customer kept the name the shop had: the report says whose it is.
                name = balance.customer.name if balance.customer else ""
                outcomes.append(
                    Outcome(
                        EXISTING,
                        added % {"amount": format_vnd(row.value.amount), "name": name or row.key},
                        differs(typed=row.value.name, kept=name),
                    )
                )
        return outcomes


class NameCheck:
    """The flag of a row whose name is not the matched customer's, compared without marks,
    case or extra spaces: the customer keeps the shop's name, so the phone may be someone
    else's. Called for every matched row of a preview: the message is translated once, and
    the customer's name comes folded already (``search_name``)."""

    def __init__(self):
        self.message = _("The name differs: the shop's customer with this phone is “%(kept)s” and keeps that name.")

    def __call__(self, *, typed: str, kept: str, kept_folded: str | None = None) -> str:
        if not typed or not kept or typed == kept:
            return ""
        if fold(typed) == (fold(kept) if kept_folded is None else kept_folded):
            return ""
        return self.message % {"kept": kept}


def _lock(shop: Shop, phones: list[str]) -> dict[str, int]:
    """{phone: id} of the shop's customers with these phones, locked."""
    if not phones:
        return {}
    return dict(
        customers_lock(Customer.objects.for_shop(shop).filter(phone__any=set(phones))).values_list("phone", "pk")
    )


def _add_to_existing(shop: Shop, rows: list[tuple], *, now) -> list[tuple[str, int]]:
    """One UPDATE … FROM (VALUES …) for rows of (customer id, amount, name, search name,
    email, tier or None): each customer's opening revenue grows by the amount; a blank name
    or email takes the file's; a customer not yet a member becomes one; a tier given is
    set. Joined on the primary key: by phone, the planner may hash all the shop's customers
    for each batch. Returns (phone, id) of the customers updated."""
    blank_name = "CASE WHEN {table}.name = '' THEN {new} ELSE {old} END"
    return update_rows_returning(
        Customer,
        ["opening_revenue", "name", "search_name", "email", "tier", "member_since"],
        [(*row, now) for row in rows],
        expressions={
            "opening_revenue": "{old} + {new}",
            "name": blank_name,
            "search_name": blank_name,
            "email": "CASE WHEN {old} = '' THEN {new} ELSE {old} END",
            "tier": "COALESCE({new}, {old})",
            "member_since": "COALESCE({old}, {new})",
        },
        where="{table}.shop_id = %s",
        where_params=[shop.pk],
        returning=["phone", "id"],
    )


def _link_balances(job: ImportJob, ids: dict[str, int]) -> None:
    """Point this job's OpeningBalance rows of customers that did not exist before the
    batch at their customers."""
    update_rows(
        OpeningBalance,
        ["customer"],
        list(ids.items()),
        key="phone",
        where="{table}.shop_id = %s AND {table}.job_id = %s",
        where_params=[job.shop_id, job.pk],
    )


register_import(
    OpeningImport(
        code=ImportJob.Kind.OPENING,
        title=gettext_lazy("Opening balances"),
        headers=("HoTen", "DienThoai", "Email", "DTDauKy"),
        example=("Nguyễn Văn A", "0912345678", "nguyenvana@example.com", 1500000),
        text_columns=("DienThoai",),
        read_columns=(("DienThoai", "phone"), ("DTDauKy", "vnd")),
        unique_keys=True,
        problem_codes=(ERROR, SKIPPED),
        outcome_labels={
            NEW: gettext_lazy("New customer"),
            EXISTING: gettext_lazy("Added to an existing customer"),
            SKIPPED: gettext_lazy("Skipped: imported before"),
            ERROR: gettext_lazy("Error"),
        },
        start_url="imports:opening",
        template_name="mau-nhap-du-lieu-dau-ky.xlsx",
        template_url="imports:opening_template",
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
