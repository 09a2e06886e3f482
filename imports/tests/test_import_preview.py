"""The import preview shows every row as it was read, paged and filtered by outcome, and
flags a matched customer whose name differs, before anything is confirmed."""

import re

import pytest

from imports import rows as import_rows
from imports import services
from imports.models import ImportRow
from loyalty.tests.test_opening_import import confirm_and_run, upload, xlsx
from members.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def rows_of(page: str) -> list[str]:
    """The preview table's rows as text: cells separated by " | "."""
    body = page.split('<table id="import-rows">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr data-row=.*?</tr>", body, re.S)
    return [
        " | ".join(re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
        for row in rows
    ]


def test_every_row_shows_its_phone_normalised_its_amount_parsed_and_what_it_will_do(owner_client, shop, owner):
    CustomerFactory(shop=shop, phone="+84382345678", name="Trần Văn Nam")
    CustomerFactory(shop=shop, phone="+84912000111", name="Lê Thị Hoa")
    job = upload(
        shop,
        owner,
        xlsx(
            [
                ["Mai", "0912 345 678", "", "1.500.000"],
                ["Nam", "0168 234 5678", "", 2_000_000],  # the legacy prefix, matched to Trần Văn Nam
                ["le thi  HOA", "+84 912 000 111", "", "300000"],  # the same name, without marks
                ["Sai", "12345", "", 1],
            ]
        ),
    )

    page = owner_client.get(f"/members/imports/{job.pk}/").content.decode()

    assert rows_of(page) == [
        "2 | Mai | 0912 345 678 |  | 1.500.000 ₫ | Khách hàng mới | ",
        "3 | Nam | 0168 234 5678 → 0382 345 678 |  | 2.000.000 ₫ | Cộng cho khách hàng đã có | "
        "Cộng 2.000.000 ₫ cho khách hàng đã có Trần Văn Nam."
        "Tên khác: khách hàng có số điện thoại này trong cửa hàng là “Trần Văn Nam” và giữ tên đó.",
        "4 | le thi  HOA | +84 912 000 111 → 0912 000 111 |  | 300.000 ₫ | Cộng cho khách hàng đã có | "
        "Cộng 300.000 ₫ cho khách hàng đã có Lê Thị Hoa.",
        "5 | Sai | 12345 |  | 1 | Lỗi | " + ImportRow.objects.get(job=job, number=5).reason,
    ]
    assert "1 dòng có tên khác với khách hàng đã có cùng số điện thoại" in page


def test_the_rows_are_filtered_by_outcome_and_by_a_name_to_check(owner_client, shop, owner):
    CustomerFactory(shop=shop, phone="+84382345678", name="Trần Văn Nam")
    job = upload(shop, owner, xlsx([["Mai", "0912345678", "", 1], ["Nam", "0382345678", "", 2], ["Sai", "1", "", 1]]))

    def shown(query: str) -> list[str]:
        return [
            row.split(" | ")[0]
            for row in rows_of(owner_client.get(f"/members/imports/{job.pk}/?{query}").content.decode())
        ]

    assert shown("") == ["2", "3", "4"]
    assert shown("show=new") == ["2"]
    assert shown("show=existing") == ["3"]
    assert shown("show=error") == ["4"]
    assert shown("show=flagged") == ["3"]
    assert shown("show=nonsense&after=abc") == ["2", "3", "4"]  # an address edited by hand: every row


def test_the_rows_of_a_phone_the_file_repeats_are_errors_on_the_page_too(owner_client, shop, owner):
    job = upload(
        shop,
        owner,
        xlsx([["Mai", "0912345678", "", 1], ["Lan", "0933333333", "", 1], ["Mai 2", "0912 345 678", "", 1]]),
    )

    page = owner_client.get(f"/members/imports/{job.pk}/?show=error").content.decode()

    assert [row.split(" | ")[0] for row in rows_of(page)] == ["2", "4"]
    assert "cũng có ở dòng 4" in page and "cũng có ở dòng 2" in page


def test_a_large_file_is_paged_by_row_and_a_late_page_costs_what_the_first_does(
    owner_client, shop, owner, django_assert_max_num_queries
):
    count = import_rows.PAGE_SIZE * 2 + 7
    job = upload(shop, owner, xlsx([[f"Khách {n}", f"0912{n:06d}", "", 1000] for n in range(count)]))
    url = f"/members/imports/{job.pk}/"

    first = owner_client.get(url).content.decode()
    assert [r.split(" | ")[0] for r in rows_of(first)][:: import_rows.PAGE_SIZE - 1] == [
        "2",
        str(import_rows.PAGE_SIZE + 1),
    ]
    assert f"?after={import_rows.PAGE_SIZE + 1}" in first and 'rel="prev"' not in first
    assert 'id="import-row-jump"' in first  # a row to go to, in a file of several pages

    with django_assert_max_num_queries(9):
        last = owner_client.get(f"{url}?after={import_rows.PAGE_SIZE * 2 + 1}").content.decode()
    assert [r.split(" | ")[0] for r in rows_of(last)] == [
        str(n) for n in range(2 * import_rows.PAGE_SIZE + 2, count + 2)
    ]
    assert 'rel="next"' not in last

    back = owner_client.get(f"{url}?before={import_rows.PAGE_SIZE * 2 + 2}").content.decode()
    assert rows_of(back)[0].startswith(f"{import_rows.PAGE_SIZE + 2} |")
    with django_assert_max_num_queries(9):
        owner_client.get(f"{url}?after=2")


def test_the_preview_rows_go_once_the_import_is_confirmed_or_cancelled(
    shop, owner, django_capture_on_commit_callbacks, monkeypatch
):
    from imports import tasks

    monkeypatch.setattr(tasks.drop_import_rows, "delay", tasks.drop_import_rows)  # the worker, here
    kept = upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]]))
    dropped = upload(shop, owner, xlsx([["Lan", "0933333333", "", 1]]))
    assert ImportRow.objects.filter(job=kept).count() == 1

    confirm_and_run(kept, owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.import_cancel(job=dropped)

    assert not ImportRow.objects.exists()


def test_another_shops_owner_sees_no_row_of_this_preview(client, shop, owner, other_shop):
    from shops.tests.factories import OwnerFactory

    job = upload(shop, owner, xlsx([["Mai", "0912345678", "", 1]]))
    client.force_login(OwnerFactory(shop=other_shop, username="chu.senvang"))

    assert client.get(f"/members/imports/{job.pk}/").status_code == 404
