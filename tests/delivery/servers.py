"""Real receiving servers for the delivery tests: an SMTP server (aiosmtpd) and an HTTP
gateway (http.server, a thread per connection), each counting what arrives per delivery id.

Both listen with a deep backlog: two workers open up to 16 connections at once, and on a
busy machine a backlog of 5 (http.server's default) overflows, which the sender sees as a
reset connection: a failed send the test did not mean to cause."""

import asyncio
import email
import email.policy
import json
import socket
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

LISTEN_BACKLOG = 512


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class ReceivedMail:
    recipients: list[str]
    message: EmailMessage

    @property
    def delivery_id(self) -> str:
        return str(self.message["X-Khata-Delivery-Id"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        content: str = body.get_content()
        return content


@dataclass
class MailHandler:
    """aiosmtpd handler: accepts (or, with `reply`, refuses) every message; with `hold_seconds`
    it keeps the message but answers 250 only that much later (a sender can die meanwhile)."""

    reply: str | None = None
    hold_seconds: float = 0.0
    mails: list[ReceivedMail] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.reply:
            with self.lock:
                self.refused += 1
            return self.reply
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.mails.append(ReceivedMail(list(envelope.rcpt_tos), message))
        if self.hold_seconds:
            await asyncio.sleep(self.hold_seconds)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[ReceivedMail]:
        with self.lock:
            return [m for m in self.mails if address in m.recipients]

    def count_by_delivery(self) -> Counter[str]:
        with self.lock:
            return Counter(m.delivery_id for m in self.mails)


@dataclass
class SmtpServer:
    handler: MailHandler
    port: int


class _DeepBacklogController(Controller):
    """aiosmtpd's Controller listening with LISTEN_BACKLOG (asyncio's default is 100)."""

    def _create_server(self) -> Any:
        return self.loop.create_server(
            self._factory_invoker,
            host=self.hostname,
            port=self.port,
            ssl=self.ssl_context,
            backlog=LISTEN_BACKLOG,
        )


def start_smtp(handler: MailHandler) -> tuple[Controller, int]:
    port = free_port()
    controller = _DeepBacklogController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port


@dataclass
class GatewayCall:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def json(self) -> dict[str, Any]:
        payload: dict[str, Any] = json.loads(self.raw)
        return payload


@dataclass
class Gateway:
    url: str
    calls: list[GatewayCall] = field(default_factory=list)
    # Status to answer; a list is consumed one per call (then 200).
    answers: list[int] = field(default_factory=list)
    # Keep the call, answer only this much later (a sender can die meanwhile).
    hold_seconds: float = 0.0
    # Exceptions raised while handling a request (the sender saw a dropped connection).
    server_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, number: str) -> list[GatewayCall]:
        with self.lock:
            return [c for c in self.calls if c.json["to"] == number]

    def count_by_delivery(self) -> Counter[str]:
        with self.lock:
            return Counter(c.json["deliveryId"] for c in self.calls)


def _gateway_handler(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with gateway.lock:
                status = gateway.answers.pop(0) if gateway.answers else 200
                if status == 200:
                    gateway.calls.append(GatewayCall(self.path, dict(self.headers), raw))
            body = b'{"ok": true}' if status == 200 else b'{"error": "provider down"}'
            if gateway.hold_seconds:
                time.sleep(gateway.hold_seconds)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up (or died) while the answer was held

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _GatewayServer(ThreadingHTTPServer):
    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def __init__(self, gateway: Gateway) -> None:
        super().__init__(("127.0.0.1", 0), _gateway_handler(gateway))
        self.gateway = gateway

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Kept, so a test failing on a refused send can say what the server went through.
        with self.gateway.lock:
            self.gateway.server_errors.append(traceback.format_exc(limit=3))


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    handler = MailHandler()
    controller, port = start_smtp(handler)
    yield SmtpServer(handler, port)
    controller.stop()


@contextmanager
def running_gateway() -> Iterator[Gateway]:
    the_gateway = Gateway(url="")
    server = _GatewayServer(the_gateway)
    the_gateway.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield the_gateway
    server.shutdown()
    server.server_close()
