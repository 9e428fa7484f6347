"""Breesy desk settings: every knob comes from the environment, with safe local defaults.

See `.env.example` for the full list. Without `DATABASE_URL` the app runs on SQLite under `var/`.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.production import fernet_key_valid

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def _env_parsed(name: str, default, parse, kind: str):
    """The variable read by `parse`, `default` when unset or empty; a value `parse` refuses stops the
    app with the variable's name, what it should be and what it was."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return parse(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, got {value!r}") from None


def _bool(value: str) -> bool:
    words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
    if value.lower() not in words:
        raise ValueError(value)
    return words[value.lower()]


def envbool(name: str, default: bool) -> bool:
    return _env_parsed(name, default, _bool, "a boolean (true/false)")


def envint(name: str, default: int) -> int:
    return _env_parsed(name, default, int, "an integer")


def envfloat(name: str, default: float) -> float:
    return _env_parsed(name, default, float, "a number")


def envlist(name: str, default: str) -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

_INSECURE_KEY = "django-insecure-local-development-only"
SECRET_KEY = env("SECRET_KEY", _INSECURE_KEY if DEBUG else "")
# 50+ characters of 5+ kinds: what `check --deploy` asks of a key (security.W009).
if not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters when DEBUG is off")

# Keys of the encrypted fields (config/fields.py): comma-separated Fernet keys, newest first. New values
# are written under the first; any of them reads. Rotate: put a new key first, run
# `manage.py rotate_encryption_keys`, then drop the old one.
FIELD_ENCRYPTION_KEYS = envlist("FIELD_ENCRYPTION_KEYS", "")
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS must be set when DEBUG is off (comma-separated Fernet keys, newest first; make one"
            " with: python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
        )
    # Development only: a key derived from SECRET_KEY, so `make run` and the tests need no setup.
    _digest = hashlib.sha256(b"breesy-desk field encryption\0" + SECRET_KEY.encode()).digest()
    FIELD_ENCRYPTION_KEYS = [base64.urlsafe_b64encode(_digest).decode()]
for _number, _key in enumerate(FIELD_ENCRYPTION_KEYS, 1):
    if not fernet_key_valid(_key):  # never echo the key itself
        raise ImproperlyConfigured(
            f"FIELD_ENCRYPTION_KEYS: key {_number} is not a Fernet key (url-safe base64 of 32 bytes)"
        )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", SITE_URL)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    "csp",
    "django_q",
    "ninja",
    "axes",  # staff sign-in throttle
    "franchises",
    "calls",
    "contacts",
    "dialer",
    "demo",  # demo data for `make run`; composes every app above
]

MIDDLEWARE = [
    "config.proxies.TrustedProxyMiddleware",  # first: everything after reads the client's real address
    "config.request_log.RequestLogMiddleware",  # off unless REQUEST_LOG (on when DEBUG is off)
    "config.health.HealthCheckMiddleware",  # /healthz, before the host check and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.nul.RefuseNulMiddleware",  # before anything reads input into a query
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "config.middleware.PrivatePagesMiddleware",  # Cache-Control: private, no-store for signed-in people
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.StaticPolicyCSPMiddleware",  # django-csp's, building the header once
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a locked-out sign-in into its page
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
                "csp.context_processors.nonce",
                "franchises.access.workspace",
                "dialer.context_processors.queue_count",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "config.postgresql"  # Django's, with faster timestamps
        # Parameters bound by the server, and a statement prepared on its second use per connection:
        # the hot API statements skip PostgreSQL's parse and plan. (Behind a transaction-pooling
        # PgBouncer, prepared statements need its max_prepared_statements, 1.21 or later.)
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=2)
        # No JIT: the planner compiles any query it guesses costly, and a staff page's query of a
        # few milliseconds' real work (the call-back queue at a million calls) paid 200 ms for it.
        DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")
else:
    VAR_DIR.mkdir(exist_ok=True)
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": VAR_DIR / "db.sqlite3"}}

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Concurrent writers need WAL, IMMEDIATE transactions and a busy timeout; without them parallel
    # requests fail with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
