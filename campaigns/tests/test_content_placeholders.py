import html

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from campaigns.content import PLACEHOLDERS, content_missing_reason, content_render, placeholders_check

ALL = " ".join(f"{{{name}}}" for name in PLACEHOLDERS)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("typed", "nearest"),
    [
        ("tn", "ten"),
        ("diemm", "diem"),
        ("ma_uudai", "ma_uu_dai"),
        ("tên", "ten"),
        ("hạng", "hang"),
        ("ho ten", "ho_ten"),
        ("name", "ten"),
        ("code", "ma_uu_dai"),
        ("unsubscribe", "link_huy"),
    ],
)
def test_an_unknown_placeholder_is_refused_with_the_nearest_name(typed, nearest):
    problems = placeholders_check(f"Chào {{{typed}}}!", channel="email", with_offer=True)

    assert problems == [f"{{{typed}}} is not a placeholder: did you mean {{{nearest}}}?"]


def test_a_placeholder_like_none_is_refused_with_the_list():
    problems = placeholders_check("Chào {xyzzy}", channel="email", with_offer=True)

    assert problems == [
        "{xyzzy} is not a placeholder. The placeholders are: {ten}, {ho_ten}, {diem}, {hang}, {ten_shop}, "
        "{ma_uu_dai}, {gia_tri}, {han_dung}, {uu_dai_hang}, {diem_sap_het}, {han_diem}, {link_huy}."
    ]


def test_every_placeholder_is_allowed_in_an_email_with_an_offer_with_or_without_fallbacks():
    assert placeholders_check(ALL, channel="email", with_offer=True, kind="points_expiring") == []
    with_fallbacks = " ".join(f"{{{name}|x}}" for name in PLACEHOLDERS)
    assert placeholders_check(with_fallbacks, channel="email", with_offer=True, kind="points_expiring") == []


def test_the_name_is_read_without_regard_to_case_or_spaces():
    assert placeholders_check("Chào { Ten |bạn}", channel="sms", with_offer=False) == []
    assert content_render("Chào { Ten |bạn}", values={"ten": "Lan"}, escape_html=False).text == "Chào Lan"


def test_offer_placeholders_need_an_offer():
    text = "Mã {ma_uu_dai} giảm {gia_tri} đến {han_dung}"

    assert placeholders_check(text, channel="email", with_offer=True) == []
    assert placeholders_check(text, channel="sms", with_offer=False) == [
        "{ma_uu_dai} is an offer's: this campaign has no offer.",
        "{gia_tri} is an offer's: this campaign has no offer.",
        "{han_dung} is an offer's: this campaign has no offer.",
    ]


def test_the_unsubscribe_link_belongs_in_emails_not_in_sms():
    assert placeholders_check("Hủy: {link_huy}", channel="email", with_offer=False) == []
    (problem,) = placeholders_check("Hủy: {link_huy}", channel="sms", with_offer=False)
    assert problem.startswith("{link_huy} belongs in emails")


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Chào {ten, hẹn gặp lại", "A “{” is not closed by a “}”, near “Chào {ten, hẹn gặp lại”."),
        (
            "Cảm ơn bạn đã mua hàng, chào {ten, hẹn gặp lại bạn ở cửa hàng",
            "A “{” is not closed by a “}”, near “đã mua hàng, chào {ten, hẹn gặp”.",
        ),
        ("Chào ten}!", "A “}” has no “{” before it, near “Chào ten}!”."),
        ("Chào {}", "“{}” is empty: write a placeholder's name between the braces, such as {ten}."),
        ("Chào {{ten}}", "Write {ten} with one pair of braces, not {{ten}}."),
    ],
)
def test_braces_that_make_no_placeholder_are_refused(text, problem):
    assert placeholders_check(text, channel="email", with_offer=False) == [problem]


def test_a_placeholder_inside_a_fallback_is_refused():
    problems = placeholders_check("Chào {ten|{ho_ten}}", channel="email", with_offer=False)

    assert problems == ["A fallback cannot hold a placeholder: {ten|{ho_ten}}."]


