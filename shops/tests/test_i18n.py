import ast
import gettext
import re
from pathlib import Path

from django.conf import settings

from shops.models import ActivityEntry, ActivityKind


def test_the_shell_shows_the_guides_menu_in_vietnamese(owner_client):
    page = owner_client.get("/overview/").content.decode()

    for label in (
        "Cấu hình hệ thống",
        "Nhật ký hoạt động",
        "Tích điểm và hạng (Loyalty)",  # Vietnamese first, with the term owners search for
        "Tin nhắn",
        "Tổng quan",
        "Hồ sơ thành viên",
        "Nhóm khách hàng",
        "Chiến dịch",
    ):
        assert label in page
    assert "Tổng số thành viên" in page  # the overview itself
    campaigns = owner_client.get("/campaigns/").content.decode()
    assert "Chiến dịch mới" in campaigns and "Cấu hình chiến dịch" in campaigns


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
    # A msgid on one line or several, whose msgstr is empty (the header's is not: lines follow).
    untranslated = re.findall(r'\nmsgid ((?:".*"\n)+)msgstr ""\n(?:\n|$)', text)
    untranslated += re.findall(r'\nmsgid_plural ((?:".*"\n)+)msgstr\[0\] ""\n(?:\n|$)', text)
    fuzzy = re.findall(r"#, fuzzy\nmsgid \"(.+)\"", text)

    assert untranslated == []
    assert fuzzy == []


def _po_entries(text: str) -> dict[str, str]:
    """msgid -> msgstr (the first form of a plural) from a .po file's text."""
    entries, current, field = {}, {}, None
    for line in [*text.splitlines(), ""]:
        if not line.strip():
            if current.get("msgid"):
                entries[current["msgid"]] = current.get("msgstr", "")
            current, field = {}, None
        elif line.startswith("#"):
            continue
        elif line.startswith(("msgid ", "msgstr ", "msgstr[0] ")):
            field = line.split(" ", 1)[0].replace("[0]", "")
            current[field] = ast.literal_eval(line.split(" ", 1)[1])
        elif line.startswith('"') and field:
            current[field] += ast.literal_eval(line)
        else:  # msgid_plural, msgstr[n>0]
            field = None
    return entries


def test_the_compiled_catalogue_matches_its_source():
    folder = Path(settings.BASE_DIR) / "locale" / "vi" / "LC_MESSAGES"
    source = _po_entries((folder / "django.po").read_text(encoding="utf-8"))
    with open(folder / "django.mo", "rb") as compiled_file:
        compiled = gettext.GNUTranslations(compiled_file)

    stale = {msgid: text for msgid, text in source.items() if compiled.gettext(msgid) != text}

    assert len(source) > 100
    assert stale == {}
