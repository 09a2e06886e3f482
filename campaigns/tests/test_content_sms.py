import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from campaigns.content import sms_compose, sms_estimate, sms_plain, sms_refuse_missing
from campaigns.models import CampaignSettings
from messaging.sms import sms_size

REFUSE = "Tu choi QC: goi 0901234567"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def test_an_advertising_sms_begins_with_qc_and_ends_with_how_to_refuse():
    sent = sms_compose(" Chào Lan, mã HL-1 giảm 50.000 ₫ ", advertising=True, plain=False, refuse_text=REFUSE)

    assert sent == f"[QC] Chào Lan, mã HL-1 giảm 50.000 ₫ {REFUSE}"


def test_customer_care_has_neither():
    sent = sms_compose("Chào Lan, bạn có 1.250 điểm", advertising=False, plain=False, refuse_text=REFUSE)

    assert sent == "Chào Lan, bạn có 1.250 điểm"


def test_what_staff_already_typed_is_not_doubled():
    sent = sms_compose(f"[QC] Chào Lan {REFUSE}", advertising=True, plain=False, refuse_text=REFUSE)

    assert sent == f"[QC] Chào Lan {REFUSE}"


@pytest.mark.parametrize("refuse_text", ["", "   "])
def test_an_advertising_sms_is_never_made_without_how_to_refuse(refuse_text):
    with pytest.raises(ValueError):
        sms_compose("Chào Lan", advertising=True, plain=False, refuse_text=refuse_text)


def test_plain_mode_drops_the_marks_and_what_the_7_bit_alphabet_lacks():
    sent = sms_compose(
        "Chúc mừng Đức, đơn “hot” giảm 50.000 ₫…", advertising=True, plain=True, refuse_text="Từ chối: gọi 0901234567"
    )

    assert sent == '[QC] Chuc mung Duc, don "hot" giam 50.000 d... Tu choi: goi 0901234567'
    assert not sms_size(sent).unicode


vietnamese = st.text(
    alphabet=st.sampled_from(
        "aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂBCDĐEÊGHIKLMNOÔƠPQRSTUƯVXY0123456789 .,!?:;-%()/\n"
        "áàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
        "ÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ₫“”‘’…–—"
    )
)


@given(vietnamese)
def test_any_vietnamese_text_without_marks_fits_the_7_bit_alphabet(text):
    plain = sms_plain(text)

    assert not sms_size(plain).unicode
    assert len(plain) >= len(text)


@pytest.mark.parametrize(("length", "parts"), [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_a_plain_sms_takes_160_characters_then_153_a_part(length, parts):
    estimate = sms_estimate("a" * length, advertising=False, plain=False, refuse_text="", part_price=750)

    assert (estimate.parts, estimate.cost, estimate.encoding, estimate.length) == (parts, parts * 750, "plain", length)


@pytest.mark.parametrize(("length", "parts"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)])
def test_a_unicode_sms_takes_70_characters_then_67_a_part(length, parts):
    estimate = sms_estimate("ă" * length, advertising=False, plain=False, refuse_text="", part_price=750)

    assert (estimate.parts, estimate.cost, estimate.encoding, estimate.length) == (
        parts,
        parts * 750,
        "unicode",
        length,
    )


def test_without_diacritics_the_same_words_take_fewer_parts():
    text = "Cảm ơn bạn đã mua hàng ở Hoa Mai, hẹn gặp lại bạn sớm nhé!" * 2  # 116 characters

    marked = sms_estimate(text, advertising=False, plain=False, refuse_text="", part_price=800)
    plain = sms_estimate(text, advertising=False, plain=True, refuse_text="", part_price=800)

    assert (marked.parts, marked.encoding, marked.cost) == (2, "unicode", 1600)
    assert (plain.parts, plain.encoding, plain.cost) == (1, "plain", 800)


def test_the_qc_prefix_and_how_to_refuse_are_counted():
    # 17 characters; "[QC] " takes 7 places (the 7-bit alphabet's brackets take two each),
    # and a space: 25 more.
    refuse = "TC goi 0901234567"
    body = "a" * (160 - 25)

    alone = sms_estimate(body, advertising=False, plain=True, refuse_text=refuse, part_price=1)
    advertised = sms_estimate(body, advertising=True, plain=True, refuse_text=refuse, part_price=1)
    one_more = sms_estimate(body + "a", advertising=True, plain=True, refuse_text=refuse, part_price=1)

    assert (alone.length, advertised.length, advertised.parts, one_more.parts) == (135, 160, 1, 2)


def test_placeholders_count_at_a_typical_length_and_the_page_says_so():
    estimate = sms_estimate(
        "Chao {ten}, {ten_shop} tang ban ma {ma_uu_dai}",
        advertising=False,
        plain=True,
        refuse_text="",
        part_price=0,
        known_values={"ten_shop": "Hoa Mai", "ten": None},
    )

    assert estimate.typical == ["ten", "ma_uu_dai"]
    # "Phuong" and "HL-K7Q2M9XA" typically, "Hoa Mai" as it is.
    assert estimate.length == len("Chao Phuong, Hoa Mai tang ban ma HL-K7Q2M9XA")
    assert estimate.note == "Estimated with typical lengths for {ten}, {ma_uu_dai}: a longer value can add a part."


def test_without_the_shops_own_refusal_a_sample_is_counted_and_the_page_says_so():
    estimate = sms_estimate("Chao ban", advertising=True, plain=True, refuse_text="", part_price=0)

    assert estimate.sample_refuse
    assert estimate.length == len(f"[QC] Chao ban {REFUSE}") + 2  # the brackets take two places each
    assert "write the shop's own in the campaign settings" in estimate.note


def test_the_page_is_told_which_characters_keep_a_plain_sms_in_unicode():
    estimate = sms_estimate("Chúc mừng 🎉 năm mới", advertising=False, plain=True, refuse_text="", part_price=0)

    assert (estimate.encoding, estimate.unicode_because) == ("unicode", "🎉")
    assert "🎉" in estimate.note


def test_an_empty_sms_costs_nothing():
    estimate = sms_estimate("  ", advertising=True, plain=False, refuse_text=REFUSE, part_price=750)

    assert (estimate.parts, estimate.cost) == (0, 0)


def test_an_advertising_sms_campaign_waits_for_how_to_refuse():
    assert "campaign settings" in sms_refuse_missing(CampaignSettings(sms_refuse_text=""))
    assert sms_refuse_missing(CampaignSettings(sms_refuse_text="   ")) is not None
    assert sms_refuse_missing(CampaignSettings(sms_refuse_text=REFUSE)) is None


def test_the_shops_refusal_is_stored(shop):
    CampaignSettings.objects.create(shop=shop, sms_refuse_text=REFUSE)

    assert CampaignSettings.objects.get(shop=shop).sms_refuse_text == REFUSE
