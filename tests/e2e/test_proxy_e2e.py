"""End to end: real `jaga run`, a real HTTPS chat server, real clients (httpx, websockets, Chromium).

Each test asserts that the traffic arrived intact at both ends, that a grooming conversation raised
an alert that `jaga alerts --json` lists, and that a benign one raised none.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.proxy_harness import (
    ChatServer,
    client_context,
    free_port,
    jaga_env,
    jaga_run_command,
    make_certificates,
    proxy_process,
    spki_hash,
    stored_alerts,
)

pytestmark = pytest.mark.e2e

CHILD_LINES = ["halo", "iya kak", "oh gitu", "boleh", "oke kak", "iya"]
GROOMING_REPLIES = [
    "Halo, kamu suka main Mobile Legends juga ya?",
    "Kamu jago banget, pasti kamu anak paling pintar di kelas",
    "Kakak kasih pulsa 50rb ya buat kamu, gratis",
    "Tapi jangan bilang siapa-siapa ya, ini rahasia kita berdua",
    "Besok ketemuan di kafe dekat sekolah yuk, kakak traktir",
    "Sampai besok ya",
]
BENIGN_REPLIES = [
    "Halo, tugas matematika sudah selesai belum?",
    "Besok ulangan bahasa Indonesia jam pertama",
    "Jangan lupa bawa buku paket ya",
    "Oke, sampai ketemu di sekolah",
    "Mama bilang besok dijemput jam dua",
    "Selamat belajar",
]


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def agent(tmp_path, certs):
    """A running `jaga run` on a free loopback port: (port, data_dir, env)."""
    data_dir, port, env = tmp_path / "data", free_port(), jaga_env(tmp_path)
    with proxy_process(jaga_run_command(data_dir, port, certs[0]), port, env,
                       tmp_path / "jaga.log") as proc:
        yield port, data_dir, env
        assert proc.poll() is None, "jaga run died during the test"


def chat_over_https(port: int, data_dir: Path, server: ChatServer, lines: list[str],
                    thread: str = "t1") -> list[bytes]:
    """The child posts each line over one keep-alive HTTPS connection; returns the raw replies."""
    replies = []
    with httpx.Client(proxy=f"http://127.0.0.1:{port}", verify=client_context(data_dir),
                      timeout=30) as client:
        for line in lines:
            r = client.post(f"https://127.0.0.1:{server.http_port}/api/messages",
                            json={"thread_id": thread, "text": line})
            assert r.status_code == 200
            replies.append(r.content)
    return replies


# --- JSON over HTTPS ---

def test_grooming_over_https_json_arrives_intact_and_raises_a_stored_alert(agent, certs):
    port, data_dir, env = agent
    server = ChatServer(certs[1], certs[2], replies=GROOMING_REPLIES)
    with server.running():
        replies = chat_over_https(port, data_dir, server, CHILD_LINES)
    # intact both ways: what the child sent is what the server got, and the other way round
    assert [json.loads(b)["text"] for b in server.received] == CHILD_LINES
    assert replies == server.sent
    alerts = stored_alerts(data_dir, env, wait=15)
    assert alerts, "no alert stored for a grooming conversation"
    categories = {c for a in alerts for c in a["categories"]}
    assert {"secrecy", "offer_credit"} & categories
    assert all("127.0.0.1" in a["conversation"] for a in alerts)


def test_benign_chat_over_https_raises_no_alert(agent, certs):
    port, data_dir, env = agent
    server = ChatServer(certs[1], certs[2], replies=BENIGN_REPLIES)
    with server.running():
        replies = chat_over_https(port, data_dir, server, CHILD_LINES)
    assert replies == server.sent and len(server.received) == len(CHILD_LINES)
    # a grooming sequence sent afterwards, in another thread, proves that the pipeline had
    # caught up when we looked: its alerts are there, and none for the benign thread
    server2 = ChatServer(certs[1], certs[2], replies=GROOMING_REPLIES[2:5])
    with server2.running():
        chat_over_https(port, data_dir, server2, ["ok", "iya", "boleh"], thread="sentinel")
    alerts = stored_alerts(data_dir, env, wait=15)
    assert alerts
    assert {a["conversation"] for a in alerts} == {"127.0.0.1|127.0.0.1|sentinel"}


# --- WebSocket ---

def test_grooming_over_websocket_arrives_intact_and_raises_a_stored_alert(agent, certs):
    from websockets.sync.client import connect

    port, data_dir, env = agent
    server = ChatServer(certs[1], certs[2], replies=GROOMING_REPLIES)
    received = []
    with server.running(), connect(f"wss://127.0.0.1:{server.ws_port}/ws",
                                   proxy=f"http://127.0.0.1:{port}", ssl=client_context(data_dir),
                                   open_timeout=30) as ws:
        for line in CHILD_LINES:
            ws.send(json.dumps({"room": "ws1", "text": line}))
            received.append(json.loads(ws.recv(timeout=30))["text"])
    assert [json.loads(f)["text"] for f in server.received_ws] == CHILD_LINES
    assert received == GROOMING_REPLIES
    alerts = stored_alerts(data_dir, env, wait=15)
    assert alerts and all(a["conversation"].endswith("|ws1") for a in alerts)


# --- A real browser ---

@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Debian's chromium is not installed (.ci/run installs it)")
def test_chromium_through_jaga_posts_a_chat_message_that_raises_an_alert(agent, certs, tmp_path):
    port, data_dir, env = agent
    # The page (the child) posts messages; the replies it reads are the other person's grooming.
    texts, replies = ["halo kak", "iya", "boleh kak"], GROOMING_REPLIES[2:5]
    server = ChatServer(certs[1], certs[2], replies=list(replies), page_texts=texts)
    ca = data_dir / "mitmproxy" / "mitmproxy-ca-cert.pem"
    with server.running():
        result = subprocess.run([
            shutil.which("chromium"), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
            f"--proxy-server=http://127.0.0.1:{port}", "--proxy-bypass-list=<-loopback>",
            f"--ignore-certificate-errors-spki-list={spki_hash(ca)}",
            "--virtual-time-budget=10000", "--dump-dom",
            f"https://127.0.0.1:{server.http_port}/chat"],
            capture_output=True, text=True, timeout=120)
    assert "replies:" + "|".join(replies) in result.stdout, result.stderr[-2000:]
    assert [json.loads(b)["text"] for b in server.received] == texts
    alerts = stored_alerts(data_dir, env, wait=15)
    assert alerts and alerts[0]["conversation"].endswith("|browser")


# --- Pass-through: what jaga leaves alone keeps working ---

def server_only_context(test_ca: Path):
    """A client that trusts the chat server's own CA but not jaga's: like a pinned app."""
    import ssl

    return ssl.create_default_context(cafile=test_ca)


def test_a_configured_passthrough_host_is_forwarded_untouched(tmp_path, certs):
    data_dir, port, env = tmp_path / "data", free_port(), jaga_env(tmp_path)
    cmd = jaga_run_command(data_dir, port, certs[0], r"jaga_passthrough=^127\.0\.0\.1")
    server = ChatServer(certs[1], certs[2], replies=[GROOMING_REPLIES[3]])
    with proxy_process(cmd, port, env, tmp_path / "jaga.log"), server.running(), \
            httpx.Client(proxy=f"http://127.0.0.1:{port}", verify=server_only_context(certs[0]),
                         timeout=30) as client:
        r = client.post(f"https://127.0.0.1:{server.http_port}/api/messages",
                        json={"thread_id": "t1", "text": "halo"})
        # the server's own certificate reached the client: jaga did not intercept
        assert r.json()["messages"][0]["text"] == GROOMING_REPLIES[3]
        assert stored_alerts(data_dir, env, wait=2) == []


def test_a_host_whose_certificate_was_refused_is_passed_through_from_then_on(agent, certs):
    port, data_dir, _ = agent
    server = ChatServer(certs[1], certs[2], replies=["halo juga"])
    url = f"https://127.0.0.1:{server.http_port}/api/messages"
    with server.running(), httpx.Client(proxy=f"http://127.0.0.1:{port}",
                                        verify=server_only_context(certs[0]), timeout=30) as client:
        with pytest.raises(httpx.ConnectError):  # the "pinned app" refuses jaga's certificate
            client.post(url, json={"text": "halo"})
        learned = data_dir / "passthrough.json"
        for _ in range(50):
            if learned.exists():
                break
            time.sleep(0.1)
        assert json.loads(learned.read_text())["devices"] == {"127.0.0.1": ["127.0.0.1"]}
        r = client.post(url, json={"text": "halo"})
    assert r.json()["messages"][0]["text"] == "halo juga"
