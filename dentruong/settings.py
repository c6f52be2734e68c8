"""Đến Trường settings: one file, driven by the environment.

SQLite is the default so that `make demo` works on a bare machine; set DATABASE_URL
(postgres://…) for production. Every knob that differs between a laptop and a
server is an environment variable with a safe default for development.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: str) -> bool:
    return os.getenv(name, default).lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    return int(os.getenv(name, str(default)))


DEBUG = envbool("DEBUG", "false")
# DJANGO_ENV=production (DENTRUONG_DEV=0 means the same): a real SECRET_KEY and
# ALLOWED_HOSTS are required, DEBUG is refused, HTTPS is enforced ("Security" below,
# docs/decisions/0011-accounts-security.md). Anything else is a developer's machine.
PRODUCTION = os.getenv("DJANGO_ENV", "").strip().lower() == "production" or not envbool(
    "DENTRUONG_DEV", "true"
)
DEV_SECRET_KEY = "dev-only-insecure-key-not-for-production"
SECRET_KEY = os.getenv("SECRET_KEY", "") or ("" if PRODUCTION else DEV_SECRET_KEY)
_DEV_HOSTS = "" if PRODUCTION else "127.0.0.1,localhost,testserver"
ALLOWED_HOSTS = [h.strip() for h in os.getenv("ALLOWED_HOSTS", _DEV_HOSTS).split(",") if h.strip()]
if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production (DJANGO_ENV=production).")
    if len(SECRET_KEY) < 50 or SECRET_KEY == DEV_SECRET_KEY:
        raise ImproperlyConfigured(
            "Set SECRET_KEY to a random value of 50+ characters in production, e.g. "
            "python -c 'import secrets; print(secrets.token_urlsafe(64))'."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Set ALLOWED_HOSTS (the site's host names) in production.")

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
    "dentruong.audit",
    "dentruong.privacy",
    "dentruong.front",
    "dentruong.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "dentruong.accounts.middleware.SecurityHeadersMiddleware",  # CSP, Permissions-Policy
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dentruong.front.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dentruong.accounts.middleware.SessionPolicyMiddleware",  # idle expiry, forced change
    "dentruong.audit.middleware.AuditMiddleware",  # every change; the "why" of exports
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
            "ENGINE": "dentruong.lib.sqlite",  # Django's, writers of a process in turn
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
        "NAME": "dentruong.accounts.validators.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "dentruong.accounts.validators.NotOnlyUsernameOrPhoneValidator"},
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

# --- Security (docs/decisions/0011-accounts-security.md) -------------------------------
# Sessions end SESSION_COOKIE_AGE seconds after logging in, or after this many minutes
# without a request: officers and administrators (who see a commune or more) sooner than
# school staff and partners (accounts/middleware.py).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = envint("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_IDLE_MINUTES = envint("SESSION_IDLE_MINUTES", 30)
SESSION_IDLE_MINUTES_SCHOOL = envint("SESSION_IDLE_MINUTES_SCHOOL", 120)
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "true" if PRODUCTION else "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE  # not HttpOnly: rollcall.js reads the token
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# HTTPS: on by default in production. HSTS for a year, subdomains and the preload flag
# included unless turned off (the flag alone submits nothing to the browsers' list).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", "true" if PRODUCTION else "false")
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", "true")
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", "true")
# Behind a reverse proxy that terminates TLS: the header it sets, e.g. X-Forwarded-Proto
# (its value must then be "https" for HTTPS). Only if the proxy always sets it.
if os.getenv("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + os.environ["SECURE_PROXY_SSL_HEADER"].strip().upper().replace("-", "_"),
        "https",
    )
CSRF_TRUSTED_ORIGINS = [o for o in os.getenv("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]
# Sent on every response (accounts.middleware.SecurityHeadersMiddleware). Scripts and
# styles from our own static files only: no inline <script>, style="" or onclick="".
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
    "bluetooth=(), magnetometer=(), gyroscope=(), accelerometer=()"
)
# Login throttle (accounts/throttle.py): LOGIN_FAILURE_LIMIT failures for one username,
# or LOGIN_IP_FAILURE_LIMIT from one address (behind a proxy: AUDIT_TRUSTED_PROXIES),
# within the window lock it for LOGIN_LOCKOUT_MINUTES (HTTP 429). Codes of the second step
# count like passwords. Counted in the database: across gunicorn workers and servers.
LOGIN_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
LOGIN_IP_FAILURE_LIMIT = envint("LOGIN_IP_FAILURE_LIMIT", 30)
LOGIN_FAILURE_WINDOW_MINUTES = envint("LOGIN_FAILURE_WINDOW_MINUTES", 15)
LOGIN_LOCKOUT_MINUTES = envint("LOGIN_LOCKOUT_MINUTES", 15)
# Minutes allowed between a right password and the code of the second step.
LOGIN_PENDING_MINUTES = envint("LOGIN_PENDING_MINUTES", 5)
# The name authenticator apps show next to the code.
TOTP_ISSUER = os.getenv("TOTP_ISSUER", "Đến Trường")

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

# --- Audit log (dentruong/audit, docs/decisions/0010) ------------------------------------
# Reverse proxies whose X-Forwarded-For is believed (IPs or networks, comma-separated, e.g.
# "127.0.0.1,10.0.0.0/8"): the audit log then records the client's address the proxy saw.
# Empty: REMOTE_ADDR as is.
AUDIT_TRUSTED_PROXIES = [p for p in os.getenv("AUDIT_TRUSTED_PROXIES", "").split(",") if p.strip()]

# --- Encryption at rest (dentruong/lib/crypto.py, docs/decisions/0012) ------------------
# Sensitive facts (poverty, disability, health) are stored AES-256-GCM encrypted. Comma-
# separated keys (urlsafe base64 of 32 bytes: `manage.py rotate_encryption_key --new-key`
# prints one): the FIRST encrypts, ALL decrypt. Rotate: put a new key first, keep the old
# ones after it, run `manage.py rotate_encryption_key`, then drop the old keys. Empty: a
# key derived from SECRET_KEY (development only; `manage.py check --deploy` refuses it).
FIELD_ENCRYPTION_KEYS = [k for k in os.getenv("FIELD_ENCRYPTION_KEYS", "").split(",") if k.strip()]

# --- Personal data: rights requests and retention (dentruong/privacy, decision 0012) ----
# How long the retention rules keep data (`manage.py apply_retention`): overrides of the
# defaults of dentruong.privacy.retention.RULES by rule name, in the rule's unit (days;
# years for resident_children), e.g. {"notice_texts": 60}.
RETENTION_RULES: dict[str, int] = {}
# Extra days off of the civil service (ISO dates, e.g. the day next to 2/9 decided each
# year) counted when a rights request's 2-working-day deadline is computed; the built-in
# table is dentruong.privacy.holidays.PUBLIC_HOLIDAYS.
PUBLIC_HOLIDAYS_EXTRA: list[str] = [
    d for d in os.getenv("PUBLIC_HOLIDAYS_EXTRA", "").split(",") if d.strip()
]
