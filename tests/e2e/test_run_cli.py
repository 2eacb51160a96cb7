"""`jaga run` as a parent starts it: clean stops, owner-only files, WireGuard set-up, bad flags."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

from tests.e2e.proxy_harness import free_port, jaga_env, wait_listening

pytestmark = pytest.mark.e2e


def start(tmp_path, *args):
    cmd = [sys.executable, "-m", "agent", "run", "--data-dir", str(tmp_path / "data"), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, **jaga_env(tmp_path), "COLUMNS": "200"})


# --- Stopping ---

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_a_signal(tmp_path, sig):
    port = free_port()
    proc = start(tmp_path, "--listen-host", "127.0.0.1", "--listen-port", str(port))
    wait_listening(port, proc, timeout=60)
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    assert "Traceback" not in out


# --- Files ---

def test_data_dir_and_ca_are_owner_only_and_the_banner_says_where(tmp_path):
    port = free_port()
    proc = start(tmp_path, "--listen-host", "127.0.0.1", "--listen-port", str(port),
                 "--notify", "json://user:s3cret@127.0.0.1:9/x")
    wait_listening(port, proc, timeout=60)
    proc.terminate()
    out, _ = proc.communicate(timeout=30)
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    ca_key = data / "mitmproxy" / "mitmproxy-ca.pem"
    assert stat.S_IMODE(ca_key.stat().st_mode) == 0o600
    assert str(data / "mitmproxy" / "mitmproxy-ca-cert.pem") in out.replace("\n", "")
    assert "mitm.it" in out
    assert "s3cret" not in out  # notify targets are shown masked
    assert "json://user:" in out


def test_wireguard_mode_writes_an_owner_only_key_file_and_prints_the_phone_config(tmp_path):
    import mitmproxy_rs

    port = free_port()
    proc = start(tmp_path, "--mode", "wireguard", "--listen-host", "127.0.0.1",
                 "--listen-port", str(port))
    out = ""
    deadline = time.monotonic() + 60
    try:
        while "Endpoint" not in out and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
            out += line
        key_file = tmp_path / "data" / "wireguard" / "phone.conf"
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        keys = json.loads(key_file.read_text())
        assert f"Endpoint = 127.0.0.1:{port}" in out
        assert f"PrivateKey = {keys['client_key']}" in out
        assert f"PublicKey = {mitmproxy_rs.wireguard.pubkey(keys['server_key'])}" in out
        out += proc.stdout.readline() + proc.stdout.readline()
        assert "█" in out  # the QR code follows
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


# --- Bad command lines ---

@pytest.mark.parametrize(("args", "message"), [
    (["--listen-port", "70000"], "--listen-port"),
    (["--set", "no_such_option=1"], "no_such_option"),
    (["--config", "/nonexistent/jaga.yaml"], "no such configuration file"),
])
def test_bad_flags_are_one_line_usage_errors(tmp_path, args, message):
    proc = start(tmp_path, "--listen-host", "127.0.0.1", "--listen-port", str(free_port()), *args)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert message in out and "Traceback" not in out
