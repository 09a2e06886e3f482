import pytest

from haravan.client import HaravanClient, HaravanError


def client_for(fake, **options):
    return HaravanClient(token=fake.token, base_url=fake.url, **options)


def test_pages_follow_since_id_to_the_end(fake_haravan):
    for customer_id in range(1, 121):
        fake_haravan.add_customer(customer_id)

    pages = list(client_for(fake_haravan).pages("customers", limit=50))

    assert [len(page) for page in pages] == [50, 50, 20]
    assert [item["id"] for page in pages for item in page] == list(range(1, 121))


def test_a_full_bucket_is_waited_for_not_failed(fake_haravan):
    fake_haravan.bucket_size, fake_haravan.drain_per_second = 5, 20
    fake_haravan.report_call_limit = False  # so the client cannot pace itself and meets 429s
    waits = []
    client = client_for(fake_haravan, sleep=lambda seconds: (waits.append(seconds), __import__("time").sleep(seconds)))

    answers = [client.shop() for _ in range(15)]

    assert all(answer["name"] == "Thời trang Hoa Mai" for answer in answers)
    assert fake_haravan.throttled > 0
    assert 0.3 in waits  # Retry-After honoured


def test_a_server_that_does_not_answer_times_out_with_a_clear_message(fake_haravan):
    fake_haravan.delay_seconds = 1.5
    client = client_for(fake_haravan, timeout=0.3, max_attempts=2, sleep=lambda seconds: None)

    with pytest.raises(HaravanError) as error:
        client.shop()

    assert error.value.retryable
    assert "không trả lời trong" in error.value.message


def test_broken_json_is_retried_then_reported(fake_haravan):
    fake_haravan.malformed_next = 1
    client = client_for(fake_haravan, sleep=lambda seconds: None)
    assert client.shop()["id"] == 200000123  # one broken answer, then a good one

    fake_haravan.malformed_next = 10
    with pytest.raises(HaravanError) as error:
        client_for(fake_haravan, max_attempts=3, sleep=lambda seconds: None).shop()
    assert "không phải JSON" in error.value.message


def test_a_wrong_token_says_how_to_fix_it(fake_haravan):
    client = HaravanClient(token="wrong", base_url=fake_haravan.url, sleep=lambda seconds: None)

    with pytest.raises(HaravanError) as error:
        client.shop()

    assert not error.value.retryable
    assert "Haravan từ chối mã truy cập (access token), mã lỗi HTTP 401" in error.value.message


def test_server_errors_are_retried(fake_haravan):
    fake_haravan.fail_next = 2

    assert client_for(fake_haravan, sleep=lambda seconds: None).count("orders") == 0
