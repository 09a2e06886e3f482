import io
import re
import threading
import zipfile

import pytest
from django.db import connections

from core import spreadsheets
from core.tests.spreadsheets import csv_bytes, xlsx_bytes, xlsx_rewritten, xlsx_sheet
from imports import analysis, kinds, reading, services
from imports import report as import_report
from imports.models import ImportJob
from loyalty.membership import members_activate
from loyalty.models import EarningSettings, OpeningBalance, PointEntry
from members.models import Customer
from members.tests.factories import CustomerFactory, OrderFactory
from shops.models import ActivityEntry, ActivityKind

HEADERS = ["HoTen", "DienThoai", "Email", "DTDauKy"]


def xlsx(rows, headers=HEADERS) -> bytes:
    """An opening-balance file: the template's headers, then ``rows``."""
    return xlsx_bytes(rows, headers=headers)


def upload(shop, owner, content, name="dau-ky.xlsx") -> ImportJob:
    job = services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name=name, content=content)
    analysis.import_analyse(job_id=job.pk)
    job.refresh_from_db()
    return job


def confirm_and_run(job, owner) -> ImportJob:
    services.import_confirm(job=job, actor=owner, ip=None)
    services.import_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def problems(job) -> dict[int, str]:
    return {problem["row"]: problem["reason"] for problem in job.problems}


def test_the_template_has_exactly_the_four_headers_an_example_and_the_phone_column_as_text(owner_client):
    response = owner_client.get("/members/opening-balances/template.xlsx")

    sheet = xlsx_sheet(response.content)
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert [cell.value for cell in sheet[2]] == ["Nguyễn Văn A", "0912345678", "nguyenvana@example.com", 1500000]
    assert sheet["B2"].number_format == "@" and sheet["B50"].number_format == "@"


def test_the_preview_says_what_each_row_will_do_and_writes_nothing(shop, owner):
    CustomerFactory(shop=shop, phone="+84382345678", name="Trần Văn Nam")  # e.g. synced from Haravan
    content = xlsx(
        [
            ["Nguyễn Thị Mai", "0912 345 678", "mai@example.vn", "1.500.000 ₫"],
            ["Trần Văn Nam", "0382345678", "", 2_000_000],
            ["Sai Số", "12345", "", 100_000],
            ["Chữ Tiền", "0987654321", "", "một triệu"],
            ["Âm", "0987654322", "", -5],
            ["Thư Sai", "0987654323", "khong-phai-email", 1],
            ["Trùng A", "0901234567", "", 10],
            ["Trùng B", "+84 901 234 567", "", 20],
        ]
    )
    customers_before = Customer.objects.count()

    job = upload(shop, owner, content)

    assert job.status == "ready" and job.rows_total == 8
    assert job.preview == {"new": 1, "existing": 1, "error": 6}
    reasons = problems(job)
    assert "12345" in reasons[4] and reasons[4].startswith("DienThoai")
    assert "một triệu" in reasons[5] and reasons[5].startswith("DTDauKy")
    assert "là số âm" in reasons[6]
    assert "khong-phai-email" in reasons[7]
    assert "9" in reasons[8] and "8" in reasons[9]  # a repeated phone is an error on both rows
    assert Customer.objects.count() == customers_before
    assert not OpeningBalance.objects.exists()


def test_amounts_are_read_as_people_write_them(shop, owner):
    amounts = [1500000, "1500000", "1.500.000", "1,500,000", "1.500.000 ₫", "1.500.000đ", 1500000.0]
    rows = [[f"Khách {i}", f"090123456{i}", "", amount] for i, amount in enumerate(amounts)]

    job = confirm_and_run(upload(shop, owner, xlsx(rows)), owner)

    assert job.counts == {"new": len(amounts)}
    assert set(Customer.objects.values_list("opening_revenue", flat=True)) == {1_500_000}


