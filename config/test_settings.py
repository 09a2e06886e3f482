"""Settings for the test suite: the same as production's shape, with fast hashing.

The database and broker still come from the environment, so CI runs the suite on the
embedded default and again on PostgreSQL and Redis.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import CELERY_BROKER_URL, DATABASES, SMTP_ALLOWED_PORTS, VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A worker process started by a test opens the same database by file, so SQLite's test
# database is a file, not memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}

if CELERY_BROKER_URL.startswith("filesystem://") and "CELERY_BROKER_FOLDER" not in os.environ:
    # Keep tests away from the messages of a `make run` in the same checkout.
    _folder = VAR_DIR / "test-broker" / "queue"
    _folder.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_folder),
        "data_folder_out": str(_folder),
        "control_folder": str(_folder.parent / "control"),
        "store_processed": False,
    }
    del _folder

ARTIFACTS_DIR = VAR_DIR / "test-artifacts"

# The test mail servers listen on loopback on a port the system hands out (its ephemeral
# range): allowed here, in this process and in the worker processes the tests start. The
# refusal tests use ports outside it.
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as _range:
        _low, _high = (int(part) for part in _range.read().split())
except OSError:  # not Linux: Linux's default and the BSDs' (49152-65535) together
    _low, _high = 32768, 65535
SMTP_ALLOWED_PORTS = SMTP_ALLOWED_PORTS | frozenset(range(_low, _high + 1))

# The providers' rates are enforced in every test that sends (the slots are taken), at a
# pace that does not slow the suite; one test sets its own to see the pacing.
MESSAGING_EMAIL_PER_SECOND = float(os.environ.get("MESSAGING_EMAIL_PER_SECOND", 1000))
MESSAGING_SMS_PER_SECOND = float(os.environ.get("MESSAGING_SMS_PER_SECOND", 1000))
