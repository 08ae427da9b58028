"""One settings file, driven by environment variables.

Defaults make `make run` work with nothing configured: SQLite under ./var, console SMS, debug on
only when MINQING_DEBUG=1. A real deployment sets MINQING_SECRET_KEY, DATABASE_URL,
MINQING_ALLOWED_HOSTS and leaves debug off.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("MINQING_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("MINQING_DEBUG")
SECRET_KEY = os.environ.get("MINQING_SECRET_KEY") or "insecure-dev-key-set-MINQING_SECRET_KEY-in-production"
# A deployment (its own secret key, debug off) must protect /metrics with a token: behind a reverse proxy
# on the same machine every visitor looks like 127.0.0.1, so "only this machine" protects nothing.
METRICS_TOKEN = os.environ.get("MINQING_METRICS_TOKEN", "").strip()
if os.environ.get("MINQING_SECRET_KEY") and not DEBUG and len(METRICS_TOKEN) < 16:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("生产环境必须设置 MINQING_METRICS_TOKEN（至少 16 个字符的随机串），/metrics 凭它抓取。"
                               " Set MINQING_METRICS_TOKEN (16+ random characters) in production.")
ALLOWED_HOSTS = [h for h in os.environ.get("MINQING_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("MINQING_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "minqing.accounts.apps.AdminSiteConfig",  # django.contrib.admin, behind the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "minqing.org",
    "minqing.accounts",
    "minqing.notifications",
    "minqing.tickets",
    "minqing.meetings",
    "minqing.partnership",
    "minqing.triage",
    "minqing.api",
    "minqing.ops",
    "minqing.evaluation",
    "minqing.governance",
    "minqing.grid",
]

# The pages' whole stack. The JSON interfaces and the probes run only what they use (the groups below,
# minqing/ops/lean.py: one handler per group, chosen by path in minqing.wsgi).
MIDDLEWARE = [
    "minqing.ops.middleware.DatabaseUnavailableMiddleware",
    "minqing.ops.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "minqing.accounts.middleware.PasswordChangeRequired",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
]
_JSON_BASE = [
    "minqing.ops.middleware.DatabaseUnavailableMiddleware",
    "minqing.ops.middleware.RefuseNulMiddleware",
    "django.middleware.security.SecurityMiddleware",
]
MINQING_MIDDLEWARE_BY_PATH = [
    # Open311: public, authenticated by its api_key; JSON or XML, never HTML.
    (("/open311/",), (), _JSON_BASE),
    # The JSON API: a bearer token, or the session (ninja checks CSRF for session callers); the HTML docs
    # page keeps the whole stack (CSP, frame options).
    (("/api/",), ("/api/v1/docs", "/api/v1/openapi"), [
        *_JSON_BASE,
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "minqing.accounts.middleware.PasswordChangeRequired",
    ]),
    # Liveness and readiness probes answer plain text and touch no session.
    (("/healthz", "/readyz"), (), ["minqing.ops.middleware.DatabaseUnavailableMiddleware"]),
]

ROOT_URLCONF = "minqing.urls"
WSGI_APPLICATION = "minqing.wsgi.application"

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
                "minqing.accounts.context.viewer",
                "minqing.menu.menu",
                "minqing.notifications.context.unread",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'minqing.sqlite3'}",
        # Connections are kept (a new one per request re-ran the PRAGMAs / the PostgreSQL handshake: a
        # quarter of a by-id GET) and checked before each request reuses them, so a restarted database
        # costs one reconnect, not an error.
        conn_max_age=int(os.environ.get("MINQING_DB_CONN_MAX_AGE", "600")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on busy_timeout instead of failing with "database is locked" on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# A read replica (PostgreSQL streaming replica) for dashboards, statistics and exports. Everything
# else, and every write, stays on the primary. Tests mirror it onto the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"],
                                conn_max_age=int(os.environ.get("MINQING_DB_CONN_MAX_AGE", "600")),
                                conn_health_checks=True),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["minqing.lib.db.PrimaryOnly"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "workbench"
LOGOUT_REDIRECT_URL = "login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # older hashes still verify, then upgrade
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # counts failed logins and locks out
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one account from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("MINQING_LOGIN_FAILURES", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("MINQING_LOCKOUT_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_RESET_ON_SUCCESS = True
# Behind a reverse proxy: its addresses (comma-separated, networks allowed). Only then is X-Forwarded-For
# read, so the login lockout and the residents' limits count each client, not the proxy.
TRUSTED_PROXIES = [p for p in os.environ.get("MINQING_TRUSTED_PROXIES", "").split(",") if p.strip()]
AXES_CLIENT_IP_CALLABLE = "minqing.lib.net.client_ip"
# Webhooks never go to this machine or internal networks (loopback, private, link-local…) unless listed here.
WEBHOOK_PRIVATE_ALLOWED = [p for p in os.environ.get("MINQING_WEBHOOK_PRIVATE_ALLOWED", "").split(",") if p.strip()]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("MINQING_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every start when it is missing
MEDIA_ROOT = Path(os.environ.get("MINQING_MEDIA_ROOT", VAR_DIR / "media"))
MEDIA_URL = "/media/"  # never served directly: attachments go through a view that checks access
WHITENOISE_USE_FINDERS = True  # serve static files without a collectstatic step in development

SESSION_COOKIE_AGE = int(os.environ.get("MINQING_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
CSRF_FAILURE_VIEW = "minqing.ops.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("MINQING_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MINQING_HSTS_SUBDOMAINS", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Intranet hosts cannot be submitted to the browsers' public HSTS preload list.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Content Security Policy: scripts, styles, images and forms only from this site; no frames, no plugins.
# Every page's script lives in static/ (no inline script or style); the OpenAPI page's Swagger UI
# needs inline code and is left out.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MINQING_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Background work: a database queue, worked by `manage.py db_worker` (a separate process).
TASKS = {"default": {"BACKEND": os.environ.get("MINQING_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

EMAIL_BACKEND = os.environ.get("MINQING_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("MINQING_FROM_EMAIL", "minqing@localhost")
EMAIL_HOST = os.environ.get("MINQING_EMAIL_HOST", "localhost")

# SMS: the console backend logs; the HTTP gateway backend needs URL and KEY (and template ids).
MINQING_SMS: dict[str, Any] = {
    "BACKEND": os.environ.get("MINQING_SMS_BACKEND", "minqing.notifications.backends.ConsoleSMSBackend"),
    "URL": os.environ.get("MINQING_SMS_URL", ""),
    "KEY": os.environ.get("MINQING_SMS_KEY", ""),
    "TEMPLATE_IDS": dict(
        pair.split("=", 1) for pair in os.environ.get("MINQING_SMS_TEMPLATE_IDS", "").split(",") if "=" in pair
    ),
}
# The 12345 platform connector (minqing/api/platform12345.py): off while URL is empty. PROFILE names the field
# mapping and endpoints (api/platform12345.PROFILES); FIELDS and ENDPOINTS (JSON) override parts of it.
MINQING_12345: dict[str, Any] = {
    "URL": os.environ.get("MINQING_12345_URL", ""),
    "KEY": os.environ.get("MINQING_12345_KEY", ""),
    "PROFILE": os.environ.get("MINQING_12345_PROFILE", "db36"),
    "FIELDS": json.loads(os.environ.get("MINQING_12345_FIELDS", "{}")),
    "ENDPOINTS": json.loads(os.environ.get("MINQING_12345_ENDPOINTS", "{}")),
    # Orders whose 行政区划 is another district's are refused (empty: any).
    "DISTRICT": os.environ.get("MINQING_12345_DISTRICT", ""),
    # The category of an order whose 诉求分类 matches none of ours (a second-level category code).
    "DEFAULT_CATEGORY": os.environ.get("MINQING_12345_DEFAULT_CATEGORY", ""),
    "TIMEOUT": float(os.environ.get("MINQING_12345_TIMEOUT", "10")),
    "MAX_ATTEMPTS": int(os.environ.get("MINQING_12345_MAX_ATTEMPTS", "20")),
    "PULL_INTERVAL": float(os.environ.get("MINQING_12345_PULL_INTERVAL", "60")),
}
# The public address residents' SMS links point to.
PUBLIC_BASE_URL = os.environ.get("MINQING_PUBLIC_URL", "http://127.0.0.1:8000")

# --- The pipeline's own settings -------------------------------------------------------------
MINQING: dict[str, Any] = {
    # Working hours in Asia/Shanghai: a working day is the sum of these periods.
    "WORKING_PERIODS": os.environ.get("MINQING_WORKING_PERIODS", "08:30-12:00,14:30-18:00"),
    # A clock turns yellow once this share of its working time is used.
    "WARN_RATIO": float(os.environ.get("MINQING_WARN_RATIO", "0.8")),
    # How long a worker keeps reference data (area tree, catalogue, deadline policies, offices) before
    # reading it again; a change saved in the same process is seen at once (minqing/lib/memo.py).
    "MEMO_SECONDS": float(os.environ.get("MINQING_MEMO_SECONDS", "60")),
    "ATTACHMENT_MAX_BYTES": int(os.environ.get("MINQING_ATTACHMENT_MAX_BYTES", str(10 * 1024 * 1024))),
    "ATTACHMENT_MAX_COUNT": int(os.environ.get("MINQING_ATTACHMENT_MAX_COUNT", "9")),
    # Pixels a photo may have (read from its header, before decoding): 25 MP is a 6000×4000 camera photo.
    "ATTACHMENT_MAX_PIXELS": int(os.environ.get("MINQING_ATTACHMENT_MAX_PIXELS", str(25_000_000))),
    # A photo up to this many pixels is re-encoded in the request (a few milliseconds); a larger one by the
    # background worker, shown as 处理中 until it is done.
    "ATTACHMENT_INLINE_PIXELS": int(os.environ.get("MINQING_ATTACHMENT_INLINE_PIXELS", str(2_000_000))),
    "TEXT_MAX_LENGTH": int(os.environ.get("MINQING_TEXT_MAX_LENGTH", "2000")),
    # Spreadsheet imports (12345 work orders, unit lists) are refused, with the reason and before anything is
    # written, over these: the file and the sum of its parts uncompressed, one part uncompressed (a sheet
    # of 100,000 work orders written by openpyxl or POI is about 85 MB), data rows, columns, characters in a
    # cell (Excel's own limit).
    "IMPORT_MAX_BYTES": int(os.environ.get("MINQING_IMPORT_MAX_BYTES", str(200 * 1024 * 1024))),
    "IMPORT_MAX_MEMBER_BYTES": int(os.environ.get("MINQING_IMPORT_MAX_MEMBER_BYTES", str(100 * 1024 * 1024))),
    "IMPORT_MAX_ROWS": int(os.environ.get("MINQING_IMPORT_MAX_ROWS", "200000")),
    "IMPORT_MAX_COLUMNS": int(os.environ.get("MINQING_IMPORT_MAX_COLUMNS", "60")),
    "IMPORT_MAX_CELL_CHARS": int(os.environ.get("MINQING_IMPORT_MAX_CELL_CHARS", "32767")),
    # Reporters' personal data is erased this many days after a request is finished (manage.py retention).
    "RETENTION_DAYS": int(os.environ.get("MINQING_RETENTION_DAYS", "730")),
    # How long a task worker holds a message it is sending before the sweep may queue it again.
    "OUTBOX_LEASE_SECONDS": int(os.environ.get("MINQING_OUTBOX_LEASE_SECONDS", "600")),
    "NUMBER_PREFIX": os.environ.get("MINQING_NUMBER_PREFIX", "MQ"),
    # Callbacks are due this many working days after a request is resolved.
    "CALLBACK_DAYS": float(os.environ.get("MINQING_CALLBACK_DAYS", "3")),
    # Supervision orders: working days to reply, by grade.
    "ORDER_REPLY_DAYS": {"normal": 3, "yellow": 2, "red": 1},
    # Duplicates are looked for among requests of the last so many days; a suggestion above this
    # confidence fills the category in.
    "DUPLICATE_WINDOW_DAYS": int(os.environ.get("MINQING_DUPLICATE_WINDOW_DAYS", "60")),
    "SUGGEST_FILL_CONFIDENCE": float(os.environ.get("MINQING_SUGGEST_FILL_CONFIDENCE", "0.6")),
    # API rate limits per client (anonymous: per address; signed in: per user or token).
    "API_ANON_RATE": os.environ.get("MINQING_API_ANON_RATE", "60/m"),
    "API_AUTH_RATE": os.environ.get("MINQING_API_AUTH_RATE", "600/m"),
    # The sweep loop's pause between passes, in seconds.
    "SWEEP_INTERVAL": float(os.environ.get("MINQING_SWEEP_INTERVAL", "30")),
    # Evaluation (考核评价): how much a "基本满意" counts in 满意率, and the composite's weights for
    # 响应率, 解决率 and 满意率 (Beijing's practice: 0.1, 0.5, 0.4).
    "BASIC_SATISFIED_WEIGHT": float(os.environ.get("MINQING_BASIC_SATISFIED_WEIGHT", "0.9")),
    "SCORE_WEIGHTS": tuple(float(w) for w in os.environ.get("MINQING_SCORE_WEIGHTS", "0.1,0.5,0.4").split(",")),
    # Accountability (压实责任): return applications a request may have; what makes a 问题工单 (units it passed
    # through, reworks); failed callback attempts (at least this many minutes apart) before 无效回访; the
    # share of callbacks re-called for a re-check; 响应率 measured by contact (是否联系, Beijing), sign or mixed.
    "RETURN_LIMIT": int(os.environ.get("MINQING_RETURN_LIMIT", "2")),
    "PROBLEM_UNITS": int(os.environ.get("MINQING_PROBLEM_UNITS", "3")),
    "PROBLEM_REWORKS": int(os.environ.get("MINQING_PROBLEM_REWORKS", "3")),
    "CALLBACK_ATTEMPTS": int(os.environ.get("MINQING_CALLBACK_ATTEMPTS", "3")),
    "CALLBACK_ATTEMPT_GAP_MINUTES": int(os.environ.get("MINQING_CALLBACK_ATTEMPT_GAP_MINUTES", "120")),
    "RECHECK_SHARE": float(os.environ.get("MINQING_RECHECK_SHARE", "0.1")),
    "RESPONSE_RATE": os.environ.get("MINQING_RESPONSE_RATE", "contact"),
    # 先行联系: the holder contacts the reporter within this many hours of signing (natural hours).
    "CONTACT_HOURS": float(os.environ.get("MINQING_CONTACT_HOURS", "24")),
    # 待派单: an accepted request is dispatched within this many working hours.
    "DISPATCH_HOURS": float(os.environ.get("MINQING_DISPATCH_HOURS", "4")),
    # Urgent safety matters (a safety word in the text) run on natural time: response and resolution hours.
    "SAFETY_HOURS": tuple(float(h) for h in os.environ.get("MINQING_SAFETY_HOURS", "2,24").split(",")),
    # 吹哨报到: a summoned department signs, contacts the reporter, and is on site within these.
    "SUMMON_SIGN_HOURS": float(os.environ.get("MINQING_SUMMON_SIGN_HOURS", "1")),
    "SUMMON_CONTACT_HOURS": float(os.environ.get("MINQING_SUMMON_CONTACT_HOURS", "24")),
    "SUMMON_ONSITE_DAYS": float(os.environ.get("MINQING_SUMMON_ONSITE_DAYS", "3")),
}
