"""Every page a newcomer can reach, on the shop `make run` builds and on a brand-new empty one:
log in as the owner and as staff, open every page the menu links to and every page those
pages link to (members, groups, imports, exports, activity, their details, sorts, filters and
pages), and see each answer 200, or 403 where the role forbids it; never an error.

Hand-made fixtures miss what the demo shows (the member page that crashed for every demo
member had passed every test), so this walks the real set-up's data."""

import html
import io
import re
from collections import Counter
from urllib.parse import parse_qsl, urljoin, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from core.formatting import format_int
from core.tests.spreadsheets import xlsx_bytes
from imports import analysis, services
from imports.models import ImportJob
from loyalty.services import shop_open
from members.models import Customer, CustomerGroup
from messaging.models import Message
from portal.tests.delivery import deliver_at_once
from shops.exports import export_run
from shops.models import ExportJob, Shop, User
from shops.tests.factories import TEST_PASSWORD, UserFactory

# Links that act rather than show, or that leave the product's pages.
NOT_PAGES = ("/logout/", "/account/language/", "/static/", "/admin/", "/unsubscribe/", "/webhooks/")
# The same list with other parameters (sorts, filters, pages): a few of each are enough.
# Every detail page those lists link to is opened.
PER_SHAPE = 3
EVERY_KIND_OF_PAGE = (
    "/members/N/", "/members/groups/", "/members/imports/N/", "/exports/N/", "/settings/activity/N/",
    "/settings/loyalty/tiers/", "/settings/messaging/", "/settings/haravan/", "/settings/shop/",
    "/campaigns/N/", "/campaigns/new/", "/campaigns/N/preview/", "/campaigns/settings/",
    "/settings/loyalty/rewards/",
)  # fmt: skip
HREF = re.compile(r'href="([^"#]+)')


def _shape(url: str) -> tuple:
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path), tuple(sorted({key for key, _value in parse_qsl(parts.query)}))


