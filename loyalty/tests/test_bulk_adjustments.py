from core.tests.spreadsheets import xlsx_bytes, xlsx_sheet
from imports import analysis, services
from imports import report as import_report
from loyalty.membership import members_activate
from loyalty.models import PointEntry
from loyalty.services import points_balance_mismatches
from loyalty.tests.factories import PointEntryFactory
from members.models import Customer
from members.tests.factories import CustomerFactory

HEADERS = ["SoDienThoai", "NoiDungDieuChinh", "DiemDieuChinh"]


def run(shop, owner, rows):
    job = services.import_upload(
        shop=shop, actor=owner, ip=None, kind="points", name="diem.xlsx", content=xlsx_bytes(rows, headers=HEADERS)
    )
    analysis.import_analyse(job_id=job.pk)
    job.refresh_from_db()
    preview = (dict(job.preview), {p["row"]: p["reason"] for p in job.problems})
    services.import_confirm(job=job, actor=owner, ip=None)
    services.import_run(job_id=job.pk)
    job.refresh_from_db()
    return job, preview


def member(shop, phone, name, points=0):
    customer = CustomerFactory(shop=shop, phone=phone, name=name)
    members_activate(shop=shop, actor=None, customer_ids=[customer.pk])
    if points:
        PointEntryFactory(shop=shop, customer=customer, points=points, source_id="x", key=phone)
        Customer.objects.filter(pk=customer.pk).update(points_balance=points)
    return customer


def test_the_template_has_the_three_headers_and_an_example(owner_client):
    response = owner_client.get("/settings/loyalty/adjustments/template.xlsx")

    sheet = xlsx_sheet(response.content)
    assert [cell.value for cell in sheet[1]] == HEADERS
    assert sheet["A2"].value == "0912345678" and sheet["A2"].number_format == "@"


def test_rows_add_and_take_points_with_their_reason_and_refuse_what_cannot_be(shop, owner):
    mai = member(shop, "+84912345678", "Mai", points=30)
    nam = member(shop, "+84382345678", "Nam")
    CustomerFactory(shop=shop, phone="+84987654321", name="Chưa là thành viên")

    job, (preview, reasons) = run(
        shop,
        owner,
        [
            ["0912 345 678", "Tặng điểm tri ân", 50],
            ["0912345678", "Đổi quà", "-70"],
            ["0382345678", "Trừ nhầm", -1],  # Nam has 0
            ["0987654321", "Tặng", 10],  # not a member
            ["0909999999", "Tặng", 10],  # nobody
            ["0382345678", "", 10],  # no reason
            ["0382345678", "Tặng", "mười"],
        ],
    )

    assert preview == {"adjusted": 2, "error": 5}
    assert "0" in reasons[4] and "Nam" in reasons[4]
    assert job.counts == {"adjusted": 2, "error": 5}
    mai.refresh_from_db()
    nam.refresh_from_db()
    assert (mai.points_balance, nam.points_balance) == (10, 0)
    lines = PointEntry.objects.filter(source="import").order_by("key")
    assert [(line.points, line.reason, line.actor) for line in lines] == [
        (50, "Tặng điểm tri ân", owner),
        (-70, "Đổi quà", owner),
    ]
    assert points_balance_mismatches(shop=shop) == []


def test_a_batch_applied_twice_adjusts_once(shop, owner):
    mai = member(shop, "+84912345678", "Mai")
    job, _preview = run(shop, owner, [["0912345678", "Tặng", 50]])

    services.import_resume(job=job)  # a done job is not taken again
    services.import_run(job_id=job.pk)

    mai.refresh_from_db()
    assert mai.points_balance == 50 and PointEntry.objects.filter(source="import").count() == 1


def test_the_report_gives_every_row_its_outcome(shop, owner):
    member(shop, "+84912345678", "Mai")
    job, _preview = run(shop, owner, [["0912345678", "Tặng", 50], ["0912345678", "Đổi quà", -80]])

    _header, _total, rows = import_report.report_rows(job=job)

    outcomes = [(row[0], row[6], bool(row[7])) for row in rows]
    assert outcomes == [(2, "Đã điều chỉnh", False), (3, "Lỗi", True)]
