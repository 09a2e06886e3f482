import datetime
import time

import pytest
from django.utils import timezone, translation

from haravan.client import HaravanClient, HaravanError
from haravan.discounts import DiscountSpec, discount_ensure


def client_for(fake, **options):
    options.setdefault("sleep", time.sleep)
    return HaravanClient(token=fake.token, base_url=fake.url, **options)


def spec_for(code="KMAB3D4E5F", **fields):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    zone = datetime.timezone(datetime.timedelta(hours=7))
    values = {
        "code": code,
        "discount_type": "fixed_amount",
        "value": 50000,
        "minimum_order_amount": 300000,
        "starts_at": datetime.datetime.combine(tomorrow, datetime.time(0, 0), zone),
        "ends_at": datetime.datetime.combine(tomorrow + datetime.timedelta(days=7), datetime.time(23, 59, 59), zone),
    }
    return DiscountSpec(**{**values, **fields})


def test_a_code_is_created_with_the_shop_offset_and_read_back(fake_haravan):
    spec = spec_for()

    discount = discount_ensure(client=client_for(fake_haravan), spec=spec)

    stored = fake_haravan.discounts[discount.id]
    assert fake_haravan.discount_creates == 1
    assert (stored["code"], stored["discount_type"], stored["value"], stored["minimum_order_amount"]) == (
        "KMAB3D4E5F", "fixed_amount", 50000.0, 300000.0
    )  # fmt: skip
    assert (stored["usage_limit"], stored["once_per_customer"]) == (1, True)
    # Sent as 00:00 +07:00; Haravan answers in UTC: 17:00 the day before.
    assert stored["starts_at"].endswith("T17:00:00.000Z")
    assert discount.starts_at == spec.starts_at and discount.ends_at == spec.ends_at
    assert "POST /com/discounts.json" in fake_haravan.requests
    assert "/com/discounts.json" not in fake_haravan.requests  # nothing to look up on a first try


def test_a_percentage_and_free_shipping_are_made_as_asked(fake_haravan):
    client = client_for(fake_haravan)

    percent = discount_ensure(client=client, spec=spec_for("KMPCT2345A", discount_type="percentage", value=15))
    shipping = discount_ensure(client=client, spec=spec_for("KMSHP2345A", discount_type="shipping", value=0))

    assert (percent.discount_type, percent.value) == ("percentage", 15)
    assert shipping.discount_type == "shipping"


def test_a_full_bucket_is_waited_for_and_the_code_made_once(fake_haravan):
    fake_haravan.throttle_next = 2
    waits = []

    discount = discount_ensure(
        client=client_for(fake_haravan, sleep=lambda s: (waits.append(s), time.sleep(s))), spec=spec_for()
    )

    assert waits[:2] == [0.3, 0.3]  # Retry-After honoured
    assert fake_haravan.discount_creates == 1 and len(fake_haravan.discounts) == 1
    assert discount.code == "KMAB3D4E5F"


def test_a_server_error_is_looked_up_then_retried_and_made_once(fake_haravan):
    fake_haravan.fail_next = 2  # two 500s that stored nothing

    discount = discount_ensure(client=client_for(fake_haravan, sleep=lambda s: None), spec=spec_for())

    assert fake_haravan.discount_creates == 1
    assert fake_haravan.requests.count("/com/discounts.json") == 2  # looked up after each 500
    assert list(fake_haravan.discounts) == [discount.id]


@pytest.mark.parametrize("how", ["500", "drop", "slow"])
def test_a_create_whose_answer_was_lost_is_found_by_the_look_up_not_made_twice(fake_haravan, how):
    fake_haravan.lose_next_creates = [how]
    fake_haravan.lost_answer_delay = 1.0
    client = client_for(fake_haravan, timeout=0.4, sleep=lambda s: None)

    discount = discount_ensure(client=client, spec=spec_for())

    assert fake_haravan.discount_creates == 1
    assert fake_haravan.requests.count("POST /com/discounts.json") == 1
    assert fake_haravan.requests.count("/com/discounts.json") == 1
    assert list(fake_haravan.discounts) == [discount.id]


