"""A real webhook receiver for the tests: an HTTP server on a random port that checks each
request's signature as an integrator would, counts every event id, and answers what it is told
(500 to the first tries, a redirect, a slow answer)."""

import hashlib
import hmac
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def verify(header: str, body: bytes, secrets: list[str]) -> tuple[int, int, bool]:
    """(t, how many v1 values, whether one of them is the HMAC of "t.body" under a secret)."""
    parts = [part.split("=", 1) for part in header.split(",")]
    timestamp = int(next(value for key, value in parts if key == "t"))
    signatures = [value for key, value in parts if key == "v1"]
    message = f"{timestamp}.".encode() + body
    expected = [hmac.new(s.encode(), message, hashlib.sha256).hexdigest() for s in secrets]
    valid = any(hmac.compare_digest(sig, exp) for sig in signatures for exp in expected)
    return timestamp, len(signatures), valid


@dataclass(frozen=True)
class Received:
    path: str
    event_id: str
    signature: str
    timestamp: int
    signatures: int
    valid: bool
    status: int  # what the receiver answered
    body: dict[str, Any]
    raw: bytes


@dataclass
class Receiver:
    url: str = ""
    secrets: list[str] = field(default_factory=list)
    # Statuses to answer, one per request (then 200); 302 answers a redirect to /elsewhere.
    answers: list[int] = field(default_factory=list)
    hold_seconds: float = 0.0
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> Counter[str]:
        """Per event id: the signed requests answered 2xx."""
        with self.lock:
            return Counter(r.event_id for r in self.received if r.valid and r.status == 200)

    def requests(self) -> Counter[str]:
        with self.lock:
            return Counter(r.event_id for r in self.received)

    def of_type(self, event_type: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.body.get("type") == event_type]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signature = self.headers.get("X-Khata-Signature", "")
            with receiver.lock:
                t, count, valid = verify(signature, raw, receiver.secrets)
                status = receiver.answers.pop(0) if receiver.answers else 200
                if self.path == "/elsewhere":
                    status = 200
                receiver.received.append(
                    Received(
                        self.path,
                        self.headers.get("X-Khata-Event-Id", ""),
                        signature,
                        t,
                        count,
                        valid,
                        status,
                        json.loads(raw),
                        raw,
                    )
                )
            if receiver.hold_seconds:
                time.sleep(receiver.hold_seconds)
            try:
                self.send_response(status)
                if status == 302:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender died while the answer was held

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 512
    daemon_threads = True


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
