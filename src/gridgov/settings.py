"""Settings for gridgov. Defaults give the embedded SQLite database and the demo town, so the
first README command needs nothing; every deployment difference comes from the environment."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import xstatic.pkg.leaflet
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("GRIDGOV_VAR_DIR", REPO_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, file_name: str) -> str:
    """A secret from the environment, or one generated once and kept in var/ for local use."""
    raw = os.environ.get(name)
    if raw:
        return raw
    path = VAR_DIR / file_name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(50)
    path.write_text(value)
    path.chmod(0o600)
    return value


def tile_origins(url_template: str) -> list[str]:
    """The CSP source of a Leaflet tile URL template (`https://t{s}.tianditu.gov.cn/...`)."""
    if not url_template:
        return []
    parts = urlsplit(url_template.replace("{s}", "x"))
    host = url_template.split("//", 1)[-1].split("/", 1)[0]
    if "{s}" in host:
        return [f"{parts.scheme}://*.{host.split('.', 1)[1]}"]
    return [f"{parts.scheme}://{parts.netloc}"]


def parse_database_url(url: str) -> dict[str, object]:
    """`sqlite:///relative.db`, `sqlite:////abs/path.db` or `postgres://user:pw@host:port/name`."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        name = unquote(parts.path[1:] if parts.path.startswith("/") else parts.path)
        if not name:
            raise ImproperlyConfigured("DATABASE_URL sqlite:/// needs a file name")
        if name != ":memory:" and not Path(name).is_absolute():
            name = str(REPO_DIR / name)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # IMMEDIATE takes the write lock at BEGIN, so two writers queue instead of one
            # failing half-way with "database is locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            "TEST": {"NAME": os.environ.get("GRIDGOV_TEST_SQLITE") or None},
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")) or "gridgov",
            "USER": unquote(parts.username or "postgres"),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "127.0.0.1",
            "PORT": str(parts.port or 5432),
            "CONN_MAX_AGE": env_int("GRIDGOV_CONN_MAX_AGE", 0),
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parts.scheme!r} is not supported")


DEBUG = env_bool("GRIDGOV_DEBUG", False)
SECRET_KEY = env_secret("GRIDGOV_SECRET_KEY", "secret_key")
ALLOWED_HOSTS = env_list("GRIDGOV_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("GRIDGOV_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "gridgov.core.vendor_apps.TaskResultsAppConfig",
    "gridgov.core.vendor_apps.AuditLogAppConfig",
    "gridgov.core",
    "gridgov.grids",
    "gridgov.people",
    "gridgov.cases",
    "gridgov.registry",
    "gridgov.fieldwork",
    "gridgov.hotline",
    "gridgov.open311",
    "gridgov.oversight",
    "gridgov.reports",
    "gridgov.web",
    "gridgov.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "gridgov.core.inputguard.RejectNulMiddleware",
    "gridgov.core.openapi.JsonFormMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "gridgov.people.middleware.PasswordChangeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "gridgov.urls"
WSGI_APPLICATION = "gridgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    }
]