elif envbool("DB_POOL", True):
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": envint("DB_POOL_MIN", 2),
        "max_size": envint("DB_POOL_MAX", 10),
        "timeout": 10,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, jobs ----------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

if not REDIS_URL:
    # The job cluster's heartbeat (its status, refreshed every half second, kept 3 s), which /healthz
    # reads from another process: Redis keeps it when configured, else a few files under var/.
    CACHES["jobs"] = {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache" / "jobs",
    }

Q_CLUSTER = {
    "name": "breesy",
    "workers": envint("Q_WORKERS", 2),
    "timeout": 120,
    "retry": 180,
    "max_attempts": 5,
    "catch_up": False,
    **({"redis": REDIS_URL} if REDIS_URL else {"orm": "default", "cache": "jobs"}),
}

# --- Auth, sessions, security --------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]
# Staff sign-in (/accounts/login/ and /admin/login/) is throttled by django-axes: after
# SIGNIN_FAILURE_LIMIT failures for one username, or from one client address, that username or address
# is refused for SIGNIN_COOLOFF_MINUTES (counted from the last failure), the right password included.
# The attempts live in the database, so every gunicorn worker and host counts the same failures.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = envint("SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("SIGNIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "franchises.signin.locked_out"  # a 429 page that says when to try again
AXES_ENABLE_ADMIN = False  # attempts are reset by `manage.py axes_reset`, not browsed by franchise staff
AXES_VERBOSE = False  # no banner at start-up; sign-ins and lockouts are still logged (logger "axes")
AXES_SENSITIVE_PARAMETERS: list[str] = []  # log who and from where (axes never logs a password)
# Each sign-in leaves a row (axes' AccessLog: who, when, from where); kept this many days, then deleted
# by the daily schedule franchises.signin_records_purge.
SIGNIN_LOG_DAYS = envint("SIGNIN_LOG_DAYS", 90)
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SITE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS: on by default in production (DEBUG off); SECURE_SSL_REDIRECT=false and SECURE_HSTS_SECONDS=0
# for a production-profile run without TLS on one machine (benchmarks, tests).
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
# Behind a proxy that terminates TLS: the header it sets on HTTPS requests, "X-Forwarded-Proto: https".
# Believed only from TRUSTED_PROXIES (config/proxies.py drops it from anyone else).
_ssl_header = env("SECURE_PROXY_SSL_HEADER")
if _ssl_header:
    _name, _, _value = _ssl_header.partition(":")
    if not _name.strip() or not _value.strip():
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', got {_ssl_header!r}"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
# Reverse proxies (addresses or networks) whose X-Forwarded-For / -Proto we believe; nobody else's.
TRUSTED_PROXIES = envlist("TRUSTED_PROXIES", "")
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from None

