"""The SMS gateway or the SMTP server down, silent or broken (issue 8, Faults; rule R1,
issue 5 Channels): the dunning run does not touch them, so it completes regardless; the
messages wait in the outbox; every send attempt ends within its timeout (a server that
accepts the connection and never answers included); and when the server is back each
message is sent exactly once.

The servers are the test gateway of conftest.py (an HTTP server on 127.0.0.1), aiosmtpd
(pinned in requirements-dev.txt), a closed port (down: connection refused) and a
listening socket that never accepts or answers (up but silent)."""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from contextlib import contextmanager

import pytest

from wuye.cli import main
from wuye.dunning.models import Contact, Notice
from wuye.messaging.models import Message
from wuye.messaging.providers import HttpGatewayProvider, SendResult, SmtpEmailProvider
from wuye.messaging.services import review_unknown, send_pending
from wuye.messaging.tests.conftest import free_port
from wuye.messaging.tests.helpers import RUN_DAY, accounts_with_phones, at, notices_for

S = Message.Status
TEN = at(RUN_DAY, 10)
LATER = TEN + dt.timedelta(days=1)  # past every retry backoff, before the weekly cap bites


@contextmanager
def silent_server():
    """A port that accepts connections (the kernel completes the handshake) and never
    says a word: no HTTP answer, no SMTP greeting."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield listener.getsockname()[1]


def outbox() -> list[tuple[str, str]]:
    return sorted(Message.objects.values_list("idempotency_key", "status"))


def accepted_once(gateway, keys: set[str]) -> None:
    """Every key reached the gateway's success answer exactly once: the gateway answers
    200 to each request after the outage, so the requests since are one per key."""
    assert Message.objects.filter(status=S.SENT).count() == len(keys)
    assert Contact.objects.filter(channel="sms").count() == len(keys)  # logged once each


@pytest.mark.django_db
def test_gateway_refusing_then_failing_then_back_sends_each_message_once(gateway):
    """R1: three SMS notices; the gateway is down (refused), then answers 503, then is
    back: the run issued the notices regardless, the messages waited in the outbox
    (retry with backoff under the same key) and each went out once."""
    accounts = accounts_with_phones(3)
    notices = notices_for(accounts)  # the dunning run: notices issued and enqueued
    assert len(notices) == 3 and Message.objects.count() == 3
    keys = {f"notice:{n.number}" for n in notices}

    down = HttpGatewayProvider(f"http://127.0.0.1:{free_port()}/sms", timeout=1)
    assert send_pending(now=TEN, provider=down)["retry"] == 3
    assert {status for _, status in outbox()} == {S.QUEUED}
    assert send_pending(now=TEN, provider=down)["sent"] == 0  # not due yet: backoff

    gateway.plan = ["503", "503", "503"]
    provider = HttpGatewayProvider(gateway.url, timeout=2)
    assert send_pending(now=TEN + dt.timedelta(hours=2), provider=provider)["retry"] == 3
    assert {status for _, status in outbox()} == {S.QUEUED}

    assert send_pending(now=LATER, provider=provider)["sent"] == 3  # back
    assert send_pending(now=LATER + dt.timedelta(hours=1), provider=provider)["sent"] == 0
    assert gateway.keys()[3:] == sorted(gateway.keys()[3:], key=gateway.keys()[3:].index)
    assert sorted(gateway.keys()[3:]) == sorted(keys)  # once each after the outage
    assert {m.attempts for m in Message.objects.all()} == {3}
    accepted_once(gateway, keys)


@pytest.mark.django_db
def test_a_silent_gateway_times_out_and_the_messages_are_parked_not_resent(gateway):
    """Channels: a gateway that takes the request and never answers: each attempt ends
    after the timeout (the send run does not hang), the outcome is unknown, so the
    message is parked for review and never resent blindly; resent after review, it goes
    out once, under the same key."""
    accounts = accounts_with_phones(2)
    notices_for(accounts)
    with silent_server() as port:
        silent = HttpGatewayProvider(f"http://127.0.0.1:{port}/sms", timeout=0.5)
        started = time.monotonic()
        counts = send_pending(now=TEN, provider=silent)
        elapsed = time.monotonic() - started
    assert counts["unknown"] == 2
    assert elapsed < 2 * 0.5 + 3, elapsed  # two timeouts, not a hang
    assert {status for _, status in outbox()} == {S.UNKNOWN}
    provider = HttpGatewayProvider(gateway.url, timeout=2)
    assert send_pending(now=LATER, provider=provider)["sent"] == 0  # parked: left alone
    for message in Message.objects.all():
        review_unknown(message.pk, resolution="resend", actor="supervisor", now=LATER)
    assert send_pending(now=LATER, provider=provider)["sent"] == 2
    assert sorted(gateway.keys()) == sorted(k for k, _ in outbox())
    accepted_once(gateway, {k for k, _ in outbox()})


@contextmanager
def trickling_server(seconds: float = 8.0):
    """A gateway that answers, one byte every 0.1 s, for `seconds` before finishing its
    headers: no single read waits long, so only a deadline on the whole exchange ends it."""
    stop = threading.Event()

    def serve(listener):
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    conn.recv(65536)
                    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"." * int(seconds * 10):
                        if stop.is_set():
                            break
                        conn.sendall(bytes([byte]))
                        time.sleep(0.1)
                except OSError:
                    pass  # the client gave up: what we want

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listener.settimeout(0.2)

        def loop():
            while not stop.is_set():
                try:
                    serve(listener)
                except TimeoutError:
                    continue

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        try:
            yield listener.getsockname()[1]
        finally:
            stop.set()
            thread.join(5)


@pytest.mark.django_db
def test_a_gateway_trickling_its_answer_is_cut_off_at_the_deadline():
    """A gateway answering one byte at a time never trips the per-read timeout; the
    provider's deadline for the whole exchange ends the attempt (outcome unknown, parked
    for review) instead of holding the send run for as long as the gateway likes."""
    notices_for(accounts_with_phones(1))
    with trickling_server(seconds=8) as port:
        provider = HttpGatewayProvider(f"http://127.0.0.1:{port}/sms", timeout=0.5)
        started = time.monotonic()
        counts = send_pending(now=TEN, provider=provider)
        elapsed = time.monotonic() - started
    assert counts["unknown"] == 1
    assert elapsed < 4, elapsed  # the deadline (3 × timeout), not the gateway's 8 s


@pytest.mark.django_db
def test_a_slow_gateway_within_the_timeout_is_just_slow(gateway):
    accounts = accounts_with_phones(2)
    notices_for(accounts)
    gateway.default = "slow"  # 0.2 s per answer
    counts = send_pending(now=TEN, provider=HttpGatewayProvider(gateway.url, timeout=2))
    assert counts["sent"] == 2 and len(gateway.requests) == 2
    deadline = time.monotonic() + 5  # each exchange's deadline timer was cancelled
    while any(isinstance(t, threading.Timer) for t in threading.enumerate()):
        assert time.monotonic() < deadline, "a deadline timer outlived its exchange"
        time.sleep(0.05)


@pytest.mark.django_db
def test_a_provider_that_crashes_does_not_stop_the_send_run(gateway):
    """A gateway client that raises something unforeseen (a bug, a TLS error) on one
    message: that message is parked as unknown (it may have gone out), the others are
    still sent in the same run, and the parked one is resent once after review."""
    accounts = accounts_with_phones(3)
    notices_for(accounts)
    real = HttpGatewayProvider(gateway.url, timeout=2)
    first = Message.objects.order_by("next_attempt_at", "id").first()

    class Flaky:
        def send(self, message) -> SendResult:
            if message.pk == first.pk:
                raise RuntimeError("TLS handshake blew up")
            return real.send(message)

    counts = send_pending(now=TEN, provider=Flaky())
    assert (counts["unknown"], counts["sent"]) == (1, 2)
    first.refresh_from_db()
    assert first.status == S.UNKNOWN and "RuntimeError" in first.last_error
    review_unknown(first.pk, resolution="resend", actor="supervisor", now=LATER)
    assert send_pending(now=LATER, provider=real)["sent"] == 1
    keys = gateway.keys()
    assert len(keys) == len(set(keys)) == 3
    assert set(Message.objects.values_list("status", flat=True)) == {S.SENT}


@pytest.mark.django_db
def test_mail_server_silent_then_down_then_back_mails_each_notice_once(smtp_server):
    """R1 by e-mail: an SMTP server that accepts and never greets: the attempt ends
    after the timeout and is retried (nothing was sent before the greeting); a closed
    port: retried; the server back: each notice mailed exactly once."""
    accounts = accounts_with_phones(2, action="email")
    notices = notices_for(accounts)
    assert Message.objects.filter(channel="email").count() == 2
    with silent_server() as port:
        silent = SmtpEmailProvider(host="127.0.0.1", port=port, timeout=0.5)
        started = time.monotonic()
        assert send_pending(now=TEN, email_provider=silent)["retry"] == 2
        assert time.monotonic() - started < 2 * 0.5 + 3
    down = SmtpEmailProvider(host="127.0.0.1", port=free_port(), timeout=0.5)
    assert send_pending(now=TEN + dt.timedelta(hours=2), email_provider=down)["retry"] == 2
    assert {status for _, status in outbox()} == {S.QUEUED}

    back = SmtpEmailProvider(host="127.0.0.1", port=smtp_server.port, timeout=5)
    assert send_pending(now=LATER, email_provider=back)["sent"] == 2
    assert send_pending(now=LATER + dt.timedelta(hours=1), email_provider=back)["sent"] == 0
    assert sorted(tuple(e.rcpt_tos) for e in smtp_server.envelopes) == [
        ("owner0@example.com",),
        ("owner1@example.com",),
    ]
    assert {m.attempts for m in Message.objects.all()} == {3}
    assert len(notices) == 2


@pytest.mark.django_db
def test_dunning_run_and_send_command_with_both_servers_silent(monkeypatch, capsys, gateway):
    """The configured servers (WUYE_SMS_URL, EMAIL_HOST, their timeouts from the
    environment) are silent: `wuye dunning run` completes (it only fills the outbox) and
    `wuye messages send` ends within its timeouts; with the gateway back, sent once."""
    sms = accounts_with_phones(1)
    mail = accounts_with_phones(1, action="email")
    with silent_server() as port:
        monkeypatch.setenv("WUYE_SMS_URL", f"http://127.0.0.1:{port}/sms")
        monkeypatch.setenv("WUYE_SMS_TIMEOUT", "0.5")
        monkeypatch.setenv("EMAIL_HOST", "127.0.0.1")
        monkeypatch.setenv("EMAIL_PORT", str(port))
        monkeypatch.setenv("WUYE_EMAIL_TIMEOUT", "0.5")
        started = time.monotonic()
        notices = notices_for(sms + mail)  # the bill run, hand-over and the dunning run
        assert len(notices) == 2
        assert main(["messages", "send", "--now", TEN.isoformat()]) == 0
        assert time.monotonic() - started < 30
        out = capsys.readouterr().out
        assert "unknown 1" in out and "retry 1" in out, out
    assert Notice.objects.filter(issued_on=RUN_DAY).count() == 2  # the run did not fail
    monkeypatch.setenv("WUYE_SMS_URL", gateway.url)
    monkeypatch.setenv("WUYE_SMS_TIMEOUT", "2")
    (parked,) = Message.objects.filter(status=S.UNKNOWN)
    review_unknown(parked.pk, resolution="resend", actor="supervisor", now=LATER)
    monkeypatch.delenv("EMAIL_HOST")  # mail stays in the outbox (no server configured)
    assert main(["messages", "send", "--now", LATER.isoformat()]) == 0
    assert gateway.keys() == [parked.idempotency_key]
    assert Message.objects.get(pk=parked.pk).status == S.SENT
    assert Message.objects.get(channel="email").status == S.QUEUED
