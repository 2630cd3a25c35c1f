"""Settings for gridgov. Defaults give the embedded SQLite database and the demo town, so the
first README command needs nothing; every deployment difference comes from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

import xstatic.pkg.leaflet
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
]

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
