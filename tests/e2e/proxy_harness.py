"""Real parts for the proxy's end-to-end tests and benchmark: certificates, a local HTTPS chat
server (JSON over HTTP and WebSocket), and `jaga run` / `mitmdump` in a subprocess.

Everything binds to 127.0.0.1. The chat server plays "the other person": each message the child
posts is answered with the next line of a script, so what the child receives travels in responses
(`to_child`) and what it sends in requests (`from_child`), as in a real web chat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

# Shared with `jaga demo`; re-exported (`x as x`) for the tests and the benchmark.
from agent.cli.demo import free_port as free_port
from agent.cli.demo import serving
from agent.cli.demo import wait_listening as wait_listening

REPO = Path(__file__).resolve().parents[2]

CHAT_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>chat</title></head>
<body><p id="status">sending</p><script>
window.onload = async () => {
  const replies = [];
  for (const text of %s) {
    const r = await fetch("/api/messages", {method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({thread_id: "browser", text: text})});
    const j = await r.json();
    replies.push(j.messages.length ? j.messages[0].text : "");
  }
  document.getElementById("status").textContent = "replies:" + replies.join("|");
};
</script></body></html>"""


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a server certificate for 127.0.0.1/localhost signed by it: (ca, cert, key)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jaga test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=7))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    directory.mkdir(parents=True, exist_ok=True)
    paths = directory / "test-ca.pem", directory / "server.pem", directory / "server.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def spki_hash(pem_file: Path) -> str:
    """base64(sha256(SubjectPublicKeyInfo)): Chromium's --ignore-certificate-errors-spki-list."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    cert = x509.load_pem_x509_certificate(pem_file.read_bytes())
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


class ChatServer:
    """HTTPS JSON chat (POST/GET /api/messages, GET /chat) and a WebSocket chat (wss, /ws)."""

    def __init__(self, cert: Path, key: Path, replies: list[str] | None = None,
                 page_texts: list[str] | None = None):
        self.received: list[bytes] = []  # raw request bodies, exactly as they arrived
        self.received_ws: list[str] = []
        self.sent: list[bytes] = []  # raw response bodies, exactly as sent
        self.replies = list(replies or [])
        self.page_texts = page_texts or ["halo"]  # what the chat page posts, in order
        self.special: dict[str, tuple[bytes, dict[str, str]]] = {}  # path -> (body, headers)
        self.lock = threading.Lock()
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.http_port = free_port()
        self.ws_port = free_port()

    def next_reply(self) -> str | None:
        with self.lock:
            return self.replies.pop(0) if self.replies else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive
            disable_nagle_algorithm = True  # no 40 ms Nagle/delayed-ACK stalls between writes

            def log_message(self, *args: object) -> None:
                pass

            def _send(self, body: bytes, content_type: str = "application/json",
                      headers: dict[str, str] | None = None) -> None:
                self.send_response(200)
                self.send_header("content-type", content_type)
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                with server.lock:
                    if len(body) < 1_000_000:
                        server.sent.append(body)

            def do_GET(self) -> None:
                if self.path.startswith("/chat"):
                    page = CHAT_PAGE % json.dumps(server.page_texts)
                    self._send(page.encode(), "text/html; charset=utf-8")
                elif self.path in server.special:
                    body, headers = server.special[self.path]
                    self._send(body, headers.get("content-type", "application/json"),
                               {k: v for k, v in headers.items() if k != "content-type"})
                else:
                    self._send(b'{"messages": []}')

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                remaining, chunks = length, []
                while remaining:
                    chunk = self.rfile.read(min(remaining, 1 << 20))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    remaining -= len(chunk)
                body = b"".join(chunks)
                with server.lock:
                    server.received.append(body)
                if self.path.startswith("/api/bulk"):
                    digest = hashlib.sha256(body).hexdigest()
                    self._send(json.dumps({"ok": True, "sha256": digest, "length": len(body)}).encode())
                    return
                try:
                    thread = json.loads(body).get("thread_id", "t1")
                except (ValueError, AttributeError):
                    thread = "t1"
                reply = server.next_reply()
                out = {"ok": True, "messages": [{"thread_id": thread, "from": "rina", "text": reply}]
                       if reply else []}
                self._send(json.dumps(out).encode())

        return Handler

    def _ws_handler(self, ws: object) -> None:
        for frame in ws:  # type: ignore[attr-defined]
            with self.lock:
                self.received_ws.append(frame)
            reply = self.next_reply()
            ws.send(json.dumps({"room": "ws1", "text": reply or "ok"}))  # type: ignore[attr-defined]

    @contextmanager
    def running(self) -> Iterator[ChatServer]:
        from websockets.sync.server import serve

        httpd = ThreadingHTTPServer(("127.0.0.1", self.http_port), self._handler())
        httpd.socket = self.context.wrap_socket(httpd.socket, server_side=True)
        with serving(httpd, serve(self._ws_handler, "127.0.0.1", self.ws_port, ssl=self.context)):
            yield self


@contextmanager
def proxy_process(command: list[str], port: int, env_extra: dict[str, str] | None = None,
                  log_path: Path | None = None) -> Iterator[subprocess.Popen]:
    """Start a proxy (jaga run or mitmdump), wait until it listens, stop it with SIGTERM after."""
    env = {**os.environ, **(env_extra or {})}
    out = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    try:
        wait_listening(port, proc, timeout=60)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log_path:
            out.close()  # type: ignore[union-attr]


def jaga_run_command(data_dir: Path, port: int, trusted_ca: Path, *sets: str) -> list[str]:
    cmd = [sys.executable, "-m", "agent", "run", "--data-dir", str(data_dir),
           "--listen-host", "127.0.0.1", "--listen-port", str(port),
           "--set", f"ssl_verify_upstream_trusted_ca={trusted_ca}"]
    for s in sets:
        cmd += ["--set", s]
    return cmd


def jaga_env(tmp: Path) -> dict[str, str]:
    """No user configuration leaks into a test: point JAGA_CONFIG at a file that is not there."""
    return {"JAGA_CONFIG": str(tmp / "no-config.yaml"), "PYTHONUNBUFFERED": "1"}


def client_context(jaga_data_dir: Path) -> ssl.SSLContext:
    """A client that trusts jaga's CA (as a phone that installed it from mitm.it)."""
    ctx = ssl.create_default_context(cafile=jaga_data_dir / "mitmproxy" / "mitmproxy-ca-cert.pem")
    return ctx


def stored_alerts(data_dir: Path, env: dict[str, str], wait: float = 0.0) -> list[dict]:
    """`jaga alerts --json`, polled for up to `wait` seconds until there is at least one."""
    deadline = time.monotonic() + wait
    while True:
        out = subprocess.run([sys.executable, "-m", "agent", "alerts", "--json", "--data-dir",
                              str(data_dir)], capture_output=True, text=True, cwd=REPO,
                             env={**os.environ, **env}, check=True).stdout
        alerts = [json.loads(line) for line in out.splitlines() if line.strip()]
        if alerts or time.monotonic() >= deadline:
            return alerts
        time.sleep(0.5)