def test_a_later_try_looks_up_first_and_does_not_create_again(fake_haravan):
    client = client_for(fake_haravan)
    first = discount_ensure(client=client, spec=spec_for())

    again = discount_ensure(client=client, spec=spec_for(code="kmab3d4e5f"), may_exist=True)

    assert again.id == first.id
    assert fake_haravan.discount_creates == 1


def test_haravan_down_while_the_answer_is_lost_is_a_retryable_error(fake_haravan):
    fake_haravan.lose_next_creates = ["500"]
    fake_haravan.fail_after_requests = 1  # the look-up meets 500s too
    client = client_for(fake_haravan, max_attempts=2, sleep=lambda s: None)

    with pytest.raises(HaravanError) as error:
        discount_ensure(client=client, spec=spec_for())

    assert error.value.retryable
    assert fake_haravan.discount_creates == 1
    fake_haravan.fail_after_requests = None
    assert discount_ensure(client=client, spec=spec_for(), may_exist=True).code == "KMAB3D4E5F"
    assert fake_haravan.discount_creates == 1


def test_a_read_back_that_differs_is_refused_and_the_code_disabled(fake_haravan):
    fake_haravan.differ_next_create = {"value": 5000.0}

    with translation.override("en"), pytest.raises(HaravanError) as error:
        discount_ensure(client=client_for(fake_haravan), spec=spec_for())

    assert not error.value.retryable
    assert "value is 5000, not 50000" in error.value.message
    (stored,) = fake_haravan.discounts.values()
    assert stored["status"] == "disabled"
    assert f"PUT /com/discounts/{stored['id']}/disable.json" in fake_haravan.requests


def test_dates_stored_otherwise_are_refused(fake_haravan):
    fake_haravan.differ_next_create = {"ends_at": "2030-01-01T00:00:00Z"}

    with translation.override("en"), pytest.raises(HaravanError) as error:
        discount_ensure(client=client_for(fake_haravan), spec=spec_for())

    assert "end is 2030-01-01T07:00:00+07:00" in error.value.message
    assert next(iter(fake_haravan.discounts.values()))["status"] == "disabled"


def test_a_code_haravan_refuses_is_a_permanent_error_with_its_reason(fake_haravan):
    past = timezone.now() - datetime.timedelta(days=1)

    with pytest.raises(HaravanError) as error:
        discount_ensure(client=client_for(fake_haravan), spec=spec_for(starts_at=past))

    assert not error.value.retryable and error.value.status == 422
    assert "must be greater than current date" in error.value.message
    assert not fake_haravan.discounts


def test_a_post_is_not_retried_blindly_but_a_put_is(fake_haravan):
    client = client_for(fake_haravan, sleep=lambda s: None)
    fake_haravan.fail_next = 1

    with pytest.raises(HaravanError) as error:
        client.post("/com/discounts.json", spec_for().payload())
    assert error.value.retryable and error.value.maybe_applied and error.value.status == 500
    assert fake_haravan.requests.count("POST /com/discounts.json") == 1

    discount = discount_ensure(client=client, spec=spec_for())
    fake_haravan.fail_next = 1
    client.put(f"/com/discounts/{discount.id}/disable.json")
    assert fake_haravan.discounts[discount.id]["status"] == "disabled"


def test_a_code_found_again_may_have_started_earlier_than_a_later_try_asks_not_later(fake_haravan):
    first = spec_for()
    made = discount_ensure(client=client_for(fake_haravan), spec=first)
    later_try = spec_for(starts_at=first.starts_at + datetime.timedelta(minutes=3))

    assert discount_ensure(client=client_for(fake_haravan), spec=later_try, may_exist=True).id == made.id

    earlier_try = spec_for(code="KMZZ3D4E5F", starts_at=first.starts_at + datetime.timedelta(hours=1))
    discount_ensure(client=client_for(fake_haravan), spec=earlier_try)
    with translation.override("en"), pytest.raises(HaravanError) as error:
        discount_ensure(client=client_for(fake_haravan), spec=spec_for(code="KMZZ3D4E5F"), may_exist=True)
    assert "start is" in error.value.message and not error.value.retryable


def test_already_taken_on_a_first_try_is_looked_up(fake_haravan):
    made = discount_ensure(client=client_for(fake_haravan), spec=spec_for())  # another run made it

    assert discount_ensure(client=client_for(fake_haravan), spec=spec_for()).id == made.id
    assert fake_haravan.discount_creates == 1
