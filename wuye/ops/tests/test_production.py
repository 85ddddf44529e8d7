"""Production mode (issue 8, docs/deployment.md): with WUYE_PRODUCTION=1 Django's deployment
check is clean, secrets, hosts and the database come only from the environment, and wuye
refuses to start without them, with one clear line instead of a traceback."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys

import pytest

SETTINGS = """
import json
from django.conf import settings as s
names = ["DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
         "SESSION_COOKIE_HTTPONLY", "SESSION_COOKIE_AGE", "SECURE_HSTS_SECONDS",
         "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_HSTS_PRELOAD", "SECURE_SSL_REDIRECT",
         "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF", "X_FRAME_OPTIONS",
         "CSRF_TRUSTED_ORIGINS"]
print(json.dumps({n: getattr(s, n) for n in names}))
"""


@pytest.fixture
def production(tmp_path) -> dict:
    """The environment of a production server (a SQLite file of its own)."""
    # not the test run's own settings, nor the browser tests' DJANGO_ALLOW_ASYNC_UNSAFE
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WUYE_", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"))
    }
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "wuye.settings",
        "WUYE_PRODUCTION": "1",
        "WUYE_SECRET_KEY": secrets.token_urlsafe(50),
        "WUYE_ALLOWED_HOSTS": "wuye.example.com, admin.wuye.example.com",
        "WUYE_SQLITE_PATH": str(tmp_path / "wuye.sqlite3"),
    }


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def settings_of(env: dict) -> dict:
    done = run(env, "-c", "import django; django.setup()\n" + SETTINGS)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_deployment_check_is_clean_in_production_mode(production):
    done = run(production, "-m", "django", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_the_deployment_check_fails_in_development_mode(production):
    """The test above means something: without production mode the check warns."""
    env = {**production, "WUYE_PRODUCTION": "0"}
    done = run(env, "-m", "django", "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout  # no HSTS


def test_production_settings_are_secure(production):
    values = settings_of({**production, "WUYE_DEBUG": "1"})
    assert values["DEBUG"] is False  # even when asked for
    assert values["SECRET_KEY"] == production["WUYE_SECRET_KEY"]
    assert values["ALLOWED_HOSTS"] == ["wuye.example.com", "admin.wuye.example.com"]
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_AGE"] == 10 * 3600
    assert values["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and values["SECURE_HSTS_PRELOAD"]
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SECURE_CONTENT_TYPE_NOSNIFF"] and values["X_FRAME_OPTIONS"] == "DENY"


def test_behind_a_tls_terminating_proxy(production):
    values = settings_of({
        **production, "WUYE_PROXY_SSL_HEADER": "X-Forwarded-Proto", "WUYE_SSL_REDIRECT": "0",
        "WUYE_CSRF_TRUSTED_ORIGINS": "https://wuye.example.com",
    })  # fmt: skip
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://wuye.example.com"]


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"WUYE_SECRET_KEY": None}, "set WUYE_SECRET_KEY"),
        ({"WUYE_SECRET_KEY": "wuye-development-only-not-secret"}, "not the development key"),
        ({"WUYE_SECRET_KEY": "short-but-random-8d7f"}, "50 or more random characters"),
        ({"WUYE_ALLOWED_HOSTS": None}, "set WUYE_ALLOWED_HOSTS"),
        ({"WUYE_SQLITE_PATH": None}, "set WUYE_DATABASE_URL"),
    ],
)
def test_production_mode_refuses_to_start_without_its_secrets(production, change, named):
    env = {**production, **change}
    env = {k: v for k, v in env.items() if v is not None}
    done = run(env, "-m", "wuye.cli", "projects")
    assert done.returncode == 2
    assert done.stderr.startswith("wuye: cannot start: WUYE_PRODUCTION=1")
    assert named in done.stderr
    assert "Traceback" not in done.stderr
    assert not (production["WUYE_SQLITE_PATH"] and os.path.exists(production["WUYE_SQLITE_PATH"]))

    served = run(env, "-c", "import django; django.setup()")  # gunicorn, manage.py: refused too
    assert served.returncode != 0 and named in served.stderr
