import datetime
from html.parser import HTMLParser

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from campaigns.content import customer_values, email_compose, email_offer_block, email_subject
from campaigns.models import Offer
from members.models import Customer
from shops.models import Shop

URL = "https://loyalty.example/u/42:abc/?a=1&b=2"
VOID = {"meta", "br"}
ALLOWED = {"html", "head", "meta", "title", "body", "table", "tr", "td", "p", "br", "div", "a"}


class Page(HTMLParser):
    """The parsed email: its elements in order, the text of each, and whether every element
    is closed where it should be."""

    def __init__(self, markup):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, attributes, text inside)
        self.open = []
        self.balanced = True
        self.feed(markup)
        self.close()
        self.balanced = self.balanced and not self.open

    def handle_starttag(self, tag, attrs):
        element = (tag, dict(attrs), [])
        self.elements.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1][0] != tag:
            self.balanced = False
            return
        self.open.pop()

    def handle_data(self, data):
        for element in self.open:
            element[2].append(data)

    def text_of(self, tag, **attrs):
        return [
            "".join(text)
            for name, attributes, text in self.elements
            if name == tag and all(attributes.get(k) == v for k, v in attrs.items())
        ]

    @property
    def text(self):
        return self.text_of("body")[0]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def offer_email(**kwargs):
    offer = Offer(kind=Offer.Kind.PERCENTAGE, value=10, max_amount=100000, minimum_order=300000)
    values = customer_values(
        customer=Customer(name="Nguyễn Thị Lan", points_balance=1250),
        shop=Shop(name="Thời trang Hoa Mai", time_zone="Asia/Ho_Chi_Minh"),
        tier_name="Vàng",
        recipient_code="HL-K7Q2M9XA",
        offer=offer,
        code_ends_at=datetime.datetime(2026, 12, 31, 16, 59, 59, tzinfo=datetime.UTC),
        unsubscribe_url=URL,
    )
    arguments = {
        "subject": "Quà tặng cho Lan",
        "body_text": (
            "Chào Lan,\n\nHoa Mai tặng bạn mã giảm giá.\nXem thêm: https://hoamai.vn/sale?a=1&b=2.\n\nCảm ơn bạn!"
        ),
        "shop_name": "Thời trang Hoa Mai",
        "offer_block": email_offer_block(offer=offer, values=values),
        "unsubscribe_url": URL,
    }
    arguments.update(kwargs)
    return email_compose(**arguments)


def test_the_html_parses_uses_only_layout_elements_and_no_script_or_style():
    page = Page(offer_email().html)

    assert page.balanced
    assert {tag for tag, _, _ in page.elements} <= ALLOWED


def test_every_element_that_shows_something_has_its_style_inline():
    page = Page(offer_email().html)

    for tag, attributes, _ in page.elements:
        if tag in {"body", "table", "td", "p", "div", "a"}:
            assert attributes.get("style"), tag


def test_one_centred_column_at_most_600px_wide():
    page = Page(offer_email().html)

    columns = [a for tag, a, _ in page.elements if tag == "table" and "max-width:600px" in a.get("style", "")]
    assert len(columns) == 1
    assert any(tag == "td" and a.get("align") == "center" for tag, a, _ in page.elements)
    assert any(tag == "meta" and a.get("name") == "viewport" for tag, a, _ in page.elements)


def test_the_code_is_in_a_box_with_its_value_and_last_day():
    page = Page(offer_email().html)

    (box,) = [text for tag, a, text in page.elements if tag == "td" and "dashed" in a.get("style", "")]
    assert "".join(box) == (
        "Your promo codeHL-K7Q2M9XA10 % (at most 100.000 ₫)Valid until 31/12/2026For orders from 300.000 ₫"
    )


def test_the_shops_name_heads_it_and_the_footer_says_why_with_the_unsubscribe_link():
    page = Page(offer_email().html)

    assert page.text.startswith("Thời trang Hoa Mai")
    assert page.text.endswith("You receive this email as a customer of Thời trang Hoa Mai. Unsubscribe")
    assert page.text_of("a", href=URL) == ["Unsubscribe"]


def test_blank_lines_make_paragraphs_and_links_are_clickable():
    page = Page(offer_email().html)

    assert page.text_of("p") == [
        "Chào Lan,",
        "Hoa Mai tặng bạn mã giảm giá.Xem thêm: https://hoamai.vn/sale?a=1&b=2.",
        "Cảm ơn bạn!",
    ]
    assert page.text_of("a", href="https://hoamai.vn/sale?a=1&b=2") == ["https://hoamai.vn/sale?a=1&b=2"]
    assert sum(tag == "br" for tag, _, _ in page.elements) == 1


def test_everything_is_escaped():
    content = offer_email(
        subject="<script>alert(1)</script>",
        body_text="Chào <b>Lan</b> & co <script>alert(1)</script>",
        shop_name='Hoa "Mai" <img src=x onerror=alert(1)>',
    )
    page = Page(content.html)

    assert "<script" not in content.html and "<img" not in content.html
    assert {tag for tag, _, _ in page.elements} <= ALLOWED
    assert page.text_of("p") == ["Chào <b>Lan</b> & co <script>alert(1)</script>"]
    assert page.text.startswith('Hoa "Mai" <img src=x onerror=alert(1)>')
    assert page.text_of("title") == ["<script>alert(1)</script>"]


def test_the_text_part_has_the_body_the_code_and_the_unsubscribe_url():
    content = offer_email()

    assert content.text == (
        "Chào Lan,\n\nHoa Mai tặng bạn mã giảm giá.\nXem thêm: https://hoamai.vn/sale?a=1&b=2.\n\nCảm ơn bạn!\n\n"
        "Your promo code: HL-K7Q2M9XA\n10 % (at most 100.000 ₫)\nValid until 31/12/2026\nFor orders from 300.000 ₫\n\n"
        "-- \nYou receive this email as a customer of Thời trang Hoa Mai. "
        f"To stop receiving emails: {URL}\n"
    )


def test_a_notice_without_an_offer_has_no_code_box():
    content = offer_email(offer_block=None)

    assert "dashed" not in content.html
    assert "promo code" not in content.text
    assert URL in content.text


def test_the_code_box_needs_an_offer_and_a_code():
    values = {"ma_uu_dai": "HL-1", "gia_tri": "free shipping", "han_dung": None}

    assert email_offer_block(offer=None, values=values) is None
    assert email_offer_block(offer=Offer(), values={**values, "ma_uu_dai": None}) is None
    assert email_offer_block(offer=Offer(minimum_order=0), values=values) == {"code": "HL-1", "value": "free shipping"}


def test_the_subject_is_one_line_that_fits_the_outbox():
    assert email_subject("Quà\r\ntặng   Lan ") == "Quà tặng Lan"
    long = email_subject("Ưu đãi " * 50)
    assert len(long) <= 200 and long.endswith("Ưu…")
    assert offer_email(subject="Quà\ntặng").subject == "Quà tặng"


@given(
    body=st.text(st.characters(blacklist_categories=("Cs", "Cc"), whitelist_characters="\n")),
    shop_name=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1),
)
def test_any_body_and_shop_name_make_html_that_parses_and_keeps_their_words(body, shop_name):
    content = email_compose(subject="x", body_text=body, shop_name=shop_name, offer_block=None, unsubscribe_url=URL)
    page = Page(content.html)

    assert page.balanced
    assert {tag for tag, _, _ in page.elements} <= ALLOWED
    assert "".join("".join(page.text_of("p")).split()) == "".join(body.split())
