"""Errors as JSON in one shape (STYLE §8, issue 6):

    {"error": code, "message": English, "message_zh": 中文, "fields": {field: [English]}}

`fields` (and `fields_zh`) name the inputs that were wrong. A `WuyeError` from a service
keeps its code and both messages: `Forbidden` → 403, `NotFound` → 404, a refused state
change → 409, any other → 400. DRF's own errors (authentication, parsing, method, …) are
put in the same shape with their status. Nothing was written: each service is one
transaction and validation happens before any service is called."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from wuye.errors import NotFound, WuyeError
from wuye.web.access import Forbidden

#: service error codes that refuse a state change (HTTP 409 Conflict)
CONFLICT = frozenset({
    "run_before_latest",  # E2: a dunning run for a date before the last executed one
    "run_not_open",  # the proposal was executed already
})  # fmt: skip

#: Chinese messages for DRF's own error codes
_ZH = {
    "not_authenticated": "未提供身份驗證（Token 或登入）",
    "authentication_failed": "身份驗證失敗（Token 無效）",
    "permission_denied": "無權進行此操作",
    "not_found": "找不到",
    "method_not_allowed": "不支援此 HTTP 方法",
    "not_acceptable": "無法以所要求的格式回應",
    "unsupported_media_type": "不支援此內容類型（請用 JSON）",
    "parse_error": "請求內容無法解析（JSON 格式錯誤）",
    "throttled": "請求過於頻繁，請稍後再試",
    "invalid": "輸入有誤",
}


class InvalidInput(exceptions.APIException):
    """Input that failed validation, with the messages per field in English and in
    Chinese (`wuye.api.serializers.validated` validates once in each language)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(self, fields: dict, fields_zh: dict):
        self.fields = fields
        self.fields_zh = fields_zh
        super().__init__(detail=_summary(fields), code="invalid")


def _messages(detail) -> list[str]:
    """Flatten DRF's nested error detail to plain strings."""
    if isinstance(detail, dict):
        return [m for value in detail.values() for m in _messages(value)]
    if isinstance(detail, list):
        return [m for value in detail for m in _messages(value)]
    return [str(detail)]


def plain(detail) -> dict:
    """{field: [messages]} from DRF's error detail (non-field errors under "input")."""
    if not isinstance(detail, dict):
        return {"input": _messages(detail)}
    return {
        ("input" if name == "non_field_errors" else name): _messages(value)
        for name, value in detail.items()
    }


def _summary(fields: dict, zh: bool = False) -> str:
    colon, separator = ("：", "；") if zh else (": ", "; ")
    return separator.join(f"{name}{colon}{' '.join(msgs)}" for name, msgs in fields.items())


def body(code: str, message: str, message_zh: str, **extra) -> dict:
    return {"error": code, "message": message, "message_zh": message_zh, "fields": {}, **extra}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error the API returns goes through here."""
    if isinstance(exc, WuyeError):
        return Response(_wuye_body(exc), status=_wuye_status(exc))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500 handler (never for bad input)
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, InvalidInput):
        data = body(
            "invalid",
            f"invalid input: {_summary(exc.fields)}",
            f"輸入有誤：{_summary(exc.fields_zh, zh=True)}",
            fields=exc.fields,
            fields_zh=exc.fields_zh,
        )
    elif isinstance(exc, exceptions.ValidationError):
        fields = plain(exc.detail)
        data = body(
            "invalid",
            f"invalid input: {_summary(fields)}",
            f"{_ZH['invalid']}：{'、'.join(fields)}",
            fields=fields,
        )
    else:
        code = exc.default_code
        message = " ".join(_messages(exc.detail))
        data = body(code, message, _ZH.get(code, message))
    return Response(data, status=exc.status_code, headers=headers)


def _wuye_status(error: WuyeError) -> int:
    if isinstance(error, Forbidden):
        return status.HTTP_403_FORBIDDEN
    if isinstance(error, NotFound):
        return status.HTTP_404_NOT_FOUND
    if error.code in CONFLICT:
        return status.HTTP_409_CONFLICT
    return status.HTTP_400_BAD_REQUEST


def _wuye_body(error: WuyeError) -> dict:
    data = body(error.code, error.message, error.message_zh)
    if error.details:
        data["details"] = {k: str(v) for k, v in error.details.items()}
    return data
