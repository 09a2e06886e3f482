"""What the owner reads on the Haravan page before anything is connected."""

import re

from haravan.models import HaravanConnection


def test_without_a_token_the_disabled_buttons_say_why(owner_client):
    page = owner_client.get("/settings/haravan/").content.decode()

    assert page.count(" disabled aria-describedby=") == 2
    assert "Hãy lưu mã truy cập (access token) ở dưới trước" in page
    assert "Việc đồng bộ bắt đầu được khi đã lưu mã truy cập (access token) ở trên." in page


def test_with_a_token_the_buttons_work_and_say_nothing_more(owner_client, shop):
    HaravanConnection.objects.create(shop=shop, access_token="tok")

    page = owner_client.get("/settings/haravan/").content.decode()

    assert " disabled" not in page and "needs-token" not in page


def test_a_webhook_address_on_this_machine_comes_with_what_to_set(owner_client, settings):
    settings.SITE_URL = "http://127.0.0.1:8000"

    page = owner_client.get("/settings/haravan/").content.decode()

    assert "http://127.0.0.1:8000/webhooks/haravan/" in page
    assert "Haravan không gọi tới được địa chỉ này." in page
    assert "SITE_URL" in page


def test_a_public_webhook_address_has_no_warning(owner_client, settings):
    settings.SITE_URL = "https://loyalty.hoamai.vn"

    page = owner_client.get("/settings/haravan/").content.decode()

    assert "https://loyalty.hoamai.vn/webhooks/haravan/" in page
    assert 'id="webhook-unreachable"' not in page


def test_the_page_writes_nothing_and_shows_the_webhook_address_its_first_save_keeps(owner_client, shop, settings):
    settings.SITE_URL = "https://loyalty.hoamai.vn"
    address = re.compile(r"https://loyalty\.hoamai\.vn/webhooks/haravan/([^/<]+)/")

    pages = [owner_client.get("/settings/haravan/").content.decode() for _ in range(2)]

    assert not HaravanConnection.objects.exists()
    keys = [address.search(page).group(1) for page in pages]
    assert keys[0] == keys[1]
    owner_client.post("/settings/haravan/", {"store_name": "hoamai", "client_id": "", "access_token": "tok"})
    saved = HaravanConnection.objects.get(shop=shop)
    assert saved.webhook_key == keys[0]
    assert saved.webhook_verify_token in pages[0]
    webhook = owner_client.post(f"/webhooks/haravan/{keys[0]}/", data=b"{}", content_type="application/json")
    assert webhook.status_code == 401  # the address is the shop's: only the signature is missing