DATABASES = {
    "default": parse_database_url(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'gridgov.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# zh-hans is the default UI language; source strings are Chinese and locale/en translates them.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
# Stored in UTC, shown in Asia/Shanghai.
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves from the finders and warns about a missing root: keep the root present.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [
    PACKAGE_DIR / "static",
    ("vendor/echarts", REPO_DIR / "frontend" / "node_modules" / "echarts" / "dist"),
    ("vendor/leaflet", Path(xstatic.pkg.leaflet.BASE_DIR)),
]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("GRIDGOV_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Background jobs go through the database queue, run by `gridgov run-tasks` (started by `serve`).
# GRIDGOV_TASKS_BACKEND=django_tasks.backends.immediate.ImmediateBackend runs them in-process
# (the tests' fixture does the same).
TASKS = {
    "default": {
        "BACKEND": os.environ.get("GRIDGOV_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}

# Deployment facts that appear on pages and boards; rows in tables where they vary per grid.
GRIDGOV = {
    "HOTLINE": os.environ.get("GRIDGOV_HOTLINE", "12345"),
    "MAP_TILE_URL": os.environ.get("GRIDGOV_MAP_TILE_URL", ""),
    "MAP_TILE_ATTRIBUTION": os.environ.get("GRIDGOV_MAP_TILE_ATTRIBUTION", ""),
    "COVERAGE_TOLERANCE_M2": float(os.environ.get("GRIDGOV_COVERAGE_TOLERANCE_M2", "1.0")),
}

# Periodic jobs: the scheduler (`gridgov scheduler`) only enqueues these idempotent tasks.
# Each entry: dotted path of a django-tasks task and an APScheduler interval in minutes.
# Catch-up: a run missed while the scheduler was down is enqueued once when it starts again.
GRIDGOV_SCHEDULE: list[dict[str, object]] = [
    {"task": "gridgov.core.tasks.retry_outbound", "minutes": 5},
    {"task": "gridgov.core.tasks.check_calendar_coverage", "minutes": 24 * 60},
    {"task": "gridgov.cases.tasks.sweep_deadlines", "minutes": 5},
    # Idempotent: makes last calendar week's back-tracing round once (hotline/tasks.py).
    {"task": "gridgov.hotline.tasks.weekly_crosscheck", "minutes": 60},
    {"task": "gridgov.oversight.tasks.evaluate_warning_rules", "minutes": 10},
    {"task": "gridgov.hotline.tasks.quarterly_tier_proposal", "minutes": 24 * 60},
    # Idempotent: patrol days made stale by uploads, and this period's visit plans (issue 11).
    {"task": "gridgov.fieldwork.nightly.refresh_patrol_days", "minutes": 24 * 60},
    {"task": "gridgov.fieldwork.nightly.generate_visit_plans", "minutes": 24 * 60},
    # Idempotent: flags each hazard past its rectification deadline once (issue 11).
    {"task": "gridgov.fieldwork.safety.tasks.sweep_hazard_deadlines", "minutes": 15},
    # Idempotent: freezes finished months into the statistics' Parquet snapshot (issue 13).
    {"task": "gridgov.reports.tasks.refresh_stats_snapshot", "minutes": 24 * 60},
]

# The statistics' Parquet snapshot of finished months (reports/snapshot.py).
GRIDGOV_STATS_SNAPSHOT_DIR = Path(
    os.environ.get("GRIDGOV_STATS_SNAPSHOT_DIR", VAR_DIR / "stats-snapshot")
)

# Working periods of a working day, for limits in working hours (STANDARDS.md).
GRIDGOV_WORK_HOURS = os.environ.get("GRIDGOV_WORK_HOURS", "08:30-12:00,13:30-17:30")

# Copies of inbox notifications sent outside (SMS, WeChat): a class with
# `send(OutgoingMessage) -> SendResult`, see gridgov/core/notify.py. The default only logs.
GRIDGOV_OUTBOUND_SENDER = os.environ.get(
    "GRIDGOV_OUTBOUND_SENDER", "gridgov.core.notify.LoggingSender"
)
GRIDGOV_OUTBOUND_MAX_ATTEMPTS = env_int("GRIDGOV_OUTBOUND_MAX_ATTEMPTS", 5)
# Prefix that turns inbox links into absolute links in outbound messages (https://grid.example).
GRIDGOV_PUBLIC_URL = os.environ.get("GRIDGOV_PUBLIC_URL", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("GRIDGOV_LOG_LEVEL", "WARNING")},
    "loggers": {
        "gridgov": {"level": os.environ.get("GRIDGOV_LOG_LEVEL", "INFO"), "propagate": True},
    },
}

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

SITE_NAME = _("网格化服务管理平台")

# Log-in throttling (django-axes, gridgov/core/lockout.py): failures are counted per user name
# and per address in the database, so all workers and servers share the count.
INSTALLED_APPS += ["gridgov.core.vendor_apps.LoginAttemptsAppConfig"]
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", *AUTHENTICATION_BACKENDS]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("GRIDGOV_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GRIDGOV_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_LOCKOUT_CALLABLE = "gridgov.core.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "gridgov.core.lockout.client_ip"
AXES_ENABLE_ADMIN = False  # gridgov.core.admin registers it with an audited unlock action
AXES_VERBOSE = False

# Shared cache: the per-address throttles (core.throttle) must count across all gunicorn workers
# and app servers. The database cache by default (its table is created by `migrate`, see
# core.apps); Redis when GRIDGOV_REDIS_URL is set (redis://host:6379/0).
GRIDGOV_REDIS_URL = os.environ.get("GRIDGOV_REDIS_URL", "")
CACHE_TABLE = "gridgov_cache"
DATABASE_CACHE: dict[str, object] = {
    "BACKEND": "django.core.cache.backends.db.DatabaseCache",
    "LOCATION": CACHE_TABLE,
    # Culling at the default 300 rows would drop live throttle counters under a flood.
    "OPTIONS": {"MAX_ENTRIES": 200_000, "CULL_FREQUENCY": 4},
}
# "database" is always configured, so its table exists whichever cache is the default.
CACHES: dict[str, dict[str, object]] = {"default": DATABASE_CACHE, "database": DATABASE_CACHE}
if GRIDGOV_REDIS_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": GRIDGOV_REDIS_URL,
        "KEY_PREFIX": "gridgov",
    }

# Security headers. The CSP allows scripts from our own origin only (no inline script: page data
# travels in json_script blocks and data- attributes; a future inline script takes the nonce,
# `request.csp_nonce`). Inline styles stay allowed: Leaflet, ECharts and htmx set them.
INSTALLED_APPS += ["csp", "ninja"]  # ninja: the API docs from its own static files, not a CDN
# Outermost but for SecurityMiddleware: answers made by inner middleware (axes' lockout page)
# get the policy too.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
    "csp.middleware.CSPMiddleware",
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *tile_origins(str(GRIDGOV["MAP_TILE_URL"]))],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind TLS (GRIDGOV_HTTPS=1): cookies only over HTTPS, HSTS, and the proxy's
# X-Forwarded-Proto trusted to say the request came in over HTTPS (the proxy must set it).
GRIDGOV_HTTPS = env_bool("GRIDGOV_HTTPS", False)
if GRIDGOV_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("GRIDGOV_HTTPS_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("GRIDGOV_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
# Open311 GeoReport v2 (gridgov.open311): the jurisdiction_id clients send (default: the codes
# of the top regions); POSTs per key and reads per address per minute.
GRIDGOV_OPEN311_JURISDICTION = os.environ.get("GRIDGOV_OPEN311_JURISDICTION", "")
GRIDGOV_OPEN311_KEY_LIMIT = env_int("GRIDGOV_OPEN311_KEY_LIMIT", 60)
GRIDGOV_OPEN311_READ_LIMIT = env_int("GRIDGOV_OPEN311_READ_LIMIT", 300)