def test_confirming_creates_or_completes_customers_makes_them_members_and_places_their_tier(shop, owner):
    existing = CustomerFactory(shop=shop, phone="+84382345678", name="Trần Văn Nam", email="", total_spent=1_000_000)
    content = xlsx(
        [["Nguyễn Thị Mai", "0912345678", "Mai@Example.vn", "6.000.000"], ["Nam", "0382345678", "nam@x.vn", 19_500_000]]
    )

    job = confirm_and_run(upload(shop, owner, content), owner)

    assert job.status == "done" and job.counts == {"new": 1, "existing": 1} and job.rows_done == 2
    mai = Customer.objects.get(phone="+84912345678")
    assert (mai.name, mai.email, mai.opening_revenue, mai.tier.name) == (
        "Nguyễn Thị Mai",
        "mai@example.vn",
        6_000_000,
        "Bạc",
    )
    assert mai.member_since is not None
    existing.refresh_from_db()
    assert existing.name == "Trần Văn Nam"  # what the customer had is kept
    assert existing.email == "nam@x.vn"  # what they lacked is filled
    assert existing.opening_revenue == 19_500_000 and existing.tier.name == "Vàng"  # 19.5M + 1M spent
    balance = OpeningBalance.objects.get(phone="+84912345678")
    assert (balance.customer, balance.job, balance.amount, balance.created_customer) == (mai, job, 6_000_000, True)
    kinds = list(ActivityEntry.objects.filter(kind=ActivityKind.DATA_IMPORT).values_list("summary", flat=True))
    assert len(kinds) == 3  # upload, confirm, finished
    joined = ActivityEntry.objects.get(kind=ActivityKind.MEMBER_ACTIVATED)  # one line for the import's members
    assert "2" in joined.summary and joined.after == {"members": 2}


def test_importing_the_same_file_again_and_again_changes_nothing_after_the_first(shop, owner):
    content = xlsx([["Mai", "0912345678", "", 6_000_000], ["Nam", "0382345678", "", 1_000_000]])
    confirm_and_run(upload(shop, owner, content), owner)

    for _attempt in range(5):
        again = upload(shop, owner, content)
        assert again.preview == {"skipped": 2}
        assert "đã được nhập ngày" in again.problems[0]["reason"]
        again = confirm_and_run(again, owner)
        assert again.counts == {"skipped": 2}

    assert list(Customer.objects.order_by("phone").values_list("opening_revenue", flat=True)) == [1_000_000, 6_000_000]
    assert OpeningBalance.objects.count() == 2


def test_a_changed_amount_for_an_imported_phone_is_skipped_not_applied(shop, owner):
    confirm_and_run(upload(shop, owner, xlsx([["Mai", "0912345678", "", 6_000_000]])), owner)

    job = confirm_and_run(upload(shop, owner, xlsx([["Mai", "0912 345 678", "", 9_000_000]])), owner)

    assert job.counts == {"skipped": 1}
    assert Customer.objects.get().opening_revenue == 6_000_000


def test_opening_revenue_earns_points_once_when_the_shop_says_so(shop, owner):
    EarningSettings.objects.update_or_create(shop=shop, defaults={"opening_revenue_earns": True})
    content = xlsx([["Mai", "0912345678", "", 1_234_567]])

    confirm_and_run(upload(shop, owner, content), owner)
    confirm_and_run(upload(shop, owner, content), owner)

    mai = Customer.objects.get()
    assert mai.points_balance == 123
    assert PointEntry.objects.get().kind == "opening"


def test_without_the_setting_opening_revenue_counts_for_the_tier_but_earns_nothing(shop, owner):
    confirm_and_run(upload(shop, owner, xlsx([["Mai", "0912345678", "", 6_000_000]])), owner)

    assert Customer.objects.get().points_balance == 0
    assert not PointEntry.objects.exists()


def test_a_member_already_keeps_their_member_since(shop, owner):
    customer = CustomerFactory(shop=shop, phone="+84912345678")
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk])
    customer.refresh_from_db()

    confirm_and_run(upload(shop, owner, xlsx([["Mai", "0912345678", "", 6_000_000]])), owner)

    assert Customer.objects.get().member_since == customer.member_since


