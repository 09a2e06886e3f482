import datetime
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.tests.spreadsheets import xlsx_rows
from loyalty.membership import members_activate, members_activate_filtered
from members.models import Customer
from members.tests.factories import CustomerFactory
from shops.exports import export_run
from shops.models import ActivityEntry, ActivityKind, ExportJob

HCM = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def people(shop):
    return {
        "a": CustomerFactory(shop=shop, name="Nguyễn Văn A", phone="+84382345678", email="vana@example.vn",
                             total_spent=5_000_000, birthday=datetime.date(1990, 3, 8),
                             member_since=datetime.datetime(2026, 1, 5, tzinfo=HCM),
                             last_order_at=datetime.datetime(2026, 11, 1, 10, tzinfo=HCM)),
        "b": CustomerFactory(shop=shop, name="Trần Thị Bình", phone="+84912345678", total_spent=300_000,
                             birthday=datetime.date(1995, 7, 1),
                             last_order_at=datetime.datetime(2026, 6, 1, 10, tzinfo=HCM)),
        "c": CustomerFactory(shop=shop, name="Lê Văn Cường", phone="+84987654321", email="cuong@example.vn"),
    }  # fmt: skip


def names(response):
    page = response.content.decode()
    return [name for name in ("Nguyễn Văn A", "Trần Thị Bình", "Lê Văn Cường") if name in page]


@pytest.mark.parametrize("typed", ["0168 234 5678", "01682345678", "038.234.5678", "+84 382 345 678", "382345678"])
def test_search_by_a_phone_in_any_form_finds_the_member(staff_client, people, typed):
    assert names(staff_client.get("/members/", {"q": typed})) == ["Nguyễn Văn A"]


@pytest.mark.parametrize("typed", ["nguyen van a", "Nguyễn Văn", "NGUYEN", "van a"])
def test_search_by_name_with_or_without_marks(staff_client, people, typed):
    assert names(staff_client.get("/members/", {"q": typed})) == ["Nguyễn Văn A"]


def test_search_by_email_and_by_part_of_a_number(staff_client, people):
    assert names(staff_client.get("/members/", {"q": "CUONG@example"})) == ["Lê Văn Cường"]
    assert names(staff_client.get("/members/", {"q": "345678"})) == ["Nguyễn Văn A", "Trần Thị Bình"]


def test_filters_combine(staff_client, people):
    assert names(staff_client.get("/members/", {"member": "yes"})) == ["Nguyễn Văn A"]
    assert names(staff_client.get("/members/", {"member": "no", "has_email": "yes"})) == ["Lê Văn Cường"]
    assert names(staff_client.get("/members/", {"birthday_month": "7"})) == ["Trần Thị Bình"]
    assert names(staff_client.get("/members/", {"spent_min": "1000000"})) == ["Nguyễn Văn A"]
    assert names(staff_client.get("/members/", {"last_order_before": "01/06/2026"})) == ["Trần Thị Bình"]
    assert names(staff_client.get("/members/", {"last_order_after": "02/06/2026"})) == ["Nguyễn Văn A"]


def test_a_reversed_spend_range_says_what_to_fix(staff_client, people):
    response = staff_client.get("/members/", {"spent_min": "5", "spent_max": "1"})

    assert "Mức chi tiêu thấp nhất đang cao hơn mức cao nhất" in response.content.decode()


def test_sorting_by_spend_both_ways(staff_client, people):
    ascending = staff_client.get("/members/", {"sort": "spent"}).content.decode()
    descending = staff_client.get("/members/", {"sort": "-spent"}).content.decode()

    assert ascending.index("Lê Văn Cường") < ascending.index("Trần Thị Bình") < ascending.index("Nguyễn Văn A")
    assert descending.index("Nguyễn Văn A") < descending.index("Trần Thị Bình") < descending.index("Lê Văn Cường")


def test_the_list_runs_the_same_queries_for_5_or_60_customers(staff_client, shop):
    def queries_for(count):
        CustomerFactory.create_batch(count, shop=shop)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get("/members/", {"member": "no"}).status_code == 200
        return len(captured)

    assert queries_for(5) == queries_for(55)


def test_another_shops_customers_are_not_listed_and_their_pages_answer_404(staff_client, people, other_shop):
    stranger = CustomerFactory(shop=other_shop, name="Người Lạ", phone="+84382345678")

    assert "Người Lạ" not in staff_client.get("/members/", {"q": "0382345678"}).content.decode()
    assert staff_client.get(f"/members/{stranger.pk}/").status_code == 404
    assert staff_client.post(f"/members/{stranger.pk}/activate/").status_code == 404


def test_the_filtered_list_exports_to_a_spreadsheet(staff_client, staff, people):
    response = staff_client.post("/members/export/", {"has_email": "yes", "sort": "name"})

    job = ExportJob.objects.get(kind="members")
    assert response["Location"] == f"/exports/{job.pk}/"
    export_run(job_id=job.pk)
    download = staff_client.get(f"/exports/{job.pk}/download/")
    rows = xlsx_rows(download.getvalue())
    assert rows[0][:3] == ("Họ tên", "Số điện thoại", "Email")
    assert [row[:2] for row in rows[1:]] == [("Lê Văn Cường", "0987 654 321"), ("Nguyễn Văn A", "0382 345 678")]
    assert rows[2][8] == 5_000_000


