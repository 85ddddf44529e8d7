"""One error family with stable codes and a message in English and Chinese (STYLE §8)."""

from __future__ import annotations


class WuyeError(Exception):
    """A user-facing error: the CLI prints it on one line and exits 2; the API returns 4xx."""

    def __init__(self, code: str, message: str, message_zh: str | None = None, **details):
        super().__init__(message)
        self.code = code
        self.message = message
        self.message_zh = message_zh or message
        self.details = details

    def as_dict(self) -> dict:
        return {
            "error": self.code,
            "message": self.message,
            "message_zh": self.message_zh,
            **self.details,
        }


class NotFound(WuyeError):
    def __init__(self, what: str, key: str):
        super().__init__(
            "not_found", f"{what} '{key}' not found", f"找不到{what}「{key}」", key=key
        )