def test_a_job_is_confirmed_once_however_often_the_button_is_pressed(shop, owner):
    job = upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]]))
    services.import_confirm(job=job, actor=owner, ip=None)

    with pytest.raises(services.ImportStateError):
        services.import_confirm(job=job, actor=owner, ip=None)


def test_a_worker_that_dies_mid_import_leaves_it_resumable_and_nothing_twice(shop, owner, monkeypatch):
    monkeypatch.setattr(reading, "BATCH_SIZE", 3)
    rows = [[f"Khách {i}", f"09012345{i:02d}", "", 1_000_000] for i in range(10)]
    job = upload(shop, owner, xlsx(rows))
    services.import_confirm(job=job, actor=owner, ip=None)
    kind = kinds.import_kind("opening")
    real_apply = type(kind).apply
    calls = {"n": 0}

    def dying_apply(self, *args):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("worker lost")
        return real_apply(self, *args)

    monkeypatch.setattr(type(kind), "apply", dying_apply)
    with pytest.raises(RuntimeError):
        services.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.cursor) == (
        "running",
        6,
        7,
    )  # two batches in (rows 2-7), the third rolled back
    assert Customer.objects.count() == 6

    monkeypatch.setattr(reading, "BATCH_SIZE", 4)  # batches cut elsewhere this time (e.g. a new release)
    services.import_run(job_id=job.pk)  # the task delivered again

    job.refresh_from_db()
    assert (job.status, job.rows_done, job.counts) == ("done", 10, {"new": 10})
    assert Customer.objects.count() == 10 and OpeningBalance.objects.count() == 10
    assert set(Customer.objects.values_list("opening_revenue", flat=True)) == {1_000_000}


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_files_confirmed_at_once_apply_each_phone_once(shop, owner, monkeypatch):
    monkeypatch.setattr(reading, "BATCH_SIZE", 7)
    first = [[f"A{i}", f"09012340{i:02d}", "", 1_000_000] for i in range(40)]
    second = [[f"B{i}", f"09012340{i:02d}", "", 2_000_000] for i in range(20, 60)]  # 20 phones overlap
    jobs = [upload(shop, owner, xlsx(first)), upload(shop, owner, xlsx(second))]
    for job in jobs:
        services.import_confirm(job=job, actor=owner, ip=None)
    barrier = threading.Barrier(2)
    errors = []

    def work(job_id):
        try:
            barrier.wait()
            services.import_run(job_id=job_id)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert Customer.objects.count() == 60 == OpeningBalance.objects.count()
    for job in jobs:
        job.refresh_from_db()
        assert job.status == "done"
    assert sum(job.counts.get("new", 0) for job in jobs) == 60
    assert sum(job.counts.get("skipped", 0) for job in jobs) == 20
    for customer in Customer.objects.all():
        balance = OpeningBalance.objects.get(phone=customer.phone)
        assert customer.opening_revenue == balance.amount  # one amount, never both


# Bad files --------------------------------------------------------------------------------


def refused(shop, owner, content, name="dau-ky.xlsx") -> str:
    job = upload(shop, owner, content, name=name)
    assert job.status == "refused", job.preview
    assert not Customer.objects.exists() and not OpeningBalance.objects.exists()
    return job.error


def test_wrong_headers_are_named(shop, owner):
    error = refused(
        shop, owner, xlsx([["Mai", "0912345678", "", 1]], headers=["Ten", "SoDienThoai", "Email", "DTDauKy"])
    )

    assert "HoTen" in error and "DienThoai" in error and "SoDienThoai" in error


def test_an_empty_sheet_and_a_sheet_without_rows_are_refused(shop, owner):
    assert "Trang tính đang trống" in refused(shop, owner, xlsx([], headers=None))
    assert "không có dòng dữ liệu" in refused(shop, owner, xlsx([]))  # the headers alone


