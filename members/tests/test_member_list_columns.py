"""The member list and its export show each customer's points and tier, and the list sorts
by points; the page costs the same number of queries however many rows it shows."""

import re

from core.tests.spreadsheets import xlsx_rows
from loyalty.tiers import tiers_read
from members.tests.factories import CustomerFactory
from shops.exports import export_run
from shops.models import ExportJob


def _rows(html: str) -> list[list[str]]:
    """The member table's body rows, as the text of their cells."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_the_list_shows_points_and_tier_and_sorts_by_points(staff_client, shop):
    bronze, silver = tiers_read(shop)[:2]
    CustomerFactory(shop=shop, name="Ít Điểm", points_balance=20, tier=bronze)
    CustomerFactory(shop=shop, name="Nhiều Điểm", points_balance=12_500, tier=silver)
    CustomerFactory(shop=shop, name="Chưa Hạng", points_balance=0)

    html = staff_client.get("/members/", {"sort": "-points"}).content.decode()

    assert ">Điểm" in html and ">Hạng<" in html
    rows = _rows(html)
    assert [(row[0], row[-2], row[-1]) for row in rows] == [
        ("Nhiều Điểm", "12.500", silver.name),
        ("Ít Điểm", "20", bronze.name),
        ("Chưa Hạng", "0", "—"),
    ]
    ascending = _rows(staff_client.get("/members/", {"sort": "points"}).content.decode())
    assert [row[0] for row in ascending] == ["Chưa Hạng", "Ít Điểm", "Nhiều Điểm"]


def test_the_list_costs_the_same_queries_for_5_or_55_members_with_tiers(
    staff_client, shop, django_assert_max_num_queries
):
    tiers = tiers_read(shop)

    def queries_for(count):
        for index in range(count):
            CustomerFactory(shop=shop, points_balance=index, tier=tiers[index % len(tiers)])
        with django_assert_max_num_queries(12) as captured:
            response = staff_client.get("/members/", {"sort": "-points"})
        assert response.status_code == 200
        return len(captured)

    assert queries_for(5) == queries_for(50)


def test_the_export_has_points_and_tier(staff_client, shop):
    gold = tiers_read(shop)[2]
    CustomerFactory(shop=shop, name="Vàng Anh", points_balance=3_210, tier=gold)
    CustomerFactory(shop=shop, name="Chưa Hạng", points_balance=0)

    staff_client.post("/members/export/", {"sort": "name"})
    job = ExportJob.objects.get(kind="members")
    export_run(job_id=job.pk)
    download = staff_client.get(f"/exports/{job.pk}/download/")

    rows = xlsx_rows(download.getvalue())
    assert rows[0][-2:] == ("Điểm", "Hạng")
    assert [row[-2:] for row in rows[1:]] == [(0, None), (3_210, gold.name)]