def test_staff_activate_one_customer_and_it_is_logged(staff_client, staff, people):
    customer = people["b"]

    response = staff_client.post(f"/members/{customer.pk}/activate/", follow=True)

    assert "1 khách hàng đã trở thành thành viên" in response.content.decode()
    customer.refresh_from_db()
    assert customer.member_since is not None
    entry = ActivityEntry.objects.get(kind=ActivityKind.MEMBER_ACTIVATED)
    assert (entry.actor, entry.target_id) == (staff, str(customer.pk))
    assert "Trần Thị Bình đã trở thành thành viên" in response.content.decode()  # on the member's page


def test_activating_a_filtered_list_activates_each_once(shop, staff, people):
    first = members_activate_filtered(shop=shop, actor=staff, params={"has_email": "yes"}, ip=None)
    again = members_activate_filtered(shop=shop, actor=staff, params={"has_email": "yes"}, ip=None)

    assert (first, again) == (1, 0)  # A already was a member; C becomes one; nobody twice
    assert Customer.objects.filter(shop=shop, member_since__isnull=False).count() == 2
    assert ActivityEntry.objects.filter(kind=ActivityKind.MEMBER_ACTIVATED).count() == 1


def test_the_activate_all_button_hands_the_work_to_a_worker(staff_client, people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = staff_client.post("/members/activate/", {"member": "no"}, follow=True)

    assert len(callbacks) == 1
    assert "đang được kích hoạt thành viên ở chế độ nền" in response.content.decode()


def test_editing_a_phone_normalises_it_and_keeps_it_unique(staff_client, people):
    customer = people["c"]
    form = {"name": "Lê Văn Cường", "phone": "0168 111 2222", "email": "cuong@example.vn", "gender": "",
            "accepts_email": "on", "accepts_sms": "on"}  # fmt: skip

    staff_client.post(f"/members/{customer.pk}/", form)
    clash = staff_client.post(f"/members/{customer.pk}/", {**form, "phone": "0912 345 678"})

    customer.refresh_from_db()
    assert customer.phone == "+84381112222"
    assert "Một khách hàng khác đã dùng số điện thoại này" in clash.content.decode()
    entry = ActivityEntry.objects.get(kind=ActivityKind.CUSTOMER_CHANGED)
    assert (entry.before["phone"], entry.after["phone"]) == ("+84987654321", "+84381112222")


def test_a_bad_phone_is_refused_with_the_reason(staff_client, people):
    customer = people["c"]

    response = staff_client.post(f"/members/{customer.pk}/", {"name": "x", "phone": "12345"})

    assert "không phải số điện thoại hợp lệ" in response.content.decode()
    customer.refresh_from_db()
    assert customer.phone == "+84987654321"


def test_members_activate_skips_members_and_logs_each(shop, owner):
    customers = CustomerFactory.create_batch(3, shop=shop)
    customers[0].member_since = datetime.datetime(2025, 1, 1, tzinfo=HCM)
    customers[0].save()

    assert members_activate(shop=shop, actor=owner, customer_ids=[c.pk for c in customers]) == 2
    assert ActivityEntry.objects.filter(kind=ActivityKind.MEMBER_ACTIVATED).count() == 2


def test_a_date_filter_survives_the_trip_through_a_job(shop, staff, people):
    from members.selectors import CustomerFilters, customer_filter

    stored = CustomerFilters.from_params(
        {"last_order_after": datetime.date(2026, 6, 2), "spent_min": 1, "birthday_month": 3}
    ).to_params()  # what an export job or a rule group keeps, as JSON

    assert stored == {"last_order_after": "2026-06-02", "spent_min": 1, "birthday_month": 3}
    found = customer_filter(shop=shop, filters=CustomerFilters.from_params(stored))
    assert [c.name for c in found] == ["Nguyễn Văn A"]


def test_a_search_is_run_once_and_paged_in_the_lists_order(staff_client, shop, monkeypatch):
    """A text search finds its ids once; the page is sorted from them (when they are few)
    in the list's order, never-ordered last, with the same count and query count however
    many match, and the same page as the full list's order gives when they are many."""
    from members import selectors, views

    monkeypatch.setattr(views, "PAGE_SIZE", 5)
    ordered = [
        CustomerFactory(shop=shop, name=f"Phạm Thu {index}",
                        last_order_at=datetime.datetime(2026, 1, 1 + index, tzinfo=HCM) if index % 3 else None)
        for index in range(12)
    ]  # fmt: skip
    CustomerFactory(shop=shop, name="Đỗ Minh")
    expected = sorted((c for c in ordered if c.last_order_at), key=lambda c: c.last_order_at, reverse=True)
    expected += sorted((c for c in ordered if not c.last_order_at), key=lambda c: c.pk, reverse=True)

    def page(**params):
        with CaptureQueriesContext(connection) as captured:
            response = staff_client.get("/members/", {"q": "pham thu", **params})
        assert response.status_code == 200
        searches.append(sum("%pham thu%" in str(query["sql"]) for query in captured))
        return (
            [c.pk for c in response.context["page"].object_list],
            response.context["page"].paginator.count,
            len(captured),
        )

    searches = []
    first, count, queries = page()
    assert count == 12
    assert searches == [1]  # the text search ran once, not once for the count and again for the page
    second, _count, _queries = page(page=2)
    assert first + second == [c.pk for c in expected][: len(first) + len(second)]
    monkeypatch.setattr(selectors, "FEW_MATCHES", 3)  # "many": the search pages through the full list's order
    many_first, many_count, many_queries = page()
    assert (many_first, many_count, many_queries) == (first, count, queries)
