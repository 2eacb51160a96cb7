"""`jaga demo`: the whole chain on one machine, in under half a minute.

Starts `jaga run` on loopback with a temporary data directory, starts a small local chat service
(JSON over HTTP and a WebSocket), plays a scripted conversation between a child ("Ani", invented)
and a stranger through the proxy (friendly small talk first, then an offer of pulsa, a request for
secrecy and an invitation to a cafe), and shows the alert a parent would get. Exit status 0 when
the alert came, 1 when it did not.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from agent.errors import UsageError

# (who, channel, text): the child's lines are requests, the stranger's arrive in the replies.
SCRIPT: tuple[tuple[str, str, str], ...] = (
    ("child", "http", "halo kak"),
    ("other", "http", "Halo! Kamu main Mobile Legends juga ya? Rank kamu apa?"),
    ("child", "http", "masih epic kak hehe"),
    ("other", "http", "Wah keren, aku bisa bantu naik rank kok"),
    ("child", "ws", "beneran kak?"),
    ("other", "ws", "Iya dong. Kakak kasih pulsa 50rb ya buat kamu, gratis"),
    ("child", "ws", "wah makasih kak"),
    ("other", "ws", "Tapi jangan bilang siapa-siapa ya, ini rahasia kita berdua"),
    ("child", "http", "iya kak"),
    ("other", "http", "Besok pulang sekolah ketemuan di kafe dekat sekolah yuk, kakak traktir"),
)
DEMO_CONFIG = """version: 1
children:
  - name: Ani
    age: 11
    devices: ["127.0.0.1"]
alerts:
  language: {language}
  privacy: full
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="show the whole chain on this machine: proxy, chat, alert",
        description="Start jaga on loopback, play a scripted chat (small talk, then a grooming "
        "sequence) through it, and show the alert a parent would get. Touches nothing outside "
        "a temporary directory. Exit status 0 when the alert came.")
    p.add_argument("--language", choices=("id", "en"), default="id",
                   help="language of the parent's alert (default: id)")
    p.add_argument("--notify", metavar="APPRISE_URL", action="append", default=[],
                   help="also send the demo alert to this Apprise URL (try it on your phone)")
    p.set_defaults(func=run)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(httpd: ThreadingHTTPServer, wsd: Any) -> Iterator[None]:
    """Run an HTTP server and a websockets server on threads for the duration of the block."""
    httpd.daemon_threads = True
    for target in (httpd.serve_forever, wsd.serve_forever):
        threading.Thread(target=target, daemon=True).start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        wsd.shutdown()


def wait_listening(port: int, proc: subprocess.Popen, timeout: float = 25.0) -> None:
    """Wait until `proc` listens on `port`; RuntimeError if it exits, TimeoutError if too slow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"jaga run stopped at start (status {proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.3):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


class ChatService:
    """A tiny chat: POST /api/messages and a WebSocket; each child message gets the next reply."""

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.lock = threading.Lock()
        self.http_port, self.ws_port = free_port(), free_port()

    def next_reply(self) -> str:
        with self.lock:
            return self.replies.pop(0) if self.replies else ""

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                body = json.dumps({"ok": True, "messages": [
                    {"thread_id": "ani-rina", "from": "rina_ml", "text": service.next_reply()}]})
                data = body.encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def _ws(self, ws: Any) -> None:
        for _frame in ws:
            ws.send(json.dumps({"thread_id": "ani-rina", "text": self.next_reply()}))

    @contextmanager
    def running(self) -> Iterator[ChatService]:
        from websockets.sync.server import serve

        httpd = ThreadingHTTPServer(("127.0.0.1", self.http_port), self._handler())
        with serving(httpd, serve(self._ws, "127.0.0.1", self.ws_port)):
            yield self


def _play(console: Any, port: int, chat: ChatService) -> None:
    import httpx
    from websockets.sync.client import connect

    proxy = f"http://127.0.0.1:{port}"
    pending_child: list[tuple[str, str]] = []
    with httpx.Client(proxy=proxy, timeout=10) as client, \
            connect(f"ws://127.0.0.1:{chat.ws_port}/chat", proxy=proxy, open_timeout=10) as ws:
        for who, channel, text in SCRIPT:
            if who == "child":
                pending_child.append((channel, text))
                continue
            channel_sent, child_text = pending_child.pop(0)
            with chat.lock:
                chat.replies.append(text)
            console.print(f"  [cyan]Ani[/]      ({channel_sent:4}) {child_text}")
            if channel_sent == "http":
                r = client.post(f"http://127.0.0.1:{chat.http_port}/api/messages",
                                json={"thread_id": "ani-rina", "text": child_text})
                got = r.json()["messages"][0]["text"]
            else:
                ws.send(json.dumps({"thread_id": "ani-rina", "text": child_text}))
                got = json.loads(ws.recv(timeout=10))["text"]
            console.print(f"  [magenta]rina_ml[/]  ({channel_sent:4}) {got}")
            time.sleep(0.15)


def _wait_for_alert(data_dir: Path, timeout: float) -> list[Any]:
    from agent.store import Store

    deadline = time.monotonic() + timeout
    while True:
        store = Store.open(data_dir)
        try:
            alerts = store.list_alerts()
        finally:
            store.close()
        if alerts or time.monotonic() > deadline:
            return alerts
        time.sleep(0.3)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.panel import Panel

    from agent.alert_text import render

    console = Console(highlight=False)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jaga-demo-") as tmp:
        tmp_path = Path(tmp)
        config = tmp_path / "jaga.yaml"
        config.write_text(DEMO_CONFIG.format(language=args.language))
        data_dir, port = tmp_path / "data", free_port()
        cmd = [sys.executable, "-m", "agent", "run", "--config", str(config), "--data-dir",
               str(data_dir), "--listen-host", "127.0.0.1", "--listen-port", str(port)]
        for url in args.notify:
            cmd += ["--notify", url]
        log_path = tmp_path / "jaga-run.log"
        console.print(f"[bold]jaga demo[/]: starting jaga on 127.0.0.1:{port} "
                      f"(temporary data in {tmp})")
        with open(log_path, "wb") as log, ChatService().running() as chat:
            proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                    env={**os.environ, "JAGA_CONFIG": str(config)})
            try:
                try:
                    wait_listening(port, proc)
                except (RuntimeError, TimeoutError) as e:
                    raise UsageError(f"{e}; its log: {log_path}") from None
                console.print("A local chat service is up; the chat below goes through jaga "
                              "(JSON over HTTP and a WebSocket):\n")
                _play(console, port, chat)
                alerts = _wait_for_alert(data_dir, timeout=10)
                if alerts:  # the last lines may still be on their way through the pipeline
                    time.sleep(0.8)
                    alerts = _wait_for_alert(data_dir, timeout=0)
                if args.notify:
                    time.sleep(2)  # let the delivery worker send before jaga stops
            finally:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
        elapsed = time.monotonic() - started
        if not alerts:
            console.print(f"\n[bold red]No alert came.[/] jaga's log: \n"
                          f"{log_path.read_text(errors='replace')[-3000:]}")
            return 1
        alert = alerts[0]  # the newest: an alert is raised again only when its severity rises
        shown = render(alert, language=args.language, privacy="full")
        console.print()
        console.print(Panel(shown.body, title=shown.title, border_style="red",
                            subtitle="what a parent receives"))
        console.print(f"{len(alerts)} alert(s) raised in {elapsed:.1f} s. Next: `jaga run` on "
                      "a Raspberry Pi or router, with --notify for your phone (README).")
        return 0
