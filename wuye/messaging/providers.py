"""Where messages leave the system: an SMS gateway over HTTP, an outbox-only stand-in,
and e-mail through Django's SMTP backend.

Every provider answers one `SendResult`. The outcome that matters most is UNKNOWN: the
request reached the gateway but no answer came back (a read timeout, a dropped
connection), so the client may or may not have the message. It is parked for review
and never retried blindly; a resend carries the same idempotency key, so a gateway
that honours it does not deliver twice.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import http.client
import json
import os
import smtplib
import socket
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from django.conf import settings

if TYPE_CHECKING:
    from wuye.messaging.models import Message


class Outcome(enum.StrEnum):
    SENT = "sent"  # accepted by the gateway
    FAILED = "failed"  # refused for good (bad number, bad request): no retry
    RETRY = "retry"  # not sent (refused connection, 5xx): try again later
    UNKNOWN = "unknown"  # sent, no answer: park for review
    HELD = "held"  # the outbox-only provider keeps it queued


@dataclass(frozen=True)
class SendResult:
    status: Outcome
    provider_id: str = ""
    error: str = ""


class SmsProvider(Protocol):
    def send(self, message: Message) -> SendResult: ...


def config(name: str, default: str = "") -> str:
    """A setting (wuye/settings.py) if defined, else the environment variable."""
    value = getattr(settings, name, None)
    return str(value) if value not in (None, "") else os.environ.get(name, default)


class OutboxOnlyProvider:
    """No gateway configured (the demo): messages stay queued in the outbox."""

    holds = True  # send_pending leaves its messages queued without claiming them

    def send(self, message: Message) -> SendResult:
        return SendResult(Outcome.HELD, error="no SMS gateway configured (WUYE_SMS_URL)")


class HttpGatewayProvider:
    """POST JSON to an SMS gateway. The request carries the idempotency key in the
    `Idempotency-Key` header and in the body, the API key in `X-Api-Key`, and an
    HMAC-SHA256 of the body with the secret in `X-Signature` (the secret itself is never
    sent). Credentials come from the environment only (WUYE_SMS_KEY, WUYE_SMS_SECRET)."""

    def __init__(
        self,
        url: str,
        *,
        key: str | None = None,
        secret: str | None = None,
        timeout: float | None = None,
        sender: str | None = None,
    ):
        self.url = url
        self.key = os.environ.get("WUYE_SMS_KEY", "") if key is None else key
        self.secret = os.environ.get("WUYE_SMS_SECRET", "") if secret is None else secret
        self.timeout = float(timeout if timeout is not None else config("WUYE_SMS_TIMEOUT", "10"))
        self.sender = sender if sender is not None else config("WUYE_SMS_SENDER", "")
        # the socket timeout bounds each read; a gateway trickling its answer a byte at a
        # time never trips it, so the whole exchange also has a deadline (issue 8)
        self.deadline = DEADLINE_FACTOR * self.timeout
        self._deadline = _Deadline(self.deadline)
        self._opener = urllib.request.build_opener(
            _DeadlineHTTPHandler(self._deadline), _DeadlineHTTPSHandler(self._deadline)
        )

    def send(self, message: Message) -> SendResult:
        body = json.dumps(
            {
                "to": message.recipient,
                "text": message.body,
                "idempotency_key": message.idempotency_key,
                "reference": str(message.pk),
                "sender": self.sender,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Idempotency-Key": message.idempotency_key,
        }
        if self.key:
            headers["X-Api-Key"] = self.key
        if self.secret:
            digest = hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            headers["X-Signature"] = f"sha256={digest}"
        request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        started = time.monotonic()
        try:
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    answer = response.read()
            finally:
                self._deadline.cancel()
            if time.monotonic() - started >= self.deadline:  # cut off: the answer is partial
                return SendResult(
                    Outcome.UNKNOWN, error=f"no complete answer within {self.deadline:g} s"
                )
            return SendResult(Outcome.SENT, provider_id=_provider_id(answer))
        except urllib.error.HTTPError as error:  # the gateway answered with a status
            detail = f"HTTP {error.code}: {_text(error.read())}"
            if error.code in (408, 425, 429) or error.code >= 500:
                return SendResult(Outcome.RETRY, error=detail)
            return SendResult(Outcome.FAILED, error=detail)
        except urllib.error.URLError as error:
            # raised while connecting or writing the request: it did not go out
            return SendResult(Outcome.RETRY, error=f"not sent: {error.reason}")
        except (TimeoutError, http.client.HTTPException, ConnectionError) as error:
            # raised while waiting for the answer: the gateway may have the message
            return SendResult(
                Outcome.UNKNOWN, error=f"no answer after sending: {type(error).__name__} {error}"
            )


DEADLINE_FACTOR = 3  # the whole exchange with the gateway: at most 3 × its timeout


class _Deadline:
    """Shuts the socket down `seconds` after connecting unless the exchange ended first
    (`cancel`): a blocked read then ends at once, and the outcome is unknown as for a read
    timeout. One timer per thread (concurrent senders may share a provider)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._local = threading.local()

    def connection(self, base: type[http.client.HTTPConnection]):
        deadline = self

        class Connection(base):
            def connect(self):
                super().connect()
                deadline._start(self.sock)

        return Connection

    def _start(self, sock: socket.socket) -> None:
        self.cancel()
        timer = threading.Timer(self.seconds, _shut, args=(sock,))
        timer.daemon = True
        timer.start()
        self._local.timer = timer

    def cancel(self) -> None:
        timer = getattr(self._local, "timer", None)
        if timer is not None:
            timer.cancel()
            self._local.timer = None


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._connection = deadline.connection(http.client.HTTPConnection)

    def http_open(self, req):
        return self.do_open(self._connection, req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: _Deadline):
        super().__init__()
        self._connection = deadline.connection(http.client.HTTPSConnection)

    def https_open(self, req):
        return self.do_open(
            self._connection, req, context=self._context, check_hostname=self._check_hostname
        )


