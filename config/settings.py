"""Project settings, read from environment variables.

With no variable set the product runs on an embedded default that needs no server:
SQLite in ``var/`` and a Celery broker on the local disk (kombu's filesystem transport),
served by a real worker process. ``DATABASE_URL=postgres://...`` and
``CELERY_BROKER_URL=redis://...`` switch to PostgreSQL and Redis.

``APP_ENV=production`` refuses to start without its own SECRET_KEY, with DEBUG on, or
without ALLOWED_HOSTS.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LOYALTY_VAR_DIR", BASE_DIR / "var")).resolve()


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


APP_ENV = os.environ.get("APP_ENV", "development").strip().lower()
if APP_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"APP_ENV must be 'development' or 'production', not {APP_ENV!r}.")
PRODUCTION = APP_ENV == "production"

# Only for development and tests: production refuses it below.
DEVELOPMENT_SECRET_KEY = "development-only-secret-key-never-use-in-production-0123456789"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])

if PRODUCTION:
    if not SECRET_KEY or SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 32:
        raise ImproperlyConfigured(
            "APP_ENV=production needs its own SECRET_KEY of at least 32 characters, "
            'e.g. python -c "import secrets; print(secrets.token_urlsafe(50))".'
        )
    if DEBUG:
        raise ImproperlyConfigured("APP_ENV=production refuses to start with DEBUG on: unset DEBUG.")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("APP_ENV=production needs ALLOWED_HOSTS (comma-separated host names).")
else:
    SECRET_KEY = SECRET_KEY or DEVELOPMENT_SECRET_KEY

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Fernet keys for secrets at rest, newest first (see core/crypto.py). Generate one with
# python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
ENCRYPTION_KEYS = env_list("ENCRYPTION_KEYS", [])
if PRODUCTION and not ENCRYPTION_KEYS:
    raise ImproperlyConfigured("APP_ENV=production needs ENCRYPTION_KEYS (Fernet keys for secrets at rest).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "import_export",
    "core",
    "shops",
    "members",
    "imports",
    "loyalty",
    "campaigns",
    "rewards",
    "portal",
    "messaging",
    "dashboard",
    "haravan",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shops.middleware.ShopContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shops.context_processors.shell",
            ],
            "builtins": ["core.templatetags.loyalty_format", "members.templatetags.member_format"],
        },
    },
]

# Every form draws its fields through one partial (core/forms.py).
FORM_RENDERER = "core.forms.FormRenderer"

# Databases ---------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the worker write the same file: WAL lets readers go on while one
    # writes, IMMEDIATE takes the write lock at BEGIN so two writers queue instead of failing.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: the app's queries are short, and when the planner overestimates
    # a range (today's orders, a batch's customers) compiling took longer than running them
    # (0.3-0.9 s for a 2 ms query, measured).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) speed up counts on PostgreSQL; SQLite builds them without the
# extra columns, which is what we want there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Accounts ----------------------------------------------------------------------------------
AUTH_USER_MODEL = "shops.User"
LOGIN_URL = "shops:login"
LOGIN_REDIRECT_URL = "dashboard:index"
LOGOUT_REDIRECT_URL = "shops:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "core.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins (shops/login_limits.py): IP_LIMIT from one address, or LIMIT for one username
# from one address, within the window lock that address until the window has passed. Across
# addresses a username gets a growing delay instead (2, 4, 8 … s after its last failure, at
# most DELAY_MAX) once it has had DELAY_AFTER failures within DELAY_WINDOW, except from an
# address it logged in from within KNOWN_ADDRESS_DAYS: no lock that a stranger controls.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", 5))
LOGIN_FAILURE_IP_LIMIT = int(os.environ.get("LOGIN_FAILURE_IP_LIMIT", 30))
LOGIN_FAILURE_WINDOW_MINUTES = int(os.environ.get("LOGIN_FAILURE_WINDOW_MINUTES", 15))
LOGIN_DELAY_AFTER = int(os.environ.get("LOGIN_DELAY_AFTER", 10))
LOGIN_DELAY_MAX_SECONDS = int(os.environ.get("LOGIN_DELAY_MAX_SECONDS", 300))
LOGIN_DELAY_WINDOW_HOURS = int(os.environ.get("LOGIN_DELAY_WINDOW_HOURS", 24))
LOGIN_KNOWN_ADDRESS_DAYS = int(os.environ.get("LOGIN_KNOWN_ADDRESS_DAYS", 90))
# Behind a reverse proxy, the number of proxies whose X-Forwarded-For is trusted.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", 0))

SESSION_COOKIE_AGE = 60 * 60 * 12
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION and env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if PRODUCTION and env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# HTTPS only in production: plain HTTP is redirected, and browsers are told (HSTS) never to
# try it again for a year. Behind a proxy that terminates HTTPS, SECURE_PROXY_SSL_HEADER must
# be on, or every request looks like plain HTTP and is redirected for ever.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
if PRODUCTION and not SECURE_HSTS_PRELOAD:
    # Joining browsers' preload list is the domain owner's choice (hstspreload.org), not the app's.
    SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
# The app serves every script, style, image and font itself, and pages carry no inline script
# or style (bars get their width from static/js/app.js): anything else is refused, which
# takes the sting out of a markup injection. Empty turns the header off.
CONTENT_SECURITY_POLICY = os.environ.get(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
)

# Language and time -------------------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_TZ = True
LANGUAGE_COOKIE_NAME = "loyalty_language"

# Static files: served by the app itself (WhiteNoise), no CDN.
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Celery ------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
BROKER_FOLDER = Path(os.environ.get("CELERY_BROKER_FOLDER", VAR_DIR / "broker")).resolve()
if CELERY_BROKER_URL.startswith("filesystem://"):
    (BROKER_FOLDER / "queue").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_FOLDER / "queue"),
        "data_folder_out": str(BROKER_FOLDER / "queue"),
        # Where kombu keeps its exchange tables (by default ./control, in the checkout).
        "control_folder": str(BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    # Tasks may run long (imports, campaigns); a message is redelivered only after this.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 60 * 60 * 2}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True  # progress lives in our own job rows
CELERY_TASK_ACKS_LATE = True  # tasks are idempotent: a crashed worker's task runs again
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    "system-heartbeat": {"task": "shops.tasks.heartbeat", "schedule": 60.0},
    "haravan-incremental-sync": {
        "task": "haravan.tasks.incremental_sync_all",
        "schedule": 60.0 * int(os.environ.get("HARAVAN_SYNC_EVERY_MINUTES", 10)),
    },
    "haravan-webhook-sweep": {"task": "haravan.tasks.webhook_sweep", "schedule": 300.0},
    # Hourly, so that each shop's midnight (in its own time zone) is met; once a day per shop.
    "points-expiry": {"task": "loyalty.tasks.expire_points", "schedule": 3600.0},
    "tier-reviews": {"task": "loyalty.tasks.start_tier_reviews", "schedule": 3600.0},
    # Past days whose overview figures changed, and each new day as it completes.
    "dashboard-refresh": {"task": "dashboard.tasks.refresh_dashboards", "schedule": 60.0},
    # Messages due (retries, waits after an account problem) and ones left by a dead worker.
    "messaging-outbox": {"task": "messaging.tasks.send_due", "schedule": 60.0},
    # Scheduled campaigns whose time has come, preparing ones a dead worker left, finished ones.
    "campaigns-tick": {"task": "campaigns.tasks.campaigns_tick", "schedule": 60.0},
    # Automations that are on (birthday, thank-you, reminder): who is due, their codes, their sends.
    "automations-tick": {"task": "campaigns.tasks.automations_tick", "schedule": 60.0},
    # Reward codes a lost task left waiting; unused codes that lapsed give their points back.
    "redemptions-sweep": {"task": "rewards.tasks.redemptions_sweep", "schedule": 60.0},
    # The member page's sign-in codes: what the outbox holds of them is blanked once they lapse.
    "portal-sweep": {"task": "portal.tasks.sign_in_codes_sweep", "schedule": 60.0},
    # Files of imports finished IMPORT_FILE_KEEP_DAYS ago (their reports are kept). The task
    # (imports.tasks.purge_import_files) keeps the name it had when it lived in members.
    "import-files-purge": {"task": "members.tasks.purge_import_files", "schedule": 3600.0},
}

# Haravan ------------------------------------------------------------------------------------
HARAVAN_API_URL = os.environ.get("HARAVAN_API_URL", "https://apis.haravan.com").rstrip("/")
HARAVAN_PAGE_SIZE = int(os.environ.get("HARAVAN_PAGE_SIZE", 50))
HARAVAN_TIMEOUT = float(os.environ.get("HARAVAN_TIMEOUT", 20))  # seconds, per request
HARAVAN_MAX_ATTEMPTS = int(os.environ.get("HARAVAN_MAX_ATTEMPTS", 5))  # for timeouts and 5xx
HARAVAN_BACKOFF_SECONDS = 0.5  # doubled after each failed attempt, at most 30 s
HARAVAN_SYNC_EVERY_MINUTES = int(os.environ.get("HARAVAN_SYNC_EVERY_MINUTES", 10))
# Each incremental sync starts this long before the last one ended, so nothing falls between.
HARAVAN_SYNC_OVERLAP_MINUTES = 10

# The member's own page ----------------------------------------------------------------------
PORTAL_CODE_MINUTES = 5  # a sign-in code works this long, once
PORTAL_CODE_TRIES = 5  # wrong tries before a code is locked
PORTAL_CODES_PER_PHONE_HOUR = int(os.environ.get("PORTAL_CODES_PER_PHONE_HOUR", 3))
PORTAL_CODES_PER_ADDRESS_HOUR = int(os.environ.get("PORTAL_CODES_PER_ADDRESS_HOUR", 10))
PORTAL_CODES_PER_SHOP_HOUR = int(os.environ.get("PORTAL_CODES_PER_SHOP_HOUR", 300))  # the shop's SMS bill
PORTAL_SESSION_MINUTES = 30  # a member's sign-in lasts this long, then a new code is needed

# Messaging ----------------------------------------------------------------------------------
# The address of this deployment as customers reach it: unsubscribe links in emails.
# In development it follows the port `make run` serves on (WEB_PORT), so the links work there.
WEB_PORT = os.environ.get("WEB_PORT", "8000")
SITE_URL = os.environ.get("SITE_URL", "" if PRODUCTION else f"http://localhost:{WEB_PORT}").rstrip("/")
if PRODUCTION and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured(
        "APP_ENV=production needs SITE_URL, the https:// address customers reach it at (e.g. "
        "https://loyalty.example.vn): the unsubscribe link in every email points there, and mail programs "
        "follow one-click unsubscribe links over HTTPS only."
    )
SMTP_TIMEOUT = int(os.environ.get("SMTP_TIMEOUT", 30))  # seconds, per connection and command
# Where an owner's mail settings may point (messaging/destinations.py): mail ports only and, in
# production, no address of this server or its private network, so that the test send is no
# port scanner. A deployment with its own relay on another port or address allows it here.
SMTP_ALLOWED_PORTS = frozenset(int(port) for port in env_list("SMTP_ALLOWED_PORTS", ["25", "465", "587", "2525"]))
SMTP_ALLOW_PRIVATE_HOSTS = env_bool("SMTP_ALLOW_PRIVATE_HOSTS", not PRODUCTION)
VIETGUYS_URL = os.environ.get("VIETGUYS_URL", "https://cloudsms.vietguys.biz:4438/api/index.php")
VIETGUYS_TIMEOUT = (5.0, float(os.environ.get("VIETGUYS_TIMEOUT", 30)))  # connect, answer
MESSAGING_BATCH_SIZE = 100  # messages leased at a time; one SMTP connection per batch
MESSAGING_LEASE_SECONDS = 15 * 60  # a batch not started by then goes to another worker
MESSAGING_RUN_SECONDS = 5 * 60  # a task sends for this long; beat starts the next
MESSAGING_SENDING_STALE_SECONDS = 10 * 60  # SENDING this long: its worker died mid-send
MESSAGING_MAX_ATTEMPTS = 5  # for temporary refusals (4xx), with backoff
MESSAGING_ACCOUNT_WAIT_MINUTES = 10  # wrong password, server down: every message waits this long
MESSAGING_QUOTA_WAIT_MINUTES = 60  # Gmail's daily limit, counted over a rolling 24 hours
MESSAGING_GIVE_UP_HOURS = 72  # a one-to-one message still waiting this long after it was queued fails
# Each provider's rate for one shop's account, across every worker and host (0: no limit).
# Gmail publishes a daily quota (500, or 2,000 for Workspace), no rate: at 10/s a day's
# 2,000 take under 4 minutes, and Gmail's throttling of bursts (421 "try again later") is
# not provoked. VietGuys publishes none either; 20/s is well under what a brandname route
# takes, and a sequential HTTP worker rarely reaches it.
MESSAGING_EMAIL_PER_SECOND = float(os.environ.get("MESSAGING_EMAIL_PER_SECOND", 10))
MESSAGING_SMS_PER_SECOND = float(os.environ.get("MESSAGING_SMS_PER_SECOND", 20))
# SENT marks are written together, every this many messages or seconds: a message marked
# SENDING whose worker died before its SENT mark becomes UNKNOWN, which stays true.
MESSAGING_SENT_MARKS_EVERY = 50
MESSAGING_SENT_MARKS_SECONDS = 0.5

# Exports larger than this many rows are refused with a message to narrow the filter.
EXPORT_MAX_ROWS = int(os.environ.get("EXPORT_MAX_ROWS", 1_000_000))
# Spreadsheet imports (opening balances, point adjustments): a million rows fit in ~40 MB.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", 64 * 1024 * 1024))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", 1_000_000))
# A finished import keeps its file this long, then only its report's rows (refused or
# cancelled files are dropped at once).
IMPORT_FILE_KEEP_DAYS = int(os.environ.get("IMPORT_FILE_KEEP_DAYS", 30))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
