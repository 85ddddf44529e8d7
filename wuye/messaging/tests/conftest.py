"""A small SMS gateway and an SMTP server on 127.0.0.1 that the tests start (issue 5,
Channels): the gateway records every request and answers as the test tells it."""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Gateway:
    """Answers each POST with the next planned reply: 200, 400, 500, "slow" (200 after a
    moment) or "sleep" (no answer until after the client's timeout); then `default`."""

    def __init__(self):
        self.requests: list[dict] = []
        self.plan: list[str] = []
        self.sleep = 1.5
        self.default = "200"
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                gateway.requests.append({"headers": dict(self.headers), "body": body})
                reply = gateway.plan.pop(0) if gateway.plan else gateway.default
                if reply == "sleep":
                    time.sleep(gateway.sleep)
                    reply = "200"
                elif reply == "slow":  # answers in time, but slowly (concurrent senders)
                    time.sleep(0.2)
                    reply = "200"
                code = int(reply)
                answer = {"id": f"gw-{len(gateway.requests)}"} if code == 200 else {"error": reply}
                data = json.dumps(answer).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def keys(self) -> list[str]:
        return [r["headers"]["Idempotency-Key"] for r in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway():
    server = Gateway()
    yield server
    server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    mailbox.port = controller.port
    yield mailbox
    controller.stop()
