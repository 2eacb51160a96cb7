"""Real local receivers for real Apprise notifications in tests (127.0.0.1 only).

- `JsonReceiver`: a threaded HTTP server for Apprise's `json://127.0.0.1:PORT/`; records every
  JSON body it is sent; can answer with another status (500 forever), delay its answer (to
  kill a sender mid-send), and stop and start again on the same port (an outage).
- `SmtpSink`: an aiosmtpd server for Apprise's `mailto://`, plain SMTP without TLS or login:
  `mailto://127.0.0.1:PORT?from=jaga@example.com&to=parent@example.com&mode=insecure`
  (Apprise's email plugin: `mode=insecure` turns STARTTLS off; no user means no AUTH).
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class JsonReceiver:
    port: int = field(default_factory=free_port)
    status: int = 200
    delay: float = 0.0  # seconds before answering
    received: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)  # set at each request

    def __post_init__(self) -> None:
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/"

    def start(self) -> JsonReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"raw": body.decode("utf-8", "replace")}
                receiver.arrived.set()
                if receiver.delay:
                    time.sleep(receiver.delay)
                if receiver.status == 200:
                    # Only a request answered with success counts as received.
                    with receiver._lock:
                        receiver.received.append(payload)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def titles(self) -> list[str]:
        with self._lock:
            return [m.get("title", "") for m in self.received]

    def wait_for(self, n: int, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= n:
                    return True
            time.sleep(0.02)
        return False

    def __enter__(self) -> JsonReceiver:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


class SmtpSink:
    """Collects the e-mails Apprise sends; `messages` are `email.message.EmailMessage`s."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self._controller: Any = None

    def url(self, to: str = "parent@example.com") -> str:
        return (f"mailto://127.0.0.1:{self.port}?from=jaga@example.com&to={to}&mode=insecure")

    def start(self) -> SmtpSink:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(email.message_from_bytes(
                    envelope.content, policy=email.policy.default))  # type: ignore[arg-type]
                return "250 OK"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, n: int, timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= n:
                return True
            time.sleep(0.02)
        return False

    def bodies(self) -> list[str]:
        out = []
        for m in self.messages:
            part = m.get_body(preferencelist=("plain", "html"))
            out.append(part.get_content() if part is not None else "")
        return out

    def __enter__(self) -> SmtpSink:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
