from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from core.text import _PLAIN_EMAIL, fold, is_email


def django_accepts(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@settings(max_examples=500)
@given(st.from_regex(_PLAIN_EMAIL, fullmatch=True))
def test_every_address_the_quick_shape_accepts_django_accepts_too(address):
    assert is_email(address) == django_accepts(address)


@settings(max_examples=500)
@given(st.text(alphabet='ab.@-_+1 ĐđéK"[]:', max_size=30))
def test_is_email_agrees_with_django_on_odd_input(value):
    assert is_email(value) == django_accepts(value)


def test_is_email_on_what_people_type():
    assert is_email("lan.nguyen@example.vn")
    assert is_email("Lan@Example.COM.vn")
    assert is_email("lan@[127.0.0.1]")  # not the quick shape: Django's validator decides
    assert not is_email("lan@example")
    assert not is_email("lan nguyen@example.vn")
    assert not is_email("lan@@example.vn")
    assert not is_email("0912345678")


def test_fold_drops_vietnamese_marks():
    assert fold("  Nguyễn  Văn Đức ") == "nguyen van duc"