def test_the_same_problem_is_told_once():
    assert placeholders_check("{tn} {tn} {tn}", channel="email", with_offer=False) == [
        "{tn} is not a placeholder: did you mean {ten}?"
    ]


def test_an_unknown_channel_is_a_programming_error():
    with pytest.raises(ValueError):
        placeholders_check("Chào", channel="zalo", with_offer=False)


def test_each_placeholder_has_a_label_and_a_description_for_the_help():
    for placeholder in PLACEHOLDERS.values():
        assert str(placeholder.label) and str(placeholder.description)
        assert placeholder.name.isascii() and placeholder.name == placeholder.name.lower()


def test_values_replace_their_placeholders():
    rendered = content_render(
        "Chào {ten}, bạn có {diem} điểm ở {ten_shop}.",
        values={"ten": "Lan", "diem": "1.250", "ten_shop": "Hoa Mai"},
        escape_html=False,
    )

    assert rendered.text == "Chào Lan, bạn có 1.250 điểm ở Hoa Mai."
    assert rendered.missing == []


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_value_takes_the_fallback(value):
    rendered = content_render("Chào {ten|bạn},", values={"ten": value}, escape_html=False)

    assert rendered.text == "Chào bạn,"
    assert rendered.missing == []


def test_a_missing_value_without_fallback_is_listed_never_printed_empty():
    rendered = content_render("Chào {ten}, hạng {hang}, {ten} ơi", values={"ten": None, "diem": "5"}, escape_html=False)

    assert rendered.missing == ["ten", "hang"]
    assert content_missing_reason(rendered.missing) == "No value for {ten}, {hang}, and no fallback."


def test_an_unknown_placeholder_met_at_send_is_missing_not_printed():
    rendered = content_render("Chào {tn|bạn}", values={"ten": "Lan"}, escape_html=False)

    assert rendered.missing == ["tn"]
    assert "{" not in rendered.text


def test_values_and_words_are_html_escaped_for_email():
    rendered = content_render(
        "Chào {ten} <3 {hang|<mới>}", values={"ten": "<b>Lan</b> & co", "hang": None}, escape_html=True
    )

    assert rendered.text == "Chào &lt;b&gt;Lan&lt;/b&gt; &amp; co &lt;3 &lt;mới&gt;"


def test_without_escaping_the_value_is_as_written():
    rendered = content_render("Chào {ten}", values={"ten": "<b>Lan</b> & co"}, escape_html=False)

    assert rendered.text == "Chào <b>Lan</b> & co"


no_braces = st.text(alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cs",)))


@given(no_braces)
def test_text_without_braces_passes_and_renders_as_it_is(text):
    assert placeholders_check(text, channel="sms", with_offer=False) == []
    assert content_render(text, values={}, escape_html=False) == content_render(text, values={}, escape_html=False)
    assert content_render(text, values={}, escape_html=False).text == text
    assert content_render(text, values={}, escape_html=True).text == html.escape(text)


@given(
    st.lists(st.one_of(no_braces, st.sampled_from([f"{{{name}}}" for name in PLACEHOLDERS])), min_size=1, max_size=12),
    st.dictionaries(st.sampled_from(list(PLACEHOLDERS)), st.text(alphabet="abc xyz<&>"), min_size=len(PLACEHOLDERS)),
)
def test_placeholders_between_any_words_pass_and_are_all_replaced(pieces, values):
    text = "".join(pieces)

    rendered = content_render(text, values=values, escape_html=False)

    assert placeholders_check(text, channel="email", with_offer=True, kind="points_expiring") == []
    expected_missing = [
        name for name in dict.fromkeys(p[1:-1] for p in pieces if p.startswith("{")) if not values[name].strip()
    ]
    assert rendered.missing == expected_missing
    if not expected_missing:
        assert rendered.text == "".join(
            values[p[1:-1]].strip() if p.startswith("{") and p[1:-1] in PLACEHOLDERS else p for p in pieces
        )
