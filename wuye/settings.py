"""Django settings. The database comes from WUYE_DATABASE_URL (or DATABASE_URL);
without one, wuye uses the embedded SQLite file ./wuye.sqlite3.

WUYE_PRODUCTION=1 turns on production mode (issue 8, docs/deployment.md): the secret key,
the allowed hosts and the database must come from the environment (wuye refuses to start
without them), DEBUG is off and cookies, HSTS and the HTTPS redirect are secure; see the
end of this file."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PRODUCTION = os.environ.get("WUYE_PRODUCTION", "") == "1"
DEVELOPMENT_SECRET_KEY = "wuye-development-only-not-secret"
SECRET_KEY = os.environ.get("WUYE_SECRET_KEY", DEVELOPMENT_SECRET_KEY)
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
    "axes",  # login throttling on /login/, /admin/ and POST /api/v1/token/ (issue 8)
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
    "wuye.audit",  # append-only audit log, ledger triggers, `flush` for tests (issue 8)
    "wuye.api",  # the REST API under /api/v1/ (issue 6)
    "wuye.web",  # last: its post-migrate step assigns the other apps' permissions to roles
]
# a test snapshot of the seeded rows leaves the audit log out: reloading its rows with their
# ids after a flush would collide with PostgreSQL's reset id sequence (issue 8)
TEST_NON_SERIALIZED_APPS = ["wuye.audit"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files under `wuye serve`
    "django.contrib.sessions.middleware.SessionMiddleware",
    "wuye.web.middleware.StaffLanguageMiddleware",  # 繁體 unless chosen
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "wuye.audit.middleware.AuditActorMiddleware",  # the user is the audit actor (issue 8)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out login into the lockout page
]
# Login throttling (issue 8, django-axes): after WUYE_LOGIN_FAILURE_LIMIT failed logins of
# one user name from one address, each within WUYE_LOGIN_FAILURE_WINDOW minutes of the
# last, that user name is refused from that address for WUYE_LOGIN_LOCKOUT minutes, even
# with the right password (wuye.web.throttle). Another user (or the same user elsewhere)
# is not affected, so a guesser cannot lock staff out of the office. A success resets.
AUTHENTICATION_BACKENDS = [
    "wuye.web.throttle.LoginThrottle",  # first: refuses a locked-out login
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("WUYE_LOGIN_FAILURE_LIMIT", "5"))
WUYE_LOGIN_FAILURE_WINDOW = dt.timedelta(
    minutes=float(os.environ.get("WUYE_LOGIN_FAILURE_WINDOW", "15"))
)
AXES_COOLOFF_TIME = dt.timedelta(minutes=float(os.environ.get("WUYE_LOGIN_LOCKOUT", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "wuye.web.throttle.LoginAttempts"
AXES_LOCKOUT_CALLABLE = "wuye.web.throttle.lockout_response"
AXES_VERBOSE = False
ROOT_URLCONF = "wuye.urls"
WSGI_APPLICATION = "wuye.wsgi.application"
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("WUYE_STATIC_ROOT", Path.cwd() / "wuye-static"))
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "today"
LOGOUT_REDIRECT_URL = "login"


def _database(url: str | None = None) -> dict:
    url = url or os.environ.get("WUYE_DATABASE_URL") or os.environ.get("DATABASE_URL")
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
# Reports may read from a replica (wuye.replica, docs/scaling.md): WUYE_REPORTS_DATABASE_URL
if os.environ.get("WUYE_REPORTS_DATABASE_URL"):
    DATABASES["reports"] = _database(os.environ["WUYE_REPORTS_DATABASE_URL"])
    DATABASES["reports"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["wuye.replica.ReportsRouter"]
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


# --- production mode (issue 8, docs/deployment.md) ----------------------------------------
# `WUYE_PRODUCTION=1 wuye …` (and gunicorn's environment under `wuye serve`);
# `python -m django check --deploy` is clean with it (wuye/ops/tests/test_production.py).


def _required(name: str, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"WUYE_PRODUCTION=1: set {name} ({why})")
    return value


if PRODUCTION:
    SECRET_KEY = _required("WUYE_SECRET_KEY", "50 or more random characters")
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured(
            "WUYE_PRODUCTION=1: WUYE_SECRET_KEY must be 50 or more random characters, not "
            "the development key (e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
        )
    ALLOWED_HOSTS = _required("WUYE_ALLOWED_HOSTS", "the site's host names, comma-separated")
    ALLOWED_HOSTS = [host.strip() for host in ALLOWED_HOSTS.split(",") if host.strip()]
    if not any(
        os.environ.get(n) for n in ("WUYE_DATABASE_URL", "DATABASE_URL", "WUYE_SQLITE_PATH")
    ):
        raise ImproperlyConfigured(
            "WUYE_PRODUCTION=1: set WUYE_DATABASE_URL (postgres://…) or WUYE_SQLITE_PATH, "
            "not the working directory's wuye.sqlite3"
        )
    DEBUG = False
    CSRF_TRUSTED_ORIGINS = [
        o.strip() for o in os.environ.get("WUYE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
    ]
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_AGE = int(os.environ.get("WUYE_SESSION_HOURS", "10")) * 3600  # a work day
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
    # Behind a TLS-terminating proxy: WUYE_PROXY_SSL_HEADER=X-Forwarded-Proto (the proxy
    # must set it and strip a client's own); WUYE_SSL_REDIRECT=0 when the proxy redirects.
    SECURE_SSL_REDIRECT = os.environ.get("WUYE_SSL_REDIRECT", "1") != "0"
    if os.environ.get("WUYE_PROXY_SSL_HEADER"):
        header = os.environ["WUYE_PROXY_SSL_HEADER"].strip().upper().replace("-", "_")
        SECURE_PROXY_SSL_HEADER = (f"HTTP_{header}", "https")
