"""Production mode refuses unsafe settings before anything starts."""

import os
import subprocess
import sys

from django.conf import settings

CHECK = [sys.executable, "-c", "import django; django.setup(); print('started')"]


UNSET = {"SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "APP_ENV", "DATABASE_URL", "CELERY_BROKER_URL", "ENCRYPTION_KEYS",
         "SITE_URL", "WEB_PORT"}  # fmt: skip
KEY = "GfAhtOLy1ZQlZ9lv4c7B0DfbVd5UJsG_V3A0GbdVbOo="


def start(command=CHECK, **env):
    base = {key: value for key, value in os.environ.items() if key not in UNSET}
    return subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_its_own_secret_key():
    result = start(APP_ENV="production", ALLOWED_HOSTS="loyalty.example.vn")

    assert result.returncode != 0
    assert "needs its own SECRET_KEY" in result.stderr


def test_production_refuses_the_development_key():
    result = start(APP_ENV="production", ALLOWED_HOSTS="x.vn", SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY)

    assert "needs its own SECRET_KEY" in result.stderr


def test_production_refuses_debug():
    result = start(APP_ENV="production", ALLOWED_HOSTS="x.vn", SECRET_KEY="k" * 50, ENCRYPTION_KEYS=KEY, DEBUG="1")

    assert result.returncode != 0
    assert "refuses to start with DEBUG on" in result.stderr


def test_production_refuses_to_keep_secrets_without_encryption_keys():
    result = start(APP_ENV="production", ALLOWED_HOSTS="x.vn", SECRET_KEY="k" * 50)

    assert result.returncode != 0
    assert "needs ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_to_send_emails_without_its_own_https_address():
    unset = start(APP_ENV="production", ALLOWED_HOSTS="x.vn", SECRET_KEY="k" * 50, ENCRYPTION_KEYS=KEY)
    plain = start(APP_ENV="production", ALLOWED_HOSTS="x.vn", SECRET_KEY="k" * 50, ENCRYPTION_KEYS=KEY,
                  SITE_URL="http://x.vn")  # fmt: skip

    assert unset.returncode != 0 and plain.returncode != 0
    assert "needs SITE_URL" in unset.stderr and "needs SITE_URL" in plain.stderr


def test_production_starts_with_its_own_keys_and_hosts():
    result = start(APP_ENV="production", ALLOWED_HOSTS="x.vn", SECRET_KEY="k" * 50, ENCRYPTION_KEYS=KEY,
                   SITE_URL="https://x.vn")  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_with_no_variables_it_runs_on_sqlite_and_a_broker_on_disk():
    show = "import django; django.setup(); from django.conf import settings as s; "
    show += "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, s.DEBUG)"

    result = start([sys.executable, "-c", show])

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "filesystem://", "True"]


def test_in_development_the_unsubscribe_address_follows_the_port_make_run_serves_on():
    show = [
        sys.executable,
        "-c",
        "import django; django.setup(); from django.conf import settings as s; print(s.SITE_URL)",
    ]

    assert start(show).stdout.split() == ["http://localhost:8000"]
    assert start(show, WEB_PORT="8123").stdout.split() == ["http://localhost:8123"]
    assert start(show, WEB_PORT="8123", SITE_URL="http://shop.local:9000/").stdout.split() == ["http://shop.local:9000"]
