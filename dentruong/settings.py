"""Đến Trường settings: one file, driven by the environment.

SQLite is the default so that `make demo` works on a bare machine; set DATABASE_URL
(postgres://…) for production. Every knob that differs between a laptop and a
server is an environment variable with a safe default for development.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.getenv(name, str(default)))


DEBUG = envbool("DEBUG", "false")
SECRET_KEY = os.getenv("SECRET_KEY", "")
if not SECRET_KEY:
    if not (DEBUG or envbool("DENTRUONG_DEV", "true")):
        raise RuntimeError("SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-not-for-production"

ALLOWED_HOSTS = os.getenv("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "dentruong.accounts",
    "dentruong.orgs",
    "dentruong.people",
    "dentruong.enrollment",
    "dentruong.attendance",
    "dentruong.notices",
    "dentruong.imports",
    "dentruong.mobilization",
    "dentruong.backups",
    "dentruong.risk",
    "dentruong.reports",
    "dentruong.outreach",
    "dentruong.front",
    "dentruong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dentruong.front.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "dentruong.urls"
WSGI_APPLICATION = "dentruong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite tuned for a web server (see docs/decisions/0002-sqlite-for-a-web-server.md):
# WAL so readers never block the writer, IMMEDIATE transactions so a writer takes the
# lock up front instead of failing on upgrade, a busy timeout instead of "database is
# locked", and persistent connections so the page cache survives between requests.
SQLITE_PATH = os.getenv("SQLITE_PATH", str(BASE_DIR / "var" / "dentruong.sqlite3"))
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "PRAGMA busy_timeout=20000;"
    "PRAGMA foreign_keys=ON;"
    "PRAGMA temp_store=MEMORY;"
    "PRAGMA cache_size=-65536;"
    "PRAGMA mmap_size=268435456;"
)

if os.getenv("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600),
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            "CONN_MAX_AGE": 600,
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": SQLITE_PRAGMAS,
            },
            "TEST": {"NAME": os.getenv("SQLITE_TEST_PATH") or None},
        }
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Language and time ----------------------------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "dentruong" / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]

# --- Security -------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Product knobs --------------------------------------------------------------------
# Page size of lists (students, children). Kept small: a teacher's phone on 3G.
LIST_PAGE_SIZE = envint("LIST_PAGE_SIZE", 50)
# When homeroom teachers who have not taken the morning roll call are reminded: HH:MM,
# Việt Nam time. The notice worker (`manage.py run_notices`) queues the reminders at that
# time; `manage.py remind_roll_call` does the same from cron. Empty: the worker does not.
ROLL_CALL_REMINDER_TIME = os.getenv("ROLL_CALL_REMINDER_TIME", "08:30")
# How old (seconds) a process's copy of a school's calendar may be when a roll call is
# checked against it (orgs/calendar.py); 0 reads the database every time.
CALENDAR_CACHE_SECONDS = float(os.getenv("CALENDAR_CACHE_SECONDS", "60"))

# --- Notices to guardians and teachers (dentruong/notices, docs/decisions/0007) --------
# A channel whose settings are empty is not configured: its notices are shown as "not
# sent: channel not configured", nothing is sent. `make demo` configures none.
NOTICE_SMS_URL = os.getenv("NOTICE_SMS_URL", "")  # the SMS gateway's JSON endpoint
NOTICE_SMS_KEY = os.getenv("NOTICE_SMS_KEY", "")
NOTICE_SMS_KEY_HEADER = os.getenv("NOTICE_SMS_KEY_HEADER", "X-API-Key")
NOTICE_SMS_SENDER = os.getenv("NOTICE_SMS_SENDER", "")  # the registered brandname
NOTICE_SMS_UNICODE = envbool("NOTICE_SMS_UNICODE", "false")  # false: unaccented text
NOTICE_ZALO_URL = os.getenv("NOTICE_ZALO_URL", "")  # …/v3.0/oa/message/cs
NOTICE_ZALO_TOKEN = os.getenv("NOTICE_ZALO_TOKEN", "")  # the OA's access token
EMAIL_HOST = os.getenv("EMAIL_HOST", "")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.getenv("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.getenv("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", "false")
DEFAULT_FROM_EMAIL = os.getenv("DEFAULT_FROM_EMAIL", "Đến Trường <noreply@dentruong.local>")
# The channel used for a guardian who consented to several, first configured one wins.
NOTICE_CHANNEL_ORDER = os.getenv("NOTICE_CHANNEL_ORDER", "zalo,sms,email").split(",")
NOTICE_TIMEOUT_SECONDS = float(os.getenv("NOTICE_TIMEOUT_SECONDS", "10"))
# Retries: 1, 2, 4, 8 … minutes after each failure, at most NOTICE_RETRY_CAP_MINUTES apart;
# after NOTICE_MAX_ATTEMPTS tries, or once the day is over, the notice is given up.
NOTICE_RETRY_MINUTES = envint("NOTICE_RETRY_MINUTES", 1)
NOTICE_RETRY_CAP_MINUTES = envint("NOTICE_RETRY_CAP_MINUTES", 30)
NOTICE_MAX_ATTEMPTS = envint("NOTICE_MAX_ATTEMPTS", 6)
# A notice still "sending" this long after a worker claimed it was interrupted: it is
# marked "delivery unknown" and never sent again (at most once).
NOTICE_SENDING_TIMEOUT_MINUTES = envint("NOTICE_SENDING_TIMEOUT_MINUTES", 10)
NOTICE_POLL_SECONDS = float(os.getenv("NOTICE_POLL_SECONDS", "5"))
# A transfer between two schools not confirmed by the receiving school within this many
# days shows up as "lost between schools" for the communes and provinces of both ends.
TRANSFER_CONFIRM_DAYS = envint("TRANSFER_CONFIRM_DAYS", 15)
# Target share (%) of lower-secondary graduates going on to vocational training (seeds/004).
VOCATIONAL_TARGET_PERCENT = float(os.getenv("VOCATIONAL_TARGET_PERCENT", "20"))

# Excel imports (dentruong/imports): files above these limits are refused before parsing.
# Django spools uploads above FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file; the cap on
# the upload itself is IMPORT_MAX_FILE_BYTES (checked before the file is read whole).
IMPORT_MAX_FILE_BYTES = envint("IMPORT_MAX_FILE_MB", 20) * 2**20
IMPORT_MAX_UNCOMPRESSED_BYTES = envint("IMPORT_MAX_UNCOMPRESSED_MB", 300) * 2**20
IMPORT_MAX_COMPRESSION_RATIO = 200
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 100_000)
IMPORT_MAX_CELL_CHARS = 1000

# --- Early warning of dropout (dentruong/risk, docs/decisions/0008) ---------------------
# Overrides of the rule thresholds and points (names of dentruong.risk.rules.Thresholds),
# e.g. {"chronic_rate": 0.15, "high_points": 5}. Empty: the defaults from ews.md.
RISK_RULES: dict[str, float] = {}

# Outreach: open mentor–student pairs allowed per mentor (seeds/000: 1 to 3 students).
OUTREACH_MENTEE_LIMIT = envint("OUTREACH_MENTEE_LIMIT", 3)
