"""What a browser gets from production mode: HTTPS only (a redirect, HSTS, secure cookies)
and a strict Content-Security-Policy. Checked in a process started with production
settings, on the test database."""

import json
import sys
import textwrap

from core.db import current_database_url
from core.tests.test_settings import KEY, start

SCRIPT = textwrap.dedent(
    """
    import json
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.test.utils import override_settings
    from shops.models import Shop, User

    # Production's static files need collectstatic's manifest; the headers do not depend on it.
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    plain_static = {**settings.STORAGES, "staticfiles": plain}
    override_settings(STORAGES=plain_static).enable()

    shop = Shop.objects.create(name="Hoa Mai")
    User.objects.create_user(username="chu.hoamai", password="an-honest-Passw0rd", shop=shop, role="owner")
    client = Client()
    plain = client.get("/login/")
    page = client.get("/login/", secure=True)
    logged_in = client.post(
        "/login/", {"username": "chu.hoamai", "password": "an-honest-Passw0rd"}, secure=True,
    )

    def cookie(name):
        morsel = client.cookies[name]
        return {"secure": bool(morsel["secure"]), "httponly": bool(morsel["httponly"]), "samesite": morsel["samesite"]}

    print(json.dumps({
        "plain": [plain.status_code, plain.get("Location")],
        "headers": dict(page.headers),
        "logged_in": logged_in.status_code,
        "session": cookie("sessionid"),
        "csrf": cookie("csrftoken"),
    }))
    """
)


def test_production_is_https_only_with_a_strict_content_security_policy(transactional_db):
    result = start(
        [sys.executable, "-c", SCRIPT],
        APP_ENV="production",
        SECRET_KEY="k" * 50,
        ENCRYPTION_KEYS=KEY,
        ALLOWED_HOSTS="testserver",
        SITE_URL="https://loyalty.example.vn",
        DATABASE_URL=current_database_url(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    headers = seen["headers"]

    # Plain HTTP goes to HTTPS, and browsers are told to stay there for a year.
    assert seen["plain"] == [301, "https://testserver/login/"]
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    # Only the app's own scripts and styles, nothing inline, no framing.
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert (headers["X-Frame-Options"], headers["X-Content-Type-Options"]) == ("DENY", "nosniff")
    assert headers["Referrer-Policy"] == "same-origin"
    # The session and CSRF cookies travel over HTTPS only.
    assert seen["logged_in"] == 302
    assert seen["session"] == {"secure": True, "httponly": True, "samesite": "Lax"}
    assert seen["csrf"]["secure"] is True