def test_not_a_spreadsheet_and_old_xls_files_get_a_message_saying_what_to_do(shop, owner):
    assert "xlsx" in refused(shop, owner, b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    with pytest.raises(spreadsheets.SpreadsheetError, match="xlsx"):
        services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="cu.xls", content=b"\xd0\xcf")
    with pytest.raises(spreadsheets.SpreadsheetError):
        services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="anh.png", content=b"x")
    assert ImportJob.objects.count() == 1  # the refused .xlsx only: the others were never kept


def test_a_file_over_the_size_limit_is_refused_before_it_is_kept(shop, owner, settings):
    settings.IMPORT_MAX_BYTES = 1024

    with pytest.raises(spreadsheets.SpreadsheetError, match="MB"):
        services.import_upload(shop=shop, actor=owner, ip=None, kind="opening", name="a.csv", content=b"x" * 2048)
    assert not ImportJob.objects.exists()


def test_formulas_are_refused_with_the_cell_named(shop, owner):
    assert "D3" in refused(shop, owner, xlsx([["Mai", "0912345678", "", 1], ["Nam", "0382345678", "", "=D2*2"]]))


def test_a_sheet_that_claims_a_million_rows_but_holds_two_is_read_as_two(shop, owner):
    content = xlsx_rewritten(
        xlsx([["Mai", "0912345678", "", 1], ["Nam", "0382345678", "", 2]]),
        lambda data: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data),
    )
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")

    job = upload(shop, owner, content)

    assert (job.status, job.rows_total) == ("ready", 2)


def test_a_value_far_beyond_the_columns_is_refused_before_calamine_builds_its_grid(shop, owner):
    content = xlsx_rewritten(
        xlsx([["Mai", "0912345678", "", 1]]),
        lambda data: data.replace(
            b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
        ),
    )

    assert "XFD1048576" in refused(shop, owner, content)


def test_a_zip_bomb_is_refused_from_its_declared_sizes(shop, owner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"0" * (600 * 1024 * 1024))

    job = upload(shop, owner, buffer.getvalue())

    assert job.status == "refused" and "giải nén lớn bất thường" in job.error


def test_csv_in_utf8_with_a_bom_reads_vietnamese_names(shop, owner):
    content = csv_bytes([["Nguyễn Thị Mai", "0912345678", "", "1.500.000"]], headers=HEADERS, encoding="utf-8-sig")

    job = confirm_and_run(upload(shop, owner, content, name="dau-ky.csv"), owner)

    assert job.counts == {"new": 1}
    assert Customer.objects.get().name == "Nguyễn Thị Mai"


def test_csv_that_is_not_utf8_says_how_to_save_it(shop, owner):
    content = csv_bytes([["Hélène", "0912345678", "", 1]], headers=HEADERS, encoding="cp1252")

    assert "UTF-8" in refused(shop, owner, content, name="dau-ky.csv")


# The report -------------------------------------------------------------------------------


def test_the_report_lists_every_row_with_its_outcome_and_reason(shop, owner):
    confirm_and_run(upload(shop, owner, xlsx([["Nam", "0382345678", "", 1]])), owner)
    job = confirm_and_run(
        upload(shop, owner, xlsx([["Mai", "0912345678", "", 5], ["Nam", "0382345678", "", 1], ["X", "1", "", 1]])),
        owner,
    )

    header, total, rows = import_report.report_rows(job=job)
    rows = list(rows)

    assert total == 3 and header[1:5] == HEADERS
    assert [row[0] for row in rows] == [2, 3, 4]
    assert [row[7] for row in rows] == ["Khách hàng mới", "Bỏ qua: đã nhập trước đây", "Lỗi"]
    assert "#" in rows[1][8] and rows[2][8].startswith("DienThoai")


