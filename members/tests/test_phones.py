import pytest
from hypothesis import given
from hypothesis import strategies as st

from demo.data import MOBILE_PREFIXES
from members.phones import LEGACY_MOBILE_PREFIXES, InvalidPhone, format_phone_national, normalize_phone


@pytest.mark.parametrize(
    "written",
    [
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "(0912) 345 678",
        "+84 912 345 678",
        "+84912345678",
        "84912345678",
        "0084912345678",
        "00 84 912 345 678",
        "912345678",
        912345678,
        912345678.0,
        "912345678.0",
        " 0912345678 ",
        "0912\u00a0345\u00a0678",
    ],
)
def test_every_written_form_is_the_same_customer(written):
    assert normalize_phone(written) == "+84912345678"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("0168 2345678", "+84382345678"),
        ("01682345678", "+84382345678"),
        ("+84 168 234 5678", "+84382345678"),
        ("841682345678", "+84382345678"),
        ("1682345678", "+84382345678"),
        ("0120 123 4567", "+84701234567"),
        ("0121 123 4567", "+84791234567"),
        ("0122 123 4567", "+84771234567"),
        ("0126 123 4567", "+84761234567"),
        ("0128 123 4567", "+84781234567"),
        ("0123 123 4567", "+84831234567"),
        ("0124 123 4567", "+84841234567"),
        ("0125 123 4567", "+84851234567"),
        ("0127 123 4567", "+84811234567"),
        ("0129 123 4567", "+84821234567"),
        ("0186 123 4567", "+84561234567"),
        ("0188 123 4567", "+84581234567"),
        ("0199 123 4567", "+84591234567"),
        ("0162 123 4567", "+84321234567"),
    ],
)
def test_old_eleven_digit_mobiles_map_to_todays_numbers(old, new):
    assert normalize_phone(old) == new


def test_landlines_are_kept():
    assert normalize_phone("028 3823 4567") == "+842838234567"


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("", "trống"),
        (None, "trống"),
        ("0912 345", "10 chữ số"),
        ("09123456789012", "10 chữ số"),
        ("0912abc678", "chỉ được gồm chữ số"),
        ("0112345678", "10 chữ số"),
        (912345678.5, "phần thập phân"),
    ],
)
def test_an_invalid_number_is_an_error_naming_the_input(written, says):
    with pytest.raises(InvalidPhone) as error:
        normalize_phone(written)

    message = str(error.value)
    assert says in message
    assert f"“{'' if written is None else written}”" in message


def test_the_stored_form_reads_as_people_write_it():
    assert format_phone_national("+84912345678") == "0912 345 678"


# Property-based: any valid mobile, written in any accepted form, is the same E.164 number.

mobile = st.tuples(st.sampled_from(MOBILE_PREFIXES), st.integers(min_value=0, max_value=9_999_999)).map(
    lambda parts: f"{parts[0]}{parts[1]:07d}"
)
legacy = st.tuples(st.sampled_from(sorted(LEGACY_MOBILE_PREFIXES)), st.integers(0, 9_999_999)).map(
    lambda parts: (f"{parts[0]}{parts[1]:07d}", f"{LEGACY_MOBILE_PREFIXES[parts[0]]}{parts[1]:07d}")
)
separator = st.sampled_from(["", " ", ".", "-", "  "])


def _group(digits: str, sep: str) -> str:
    return sep.join([digits[:4], digits[4:7], digits[7:]]) if sep else digits


def _forms(nsn: str, sep: str) -> list[object]:
    return [
        _group("0" + nsn, sep),
        "+84 " + _group(nsn, sep),
        "84" + nsn,
        "0084" + nsn,
        nsn,
        int(nsn),
        float(nsn),
        f"{nsn}.0",
    ]


@given(mobile, separator)
def test_any_mobile_in_any_accepted_form_normalises_to_one_number(nsn, sep):
    expected = "+84" + nsn
    for written in _forms(nsn, sep):
        assert normalize_phone(written) == expected, written


@given(legacy, separator)
def test_any_old_mobile_in_any_accepted_form_maps_to_its_new_number(pair, sep):
    old, new = pair
    for written in _forms(old, sep):
        assert normalize_phone(written) == "+84" + new, written


@given(st.text(alphabet="0123456789 .+-", max_size=16))
def test_any_input_is_either_a_valid_number_or_a_clear_error(text):
    try:
        result = normalize_phone(text)
    except InvalidPhone as error:
        assert text in str(error)
    else:
        assert result.startswith("+") and result[1:].isdigit()
        assert normalize_phone(result) == result  # normalising twice changes nothing


@given(st.text(alphabet="0123456789", min_size=7, max_size=12))
def test_the_remembered_answer_for_a_number_shape_is_phonenumbers_own(digits):
    """normalize_phone remembers validity per (first four digits, length) of a Vietnamese
    number; whatever was asked before, its answer is what phonenumbers says of this one."""
    import phonenumbers

    parsed = phonenumbers.parse("+84" + digits.lstrip("0"), "VN") if digits.lstrip("0") else None
    valid = parsed is not None and phonenumbers.is_valid_number(parsed)
    try:
        result = normalize_phone("0" + digits.lstrip("0")) if digits.lstrip("0") else None
    except InvalidPhone:
        result = None
    if valid and not (len(digits.lstrip("0")) == 10 and digits.lstrip("0")[:3] in LEGACY_MOBILE_PREFIXES):
        assert result == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    elif not valid and result is not None:
        # Only the legacy 11-digit prefixes turn an invalid-looking number into a valid one.
        assert digits.lstrip("0")[:3] in LEGACY_MOBILE_PREFIXES


@pytest.mark.parametrize("e164", ["+84912345678", "+84382345678", "+842838123456", "+84241234567", "+8419001234"])
def test_a_vietnamese_number_reads_the_same_with_or_without_parsing_it(e164):
    import phonenumbers

    parsed = phonenumbers.parse(e164)
    national = "0" + str(parsed.national_number)
    expected = f"{national[:4]} {national[4:7]} {national[7:]}" if len(national) == 10 else national

    assert format_phone_national(e164) == expected
