"""Faults: whatever goes wrong inside jaga, or whatever the traffic holds, the flow passes intact
and the agent keeps running (fail open)."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess

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
    stored_alerts,
)

pytestmark = pytest.mark.e2e

GROOMING = "Kakak kasih pulsa 50rb ya, tapi jangan bilang siapa-siapa, ini rahasia kita berdua"
GROOMING_SEQUENCE = (
    "Kakak kasih pulsa 50rb ya buat kamu, gratis",
    "Tapi jangan bilang siapa-siapa ya, ini rahasia kita berdua",
    "Besok ketemuan di kafe dekat sekolah yuk, kakak traktir",
)
MB = 1024 * 1024
BOMB = gzip.compress(b"\0" * (200 * MB), compresslevel=9)  # ~200 KB on the wire, 200 MB inflated
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"text":' * 100_000 + b'"hai"' + b"}" * 100_000


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


def start_agent(tmp, certs, *sets):
    data_dir, port, env = tmp / "data", free_port(), jaga_env(tmp)
    return proxy_process(jaga_run_command(data_dir, port, certs[0], *sets), port, env,
                         tmp / "jaga.log"), port, data_dir, env


@pytest.fixture(scope="module")
def agent(tmp_path_factory, certs):
    """One agent for all the hostile bodies: it must survive every one of them in turn."""
    tmp = tmp_path_factory.mktemp("agent")
    context, port, data_dir, env = start_agent(tmp, certs)
    with context as proc:
        yield proc, port, data_dir, env


@pytest.fixture(scope="module")
def server(certs):
    server = ChatServer(certs[1], certs[2])
    with server.running():
        yield server


def client(port, data_dir):
    return httpx.Client(proxy=f"http://127.0.0.1:{port}", verify=client_context(data_dir), timeout=120)


# --- Hostile request bodies: each reaches the server byte for byte ---

@pytest.mark.parametrize(("body", "headers"), [
    # not UTF-8 at all, though it says JSON
    (b'{"text": "\xff\xfe\xfd rusak \xc3\x28"}', {"content-type": "application/json"}),
    # 50 MB of JSON: streamed, never buffered or read
    (b'{"text": "' + b"a" * (50 * MB) + b'"}', {"content-type": "application/json"}),
    # a gzip bomb: jaga inflates at most its body limit
    (BOMB, {"content-type": "application/json", "content-encoding": "gzip"}),
    # JSON nested 100,000 deep, as a list and as message objects
    (DEEP_JSON, {"content-type": "application/json"}),
    (DEEP_OBJECT, {"content-type": "application/json"}),
    # a form and a multipart body with a broken boundary
    (b"message=" + b"%ff" * 1000, {"content-type": "application/x-www-form-urlencoded"}),
    (b"--x\r\nno headers end", {"content-type": "multipart/form-data; boundary=x"}),
], ids=["invalid-utf8", "50MB", "gzip-bomb", "json-100k-deep-list", "json-100k-deep-object",
        "bad-form", "bad-multipart"])
def test_hostile_request_bodies_pass_intact(agent, server, body, headers):
    proc, port, data_dir, _ = agent
    with client(port, data_dir) as c:
        r = c.post(f"https://127.0.0.1:{server.http_port}/api/bulk", content=body, headers=headers)
    assert r.status_code == 200
    assert r.json() == {"ok": True, "sha256": hashlib.sha256(body).hexdigest(), "length": len(body)}
    assert proc.poll() is None


# --- Hostile response bodies: each reaches the client byte for byte ---

@pytest.mark.parametrize(("path", "body", "headers"), [
    ("/bomb", BOMB, {"content-type": "application/json", "content-encoding": "gzip"}),
    ("/big", b'{"text": "' + b"b" * (50 * MB) + b'"}', {"content-type": "application/json"}),
    ("/deep", DEEP_JSON, {"content-type": "application/json"}),
    ("/utf8", b'{"text": "\xff\xfe rusak"}', {"content-type": "application/json; charset=utf-8"}),
    ("/binary", bytes(range(256)) * 4096, {"content-type": "application/octet-stream"}),
], ids=["gzip-bomb", "50MB", "json-100k-deep", "invalid-utf8", "binary"])
def test_hostile_response_bodies_pass_intact(agent, server, path, body, headers):
    proc, port, data_dir, _ = agent
    server.special[path] = (body, dict(headers))
    with client(port, data_dir) as c, c.stream("GET", f"https://127.0.0.1:{server.http_port}{path}") as r:
        raw = b"".join(r.iter_raw())
    assert r.status_code == 200
    assert hashlib.sha256(raw).hexdigest() == hashlib.sha256(body).hexdigest()
    assert proc.poll() is None


def test_after_all_that_the_agent_still_reads_and_alerts(agent, certs):
    proc, port, data_dir, env = agent
    server = ChatServer(certs[1], certs[2], replies=list(GROOMING_SEQUENCE))
    with server.running(), client(port, data_dir) as c:
        got = [c.post(f"https://127.0.0.1:{server.http_port}/api/messages",
                      json={"thread_id": "after-faults", "text": text}).json()["messages"][0]["text"]
               for text in ("halo", "iya", "boleh")]
    assert got == list(GROOMING_SEQUENCE)
    alerts = stored_alerts(data_dir, env, wait=20)
    assert {a["conversation"] for a in alerts} == {"127.0.0.1|127.0.0.1|after-faults"}
    assert proc.poll() is None


# --- A scorer that raises on every message ---

def test_a_failing_scorer_never_breaks_traffic(tmp_path, certs):
    context, port, data_dir, env = start_agent(tmp_path, certs, "jaga_test_fault=scorer")
    server = ChatServer(certs[1], certs[2], replies=[GROOMING] * 5)
    with context as proc, server.running(), client(port, data_dir) as c:
        replies = []
        for i in range(5):
            r = c.post(f"https://127.0.0.1:{server.http_port}/api/messages",
                       json={"thread_id": "t1", "text": f"pesan ke {i}"})
            replies.append(r.content)
        assert replies == server.sent
        assert [json.loads(b)["text"] for b in server.received] == [f"pesan ke {i}" for i in range(5)]
        assert proc.poll() is None
        assert stored_alerts(data_dir, env, wait=3) == []
    log = (tmp_path / "jaga.log").read_text(errors="replace")
    assert "failed on purpose" in log  # the fault did fire, and was logged


def test_an_unknown_fault_is_a_usage_error(tmp_path, certs):
    cmd = jaga_run_command(tmp_path / "data", free_port(), certs[0], "jaga_test_fault=everything")
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                            env={**os.environ, **jaga_env(tmp_path)})
    assert result.returncode == 2
    assert "jaga_test_fault" in result.stderr and "Traceback" not in result.stderr