def _provider_id(answer: bytes) -> str:
    try:
        data = json.loads(answer or b"{}")
    except ValueError:
        return ""
    if isinstance(data, dict):
        return str(data.get("id") or data.get("message_id") or "")[:120]
    return ""


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").strip()[:300]


def default_sms_provider() -> SmsProvider:
    """The HTTP gateway when WUYE_SMS_URL is set, else the outbox-only stand-in."""
    url = config("WUYE_SMS_URL")
    return HttpGatewayProvider(url) if url else OutboxOnlyProvider()


class SmtpEmailProvider:
    """E-mail through Django's SMTP backend (host and port: EMAIL_HOST/EMAIL_PORT, from
    settings or the environment). The idempotency key is the Message-ID and an
    `Idempotency-Key` header, so a resend is recognisable as the same message."""

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        timeout: float | None = None,
        from_address: str | None = None,
    ):
        self.host = host or config("EMAIL_HOST", "localhost")
        self.port = int(port or config("EMAIL_PORT", "25"))
        self.timeout = float(timeout or config("WUYE_EMAIL_TIMEOUT", "10"))
        self.from_address = from_address or config("WUYE_EMAIL_FROM", "wuye@localhost")

    def send(self, message: Message) -> SendResult:
        from django.core.mail import EmailMessage, get_connection

        domain = self.from_address.rpartition("@")[2] or "wuye"
        token = base64.b32encode(message.idempotency_key.encode()).decode().rstrip("=").lower()
        connection = get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=self.host,
            port=self.port,
            timeout=self.timeout,
            username=os.environ.get("EMAIL_HOST_USER", ""),
            password=os.environ.get("EMAIL_HOST_PASSWORD", ""),
            fail_silently=False,
        )
        mail = EmailMessage(
            subject=message.subject,
            body=message.body,
            from_email=self.from_address,
            to=[message.recipient],
            headers={
                "Message-ID": f"<{token}@{domain}>",
                "Idempotency-Key": message.idempotency_key,
            },
            connection=connection,
        )
        try:
            connection.open()
        except (OSError, smtplib.SMTPException) as error:  # never connected: nothing went out
            return SendResult(Outcome.RETRY, error=f"not sent: {error}"[:300])
        try:
            mail.send()
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            status = Outcome.FAILED if codes and min(codes) >= 500 else Outcome.RETRY
            return SendResult(status, error=f"recipient refused: {error.recipients}"[:300])
        except smtplib.SMTPResponseException as error:
            status = Outcome.FAILED if error.smtp_code >= 500 else Outcome.RETRY
            return SendResult(status, error=f"SMTP {error.smtp_code}: {_smtp_text(error)}")
        except (OSError, smtplib.SMTPException) as error:
            # connected, then the server went quiet or away: it may have the message
            return SendResult(Outcome.UNKNOWN, error=f"no answer after sending: {error}"[:300])
        finally:
            try:
                connection.close()
            except (OSError, smtplib.SMTPException):
                pass
        return SendResult(Outcome.SENT, provider_id=f"<{token}@{domain}>")


def _smtp_text(error: smtplib.SMTPResponseException) -> str:
    raw = error.smtp_error
    return (raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))[:300]


def default_email_provider() -> SmsProvider:
    """SMTP when EMAIL_HOST is set in the environment (or WUYE_EMAIL_HOST in settings),
    else the outbox-only stand-in (Django's own default of localhost:25 is not taken as
    a configured server)."""
    host = os.environ.get("EMAIL_HOST") or getattr(settings, "WUYE_EMAIL_HOST", "")
    return SmtpEmailProvider(host=host) if host else OutboxOnlyProvider()
