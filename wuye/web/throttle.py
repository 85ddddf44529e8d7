"""Login throttling (issue 8) on django-axes: the staff login (/login/, /admin/login/) and
the API's token endpoint (POST /api/v1/token/) refuse a user name from an address after
too many failed logins (settings: AXES_FAILURE_LIMIT, WUYE_LOGIN_FAILURE_WINDOW,
AXES_COOLOFF_TIME; docs/deployment.md).

Axes keeps one row per user name, address and browser with the failure count and the time
of the last failure. Here a row counts while its last failure is within the failure window
(default 15 minutes), and a row that reached the limit keeps the user name locked out
until the lockout time (default 30 minutes) after its last failure. Every attempt during
a lockout counts as a failure again, so a guesser who keeps trying stays locked out."""

from __future__ import annotations

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from wuye.api.errors import body


class LoginThrottle(AxesStandaloneBackend):
    """Refuses a locked-out login; the next backend (ModelBackend) checks the password.

    Logins over HTTP always carry the request (Django's login form, the admin's, the API's
    token view). A login without one (the test client's `login()`, code calling
    `authenticate()` directly) has no address to throttle and is left to ModelBackend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def _live(now) -> Q:
    """The rows that still count: a recent failure, or a lockout not yet over."""
    window = settings.WUYE_LOGIN_FAILURE_WINDOW
    lockout = get_cool_off() or window
    return Q(attempt_time__gte=now - window) | Q(
        attempt_time__gte=now - lockout, failures_since_start__gte=settings.AXES_FAILURE_LIMIT
    )


class LoginAttempts(AxesDatabaseHandler):
    """Axes' database handler with a failure window shorter than the lockout."""

    def get_user_attempts(self, request, credentials=None):
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        return [rows.filter(_live(now)) for rows in self.filter_user_attempts(request, credentials)]

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        count, _ = AccessAttempt.objects.exclude(_live(now)).delete()
        return count


def lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login gets: the API's JSON error (429, wuye.api.errors) or the
    login page's explanation in the staff's language (Traditional Chinese by default)."""
    seconds = int((get_cool_off() or settings.WUYE_LOGIN_FAILURE_WINDOW).total_seconds())
    minutes = max(1, seconds // 60)
    match = getattr(request, "resolver_match", None)
    if (match and match.namespace == "api") or request.path.startswith("/api/"):
        response = JsonResponse(
            body(
                "locked_out",
                f"too many failed logins for this user name from this address: "
                f"try again in {minutes} minutes or ask an administrator",
                f"此用戶名稱登入失敗次數過多，已暫停登入：請於 {minutes} 分鐘後再試，或聯絡系統管理員",
            ),
            status=429,
        )
    else:
        response = render(
            request,
            "web/locked_out.html",
            {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
            status=429,
        )
    response["Retry-After"] = str(seconds)
    return response