# Strict CSP: no inline script or style; everything comes from our own origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "media-src": ["'self'"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Static and media -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))  # make serve collects here; whitenoise serves it
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"  # never routed: recordings are streamed through authorised views only
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
# Recordings: the local disk under MEDIA_ROOT, or S3-compatible object storage when
# AWS_STORAGE_BUCKET_NAME is set (django-storages' own setting names; credentials may also come from
# boto3's usual chain, e.g. an instance role, when AWS_ACCESS_KEY_ID is unset).
AWS_STORAGE_BUCKET_NAME = env("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    from boto3.s3.transfer import TransferConfig
    from botocore.config import Config as BotoConfig

    RECORDINGS_STORAGE = {
        "BACKEND": "config.storage.RecordingsS3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": env("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env("AWS_S3_REGION_NAME") or None,
            "access_key": env("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env("AWS_SECRET_ACCESS_KEY") or None,
            "location": env("AWS_LOCATION"),  # a key prefix inside the bucket, e.g. "recordings"
            "file_overwrite": False,  # like the local disk: a clash gets a new name, never a lost file
            "querystring_auth": False,
            "client_config": BotoConfig(
                signature_version="s3v4",
                s3={"addressing_style": env("AWS_S3_ADDRESSING_STYLE", "auto")},
                connect_timeout=5,
                read_timeout=envint("AWS_S3_TIMEOUT", 10),
                retries={"mode": "standard", "max_attempts": 3},
            ),
            # Writes go up in 8 MB parts read one at a time from the file: memory stays flat however
            # long the recording (at most max_concurrency parts in flight).
            "transfer_config": TransferConfig(
                multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024, max_concurrency=4
            ),
        },
    }
else:
    RECORDINGS_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": RECORDINGS_STORAGE,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- I18n -------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Product knobs ----------------------------------------------------------------------------------
DEFAULT_FRANCHISE_TIMEZONE = env("DEFAULT_FRANCHISE_TIMEZONE", "America/New_York")
DEFAULT_PHONE_REGION = env("DEFAULT_PHONE_REGION", "US")
API_RATE_LIMIT_PER_MINUTE = envint("API_RATE_LIMIT_PER_MINUTE", 60)
API_RATE_LIMIT_PER_DAY = envint("API_RATE_LIMIT_PER_DAY", 5000)
API_AUTH_FAILURES_PER_MINUTE = envint("API_AUTH_FAILURES_PER_MINUTE", 30)
# Key prefix of the rate-limit counters in Redis (several apps may share one Redis).
API_RATE_LIMIT_REDIS_PREFIX = env("API_RATE_LIMIT_REDIS_PREFIX", "breesy:rl:")
# `page_size` of the API's lists when a client gives none; the spec caps it at 200.
API_DEFAULT_PAGE_SIZE = envint("API_DEFAULT_PAGE_SIZE", 100)
API_MAX_PAGE_SIZE = 200
if not 1 <= API_DEFAULT_PAGE_SIZE <= API_MAX_PAGE_SIZE:
    raise ImproperlyConfigured(f"API_DEFAULT_PAGE_SIZE must be between 1 and {API_MAX_PAGE_SIZE}")
# Off only to measure what the limiter costs (bench); production keeps it on.
API_RATE_LIMIT_ENABLED = envbool("API_RATE_LIMIT_ENABLED", True)
PHONEBURNER_BASE_URL = env("PHONEBURNER_BASE_URL", "https://www.phoneburner.com").rstrip("/")
# PhoneBurner writes its times without an offset ("2023-08-06 10:59:53"); they are read in this zone.
PHONEBURNER_TIME_ZONE = env("PHONEBURNER_TIME_ZONE", "America/New_York")
try:
    ZoneInfo(PHONEBURNER_TIME_ZONE)
except (ZoneInfoNotFoundError, ValueError):
    raise ImproperlyConfigured(f"PHONEBURNER_TIME_ZONE is not a time zone: {PHONEBURNER_TIME_ZONE!r}") from None
OUTBOUND_HTTP_TIMEOUT = envfloat("OUTBOUND_HTTP_TIMEOUT", 10.0)
# Hosts (`host` or `host:port`) exempt from the outbound guard's address and port rules (config/outbound.py):
# for local development and tests only, e.g. 127.0.0.1. Empty in production.
OUTBOUND_ALLOWED_HOSTS = envlist("OUTBOUND_ALLOWED_HOSTS", "")
# The voice-agent webhook's audio fetch (calls/recording_fetch.py): the largest file taken, and how
# long a fetch that keeps failing is retried (with backoff) before it is marked failed.
RECORDING_FETCH_MAX_BYTES = envint("RECORDING_FETCH_MAX_BYTES", 100 * 1024 * 1024)
RECORDING_FETCH_RETRY_HOURS = envfloat("RECORDING_FETCH_RETRY_HOURS", 6.0)

# One line per request on stdout (config/request_log.py): on in production, off by default in development.
REQUEST_LOG = envbool("REQUEST_LOG", not DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line"},
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # httpx logs every request's full URL at INFO; a URL can carry a credential (a signed audio link).
    "loggers": {
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "breesy.requests": {"handlers": ["stdout"], "level": "INFO", "propagate": False},
        # With the request log on, a 4xx is its line alone (Django would add "Not Found: /x"); a 5xx
        # still logs its traceback.
        **({"django.request": {"level": "ERROR"}} if REQUEST_LOG else {}),
    },
}
