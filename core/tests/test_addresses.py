import pytest

from core.addresses import url_is_public


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/x/", "http://localhost:8000/", "http://[::1]/", "http://192.168.1.20/", "http://10.0.0.3/",
     "http://172.20.1.1/", "http://myserver:8000/", "http://shop.local/", "http://0.0.0.0:8000/", ""],
)  # fmt: skip
def test_addresses_haravan_cannot_reach(url):
    assert not url_is_public(url)


@pytest.mark.parametrize(
    "url", ["https://loyalty.hoamai.vn/", "http://203.113.131.5/", "https://shop.example.com:8443/"]
)
def test_addresses_haravan_can_reach(url):
    assert url_is_public(url)
