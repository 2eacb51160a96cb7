"""End to end: an alert raised through real `jaga run` and `jaga scan --notify` reaches a parent.

The parent is a real local `json://` receiver; jaga sends through Apprise from its outbox.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.e2e.proxy_harness import (
    ChatServer,
    free_port,
    jaga_env,
    jaga_run_command,
    make_certificates,
    proxy_process,
)
from tests.e2e.test_proxy_e2e import CHILD_LINES, GROOMING_REPLIES, chat_over_https
from tests.receivers import JsonReceiver

pytestmark = pytest.mark.e2e

REPO_ENV = {"PYTHONUNBUFFERED": "1"}


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


def test_an_alert_from_jaga_run_reaches_the_parents_json_receiver(tmp_path, certs):
    data_dir, port, env = tmp_path / "data", free_port(), jaga_env(tmp_path)
    with JsonReceiver() as parent:
        command = [*jaga_run_command(data_dir, port, certs[0]), "--notify", parent.url]
        with proxy_process(command, port, env, tmp_path / "jaga.log") as proc:
            server = ChatServer(certs[1], certs[2], replies=GROOMING_REPLIES)
            with server.running():
                chat_over_https(port, data_dir, server, CHILD_LINES)
            assert parent.wait_for(1, timeout=30), (tmp_path / "jaga.log").read_text()[-3000:]
            assert proc.poll() is None
    title = parent.received[0]["title"]
    # Indonesian by default, the phone named by its address (no children configured)
    assert "Perangkat 127.0.0.1" in title
    assert "SAPA 129" in parent.received[0]["message"]


def test_an_alert_from_jaga_scan_notify_reaches_the_parents_json_receiver(tmp_path):
    chat = tmp_path / "chat.jsonl"
    chat.write_text("".join(json.dumps({"conversation": "c1", "sender": "other", "text": t}) + "\n"
                            for t in GROOMING_REPLIES))
    env = {**os.environ, **jaga_env(tmp_path), **REPO_ENV}
    with JsonReceiver() as parent:
        done = subprocess.run([sys.executable, "-m", "agent", "scan", str(chat), "--child", "Rina",
                               "--notify", parent.url, "--data-dir", str(tmp_path / "data")],
                              capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert parent.received and all("HP Rina" in t for t in parent.titles())
