import re
from pathlib import Path

from django.conf import settings

from shops.models import ActivityEntry, ActivityKind


def test_the_shell_shows_the_guides_menu_in_vietnamese(owner_client):
    page = owner_client.get("/overview/").content.decode()

    for label in (
        "Cấu hình hệ thống",
        "Nhật ký hoạt động",
        "Loyalty",
        "Tin nhắn",
        "Tổng quan",
        "Hồ sơ thành viên",
        "Nhóm khách hàng",
        "Chiến dịch",
    ):
        assert label in page
    assert "Trang này chưa được xây dựng" in page


def test_a_user_switches_to_english_and_it_stays_with_them(owner_client, owner, client):
    response = owner_client.post("/account/language/", {"language": "en", "next": "/settings/activity/"})

    assert response["Location"] == "/settings/activity/"
    page = owner_client.get("/overview/").content.decode()
    assert "Member profiles" in page and "Hồ sơ thành viên" not in page
    owner.refresh_from_db()
    assert owner.language == "en"
    entry = ActivityEntry.objects.get(kind=ActivityKind.LANGUAGE_CHANGED)
    assert (entry.before, entry.after) == ({"language": "vi"}, {"language": "en"})

    # Another browser, same person: English follows the account, not the cookie.
    client.cookies.clear()
    client.force_login(owner)
    assert "Member profiles" in client.get("/overview/").content.decode()


def test_a_visitor_may_read_the_login_page_in_english(client, db):
    client.post("/account/language/", {"language": "en", "next": "/login/"})

    assert "Log in to Loyalty" in client.get("/login/").content.decode()


def test_every_message_has_a_vietnamese_translation():
    catalogue = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES" / "django.po"
    text = catalogue.read_text(encoding="utf-8")
    untranslated = re.findall(r'\nmsgid "(.+)"\nmsgstr ""\n\n', text)
    fuzzy = re.findall(r"#, fuzzy\nmsgid \"(.+)\"", text)

    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_is_up_to_date():
    folder = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"

    assert (folder / "django.mo").stat().st_mtime >= (folder / "django.po").stat().st_mtime - 1