@pytest.mark.parametrize("streamed", [False, True], ids=["calamine", "streamed"])
def test_a_phone_repeated_batches_apart_is_an_error_on_every_row_in_preview_commit_and_report(
    shop, owner, monkeypatch, streamed
):
    """Also with the file read as a stream, as a sheet too large for calamine is."""
    from core import spreadsheets

    monkeypatch.setattr(spreadsheets, "CALAMINE_MAX_SHEET_BYTES", -1 if streamed else 2**40)
    monkeypatch.setattr(reading, "BATCH_SIZE", 2)
    CustomerFactory(shop=shop, phone="+84912345678", name="Mai")
    rows = [
        ["Mai", "0912345678", "", 100],  # row 2: would add to Mai, but the phone comes again on rows 6 and 7
        ["Lan", "0987654321", "", 200],
        ["Sai", "123", "", 300],
        ["Hoa", "0909000111", "", 400],
        ["Mai 2", "+84 912 345 678", "", 500],
        ["Mai 3", "84912345678", "", 600],
    ]

    job = upload(shop, owner, xlsx(rows))

    assert job.preview == {"new": 2, "error": 4}
    assert list(problems(job)) == [2, 4, 6, 7]
    assert problems(job)[2] == (
        "Số điện thoại này cũng có ở dòng 6, 7 của file; mỗi số điện thoại chỉ được xuất hiện một lần."
    )
    assert problems(job)[7].startswith("Số điện thoại này cũng có ở dòng 2, 6")
    assert [p["cells"][0] for p in job.problems] == ["Mai", "Sai", "Mai 2", "Mai 3"]

    job = confirm_and_run(job, owner)

    assert job.counts == {"new": 2, "error": 4}
    assert Customer.objects.get(phone="+84912345678").opening_revenue == 0
    assert not OpeningBalance.objects.filter(phone="+84912345678").exists()
    _header, _total, report = import_report.report_rows(job=job)
    assert [(row[0], row[7]) for row in report] == [
        (2, "Lỗi"), (3, "Khách hàng mới"), (4, "Lỗi"), (5, "Khách hàng mới"), (6, "Lỗi"), (7, "Lỗi"),
    ]  # fmt: skip


def test_the_problems_shown_are_the_first_ones_in_row_order_even_when_repeats_come_late(shop, owner, monkeypatch):
    monkeypatch.setattr(analysis, "PROBLEMS_SHOWN", 3)
    rows = [["Lặp", "0912345678", "", 1], *[[f"Sai {i}", "1", "", 1] for i in range(5)], ["Lặp", "0912345678", "", 1]]

    job = upload(shop, owner, xlsx(rows))

    assert job.preview == {"error": 7}
    assert list(problems(job)) == [2, 3, 4]


def test_a_file_with_more_rows_than_one_import_takes_is_refused(shop, owner, settings):
    settings.IMPORT_MAX_ROWS = 3

    job = upload(shop, owner, xlsx([[f"Khách {i}", f"090123456{i}", "", 1] for i in range(5)]))

    assert job.status == "refused"
    assert job.error == "File có hơn 3 dòng; mỗi lần nhập nhận tối đa chừng ấy dòng: hãy chia thành nhiều file."
    assert not Customer.objects.exists()


def test_the_import_moves_members_up_as_orders_do_never_down_and_logs_each_move(shop, owner):
    """Tiers are decided in the import's own statements; they must agree with the rule
    orders follow: the spend reached, never lower, and a TierChange for each move."""
    from loyalty.models import TierChange
    from loyalty.tiers import tiers_read

    tiers = {tier.name: tier for tier in tiers_read(shop)}
    member = CustomerFactory(shop=shop, phone="+84382345678", total_spent=4_000_000)
    diamond = CustomerFactory(shop=shop, phone="+84382345679", total_spent=1_000_000)
    members_activate(shop=shop, actor=None, customer_ids=[member.pk, diamond.pk])
    Customer.objects.filter(pk=diamond.pk).update(tier=tiers["Kim cương"])  # e.g. placed by a bigger spend
    content = xlsx(
        [["Mai", "0912345678", "", 25_000_000], ["Nam", "0382345678", "", 1_500_000], ["Lan", "0382345679", "", 10]]
    )

    confirm_and_run(upload(shop, owner, content), owner)

    assert dict(Customer.objects.values_list("phone", "tier__name")) == {
        "+84912345678": "Vàng",  # new: 25M reaches Vàng
        "+84382345678": "Bạc",  # 4M spent + 1.5M imported
        "+84382345679": "Kim cương",  # 1M + 10 ₫ reaches less, but an import never lowers a tier
    }
    moves = {
        (change.customer.phone, getattr(change.from_tier, "name", None), change.to_tier.name, change.reason)
        for change in TierChange.objects.select_related("customer", "from_tier", "to_tier").filter(
            reason="Nhập doanh thu đầu kỳ"
        )
    }
    assert moves == {("+84912345678", None, "Vàng", "Nhập doanh thu đầu kỳ"),
                     ("+84382345678", "Thành viên", "Bạc", "Nhập doanh thu đầu kỳ")}  # fmt: skip


