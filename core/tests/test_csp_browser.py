"""Headless Chromium under the Content-Security-Policy: a progress bar still shows how far a
job got, its width set by static JavaScript instead of a blocked inline style (the page
fixture fails the test on anything the policy blocks)."""

import pytest

from haravan.models import SyncJob
from shops.tests.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_progress_bar_shows_its_share_under_the_policy(page, owner, live_server):
    job = SyncJob.objects.create(
        shop=owner.shop, kind=SyncJob.Kind.FULL, status=SyncJob.Status.FAILED, customers_total=10, customers_done=4
    )
    log_in(page, "chu.hoamai")
    page.wait_for_url("**/overview/")

    response = page.goto(f"/settings/haravan/sync/{job.pk}/")

    assert "style-src 'self'" in response.headers["content-security-policy"]
    bar = page.locator(".progress").bounding_box()["width"]
    # The bar grows to its width in a .3 s transition: measured once it has settled.
    for _attempt in range(40):
        fill = page.locator(".progress span").bounding_box()["width"]
        if fill == pytest.approx(bar * 0.4, abs=2):
            break
        page.wait_for_timeout(50)
    assert fill == pytest.approx(bar * 0.4, abs=2)