def crawl(client, starts: list[str], known: dict[str, int] | None = None) -> dict[str, int]:
    """Open the ``starts`` and every same-site page they lead to, but those ``known``
    already; {url: status}. A page that raises fails the test with its traceback (the test
    client re-raises it)."""
    statuses: dict[str, int] = dict(known or {})
    queue, shapes = list(starts), Counter()
    while queue:
        url = queue.pop(0)
        response = client.get(url)
        statuses[url] = response.status_code
        if response.status_code in (301, 302):
            queue.append(urljoin(url, response["Location"]))
            continue
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in HREF.findall(response.content.decode()):
            target = urljoin(url, html.unescape(href))
            parts = urlsplit(target)
            if parts.scheme not in ("", "http") or parts.netloc not in ("", "testserver"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in statuses or target in queue or target.startswith(NOT_PAGES):
                continue
            if parts.query and shapes[_shape(target)] >= PER_SHAPE:
                continue
            shapes[_shape(target)] += 1
            queue.append(target)
    return statuses


def _opening_file() -> bytes:
    return xlsx_bytes([["Nguyễn Thị Mai", "0168 234 5678", "mai@example.vn", "1.500.000"], ["Số sai", "123", "", "1"]],
                      headers=["HoTen", "DienThoai", "Email", "DTDauKy"])  # fmt: skip


def _upload(client, url: str, name: str, content: bytes) -> str:
    """Upload a file, let the worker read it, and return the job's page."""
    response = client.post(url, {"file": SimpleUploadedFile(name, content)})
    analysis.import_analyse(job_id=ImportJob.objects.latest("pk").pk)  # the worker
    return response["Location"]


def _a_day_of_work(client) -> list[str]:
    """What the owner does on the first day, so that every kind of import and export, in
    each state, has its page: an opening import applied with its report, one left at its
    preview, one cancelled, a file refused, a bulk point adjustment and a group's phone
    list waiting for their confirmation, an activity-log export. Returns the pages each led
    to (no list links exports)."""
    done = _upload(client, "/members/opening-balances/", "dau-ky.xlsx", _opening_file())
    waiting = _upload(client, "/members/opening-balances/", "dau-ky-2.xlsx", _opening_file())
    cancelled = _upload(client, "/members/opening-balances/", "dau-ky-3.xlsx", _opening_file())
    refused = _upload(client, "/members/opening-balances/", "hong.xlsx", b"not a spreadsheet")
    adjustments = xlsx_bytes([["0912345678", "Quà", 50]], headers=["SoDienThoai", "NoiDungDieuChinh", "DiemDieuChinh"])
    points = _upload(client, "/settings/loyalty/adjustments/", "diem.xlsx", adjustments)
    client.post("/members/groups/", {"name": "Hội chợ tháng 12", "kind": "static"})
    group = CustomerGroup.objects.latest("pk")
    phones = _upload(
        client, f"/members/groups/{group.pk}/upload/", "ds.xlsx", xlsx_bytes([["0912345678"]], headers=["DienThoai"])
    )
    job_id = int(done.strip("/").split("/")[-1])
    client.post(f"/members/imports/{job_id}/confirm/")
    services.import_run(job_id=job_id)
    client.post(f"{cancelled}cancel/")
    # A campaign written as a draft: its page, preview and confirmation.
    campaign = client.post("/campaigns/new/", {
        "name": "Chào tháng 12", "kind": "notice", "audience": "all", "send_email": "on",
        "email_subject": "Chào {ten|bạn}", "email_body": "Cửa hàng {ten_shop} có hàng mới.",
        "holdout_percent": "0", "send_now": "1", "next": "confirm",
    })  # fmt: skip
    assert campaign.status_code == 302, campaign.context["form"].errors
    led_to = [done, waiting, cancelled, refused, points, phones, campaign["Location"]]
    for post in (f"{done}report/", "/settings/activity/export/"):
        response = client.post(post, {})
        export_run(job_id=ExportJob.objects.latest("pk").pk)  # the worker
        led_to.append(response["Location"])
    states = set(ImportJob.objects.values_list("kind", "status"))
    assert {("opening", "done"), ("opening", "ready"), ("opening", "cancelled"), ("opening", "refused"),
            ("points", "ready"), ("phones", "ready")} <= states  # fmt: skip
    return led_to


def _check(owner, staff, client, also: tuple | list = ()) -> None:
    client.force_login(owner)
    as_owner = crawl(client, ["/overview/", *also, *_a_day_of_work(client)])
    assert {url: status for url, status in as_owner.items() if status not in (200, 302)} == {}
    shapes = {_shape(url)[0] for url in as_owner}
    for page in EVERY_KIND_OF_PAGE:
        assert page in shapes, f"the crawl never reached {page}"

    client.force_login(staff)
    # Every page the owner reached, opened by staff: theirs, or refused as the owner's; then
    # whatever else staff's own pages lead to.
    as_staff = {url: client.get(url).status_code for url in as_owner}
    as_staff = crawl(client, ["/overview/"], known=as_staff)
    assert {url: status for url, status in as_staff.items() if status not in (200, 302, 403)} == {}
    assert as_staff["/settings/shop/"] == 403 and as_staff["/settings/activity/"] == 403
    assert as_staff["/members/"] == 200 and as_staff["/members/groups/"] == 200
    # The owner's exports (the activity log, an import's report) are the owner's, page and file.
    exports = {url: status for url, status in as_staff.items() if url.startswith("/exports/")}
    assert len(exports) == 4 and set(exports.values()) == {403}


@pytest.mark.django_db
def test_every_page_of_the_shop_make_run_builds_answers(client, settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    deliver_at_once(monkeypatch)  # the sign-in code's message, read below
    call_command("demo_setup", stdout=io.StringIO())  # what `make run` runs, with its 300 customers
    shop = Shop.objects.get()
    owner = User.objects.get(shop=shop, role=User.Role.OWNER)
    staff = UserFactory(shop=shop, username="nv.demo")
    # And one member as a database from before every member had a tier holds them: no page
    # may fail on a member without a tier.
    unplaced = Customer.objects.for_shop(shop).filter(member_since__isnull=False).last()
    Customer.objects.filter(pk=unplaced.pk).update(tier=None)

    _check(owner, staff, client, also=[f"/members/{unplaced.pk}/"])
    client.force_login(owner)
    assert "/settings/loyalty/rewards/N/" in {_shape(url)[0] for url in crawl(client, ["/settings/loyalty/rewards/"])}
    _member_page(client, shop)


def _member_page(client, shop: Shop) -> None:
    """The member's own page, as the demo's best customer sees it: the phone, the code from
    the outbox (the demo sends no SMS), their page and everything it links to."""
    client.logout()
    member = Customer.objects.for_shop(shop).filter(member_since__isnull=False).order_by("-points_balance").first()
    home = f"/m/{shop.slug}/"
    assert client.get(home).status_code == 200
    client.post(home, {"phone": member.phone})
    body = Message.objects.filter(customer=member, source__startswith="sign-in:").latest("pk").body
    assert client.post(f"{home}code/", {"code": re.search(r"\b(\d{6})\b", body)[1]}).status_code == 302
    page = client.get(home)
    assert page.status_code == 200 and f'id="member-points">{format_int(member.points_balance)}<' in page.text
    statuses = crawl(client, [home])
    assert {url: status for url, status in statuses.items() if status != 200} == {}


@pytest.mark.django_db
def test_every_page_of_a_new_empty_shop_answers(client):
    shop = shop_open(name="Cửa hàng mới", owner_username="chu.moi", owner_password=TEST_PASSWORD)
    owner = User.objects.get(shop=shop)
    staff = UserFactory(shop=shop, username="nv.moi")

    _check(owner, staff, client)
