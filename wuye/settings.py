"""Django settings. The database comes from WUYE_DATABASE_URL (or DATABASE_URL);
without one, wuye uses the embedded SQLite file ./wuye.sqlite3."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("WUYE_SECRET_KEY", "wuye-development-only-not-secret")
DEBUG = os.environ.get("WUYE_DEBUG", "") == "1"
ALLOWED_HOSTS = os.environ.get("WUYE_ALLOWED_HOSTS", "localhost,127.0.0.1").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_htmx",
    "django_tasks",  # Django's tasks framework (backport) and its database queue (issue 7)
    "django_tasks_db",
    "wuye.policies",
    "wuye.workdays",
    "wuye.properties",
    "wuye.billing",
    "wuye.ledger",
    "wuye.payments",
    "wuye.imports",
    "wuye.dunning",
    "wuye.approvals",
    "wuye.documents",
    "wuye.collection",
    "wuye.messaging",
    "wuye.legal",
    "wuye.reports",
    "wuye.rounds",
    "wuye.scheduler",  # bill/dunning runs per project on the task queue (issue 7)
    "wuye.api",  # the REST API under /api/v1/ (issue 6)
    "wuye.web",  # last: its post-migrate step assigns the other apps' permissions to roles
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files under `wuye serve`
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wuye.web.middleware.StaffLanguageMiddleware",  # 繁體 unless chosen
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "wuye.urls"
WSGI_APPLICATION = "wuye.wsgi.application"
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("WUYE_STATIC_ROOT", Path.cwd() / "wuye-static"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"


def _database() -> dict:
    url = os.environ.get("WUYE_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=0)
    else:
        path = Path(os.environ.get("WUYE_SQLITE_PATH", Path.cwd() / "wuye.sqlite3"))
        config = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # IMMEDIATE: a writer takes the lock when its transaction starts, so concurrent
        # writers queue up instead of failing half-way (issue 2, stack).
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        config.setdefault("TEST", {})["NAME"] = None  # in-memory for tests
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # no JIT: compiling a list page's query cost 185 ms of its 191 ms (issue 6)
        # (a URL's own ?options= come after it, so they still win)
        options = config.setdefault("OPTIONS", {})
        options["options"] = " ".join(filter(None, ["-c jit=off", options.get("options")]))
    return config


DATABASES = {"default": _database()}
# The task queue (issue 7, docs/scaling.md): rows in the same database, run by `wuye worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", "繁體中文"), ("zh-hans", "简体中文"), ("en", "English")]
# The staff pages are written in Traditional Chinese (the msgids); locale/ holds the
# Simplified Chinese and English translations (`scripts/translations` refreshes them).
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("WUYE_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# Printed documents (issue 4): an administrator overrides a shipped template by putting a
# file of the same name (e.g. notice.html) in WUYE_TEMPLATE_DIR (several: os.pathsep);
# those directories are searched before the templates shipped in wuye/documents/templates.
WUYE_TEMPLATE_DIRS = [
    Path(p) for p in os.environ.get("WUYE_TEMPLATE_DIR", "").split(os.pathsep) if p.strip()
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": WUYE_TEMPLATE_DIRS,
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wuye.web.context.staff",
            ]
        },
    }
]

# The REST API (issue 6, docs/api.md): token or session authentication, JSON only, errors
# in wuye's shape (wuye.api.errors), amounts as strings with 2 decimals, dates ISO.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # first: its "WWW-Authenticate: Token" makes an unauthenticated request a 401
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "wuye.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "DATE_FORMAT": "iso-8601",
    "DATE_INPUT_FORMATS": ["iso-8601"],
    "DEFAULT_THROTTLE_RATES": {"token": "30/minute"},  # POST /api/v1/token/ per address
}
SPECTACULAR_SETTINGS = {
    "TITLE": "wuye 物業 API",
    "DESCRIPTION": "Property-fee billing and collections: projects, units, accounts and "
    "statements, bills, payments, dunning runs, notices and the day's tasks (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "ProjectKindEnum": "wuye.properties.models.Project.Kind",
        "UnitKindEnum": "wuye.properties.models.Unit.Kind",
        "CustomerKindEnum": "wuye.properties.models.Customer.Kind",
        "BillStatusEnum": "wuye.billing.models.Bill.Status",
        "NoticeStatusEnum": "wuye.dunning.models.Notice.Status",
        "PaymentMethodEnum": "wuye.payments.models.Payment.Method",
    },
}