def test_on_the_12_month_basis_the_import_counts_recent_orders_and_the_amount_only(shop, owner):
    import datetime

    from loyalty.models import TierSettings

    TierSettings.objects.update_or_create(shop=shop, defaults={"basis": TierSettings.Basis.LAST_12_MONTHS})
    recent, old = (CustomerFactory(shop=shop, phone=f"+8438234567{n}") for n in (8, 9))
    members_activate(shop=shop, actor=None, customer_ids=[recent.pk, old.pk])
    now = datetime.datetime.now(datetime.UTC)
    for number, (customer, days_ago) in enumerate([(recent, 30), (old, 500)]):
        created = now - datetime.timedelta(days=days_ago)
        OrderFactory(shop=shop, customer=customer, external_id=str(number), total=4_000_000, created_at=created)
    Customer.objects.filter(pk__in=[recent.pk, old.pk]).update(total_spent=4_000_000)

    content = xlsx([["A", "0382345678", "", 1_500_000], ["B", "0382345679", "", 1_500_000]])

    confirm_and_run(upload(shop, owner, content), owner)

    assert dict(Customer.objects.values_list("phone", "tier__name")) == {
        "+84382345678": "Bạc",  # 4M in the last 12 months + 1.5M imported now
        "+84382345679": "Thành viên",  # the 4M order is 500 days old: 1.5M counts
    }


def test_a_customer_a_sync_adds_while_the_batch_runs_gets_the_amount_tier_and_balance(shop, owner, monkeypatch):
    """Between the batch's lock and its insert, a Haravan sync may create the same phone:
    the row then completes that customer, as if they had been there."""
    from loyalty import opening

    reserve = opening.reserve_ids

    def sync_meanwhile(model, count):
        CustomerFactory(shop=shop, phone="+84912345678", name="Từ Haravan", email="")
        return reserve(model, count)

    monkeypatch.setattr(opening, "reserve_ids", sync_meanwhile)

    job = confirm_and_run(upload(shop, owner, xlsx([["Mai", "0912345678", "mai@x.vn", 6_000_000]])), owner)

    assert job.counts == {"existing": 1}
    customer = Customer.objects.get()
    assert (customer.name, customer.email, customer.opening_revenue, customer.tier.name) == (
        "Từ Haravan",
        "mai@x.vn",
        6_000_000,
        "Bạc",
    )
    assert customer.member_since is not None
    assert OpeningBalance.objects.get().customer == customer


def test_tally_finds_repeated_keys_of_any_shape():
    """The analysis keeps phones as ints in flat arrays; a key that is no E.164 phone has
    a number of its own, and a repeat of either is found, each of its rows an error."""
    from imports.analysis import _Tally
    from imports.kinds import ERROR, Outcome, Row, import_kind

    tally = _Tally(import_kind(ImportJob.Kind.OPENING))
    keys = ["+84912345678", "K-1", "+84912345679", "K-1", "+84912345678", "+840123", "+84912345678"]
    rows = [Row(number=index + 2, cells={}, key=key) for index, key in enumerate(keys)]
    tally.add(rows, [Outcome("new") if index % 2 else Outcome("existing") for index in range(len(rows))])
    tally.finish()
    assert tally.repeated == {"+84912345678": [2, 6, 8], "K-1": [3, 5]}
    assert tally.counts == {"new": 1, "existing": 1, ERROR: 5}
    assert tally.total == 7
