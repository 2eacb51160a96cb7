"""`jaga scan` as a real process: the contract's JSON lines, the table, bad input, usage errors, --notify.

The configuration loads only tests/agent/data/tracker-pack.yaml (marker words with known weights),
so what alerts is known; everything else (importer, scorer, tracker, alert store, Apprise) is real.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from tests.receivers import JsonReceiver

ROOT = Path(__file__).resolve().parents[3]
PACK = ROOT / "tests" / "agent" / "data" / "tracker-pack.yaml"


def jaga(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "JAGA_CONFIG": str(cwd / "absent.yaml"), "JAGA_DATA_DIR": str(cwd / "data"),
                "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "agent", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "jaga.yaml"
    path.write_text(f"version: 1\ndetection:\n  builtin_rules: false\n  rule_packs: ['{PACK}']\n",
                    encoding="utf-8")
    return path


def write_chat(path: Path, rows: list[dict | str]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GROOMING = [
    {"conversation": "c1", "sender": "other", "text": "hello"},
    {"conversation": "c2", "sender": "other", "text": "offerword"},  # another chat, interleaved
    {"conversation": "c1", "sender": "other", "text": "offerword for you"},
    {"conversation": "c1", "sender": "child", "text": "ok"},
    {"conversation": "c1", "sender": "other", "text": "secretword please"},
    {"conversation": "c1", "sender": "other", "text": "meetword tomorrow"},
    {"conversation": "c1", "sender": "other", "text": "solicitword"},
]


# --- output -------------------------------------------------------------------------------------


def test_json_output_is_one_contract_object_per_alert(tmp_path, config):
    chat = write_chat(tmp_path / "chat.jsonl", GROOMING)
    result = jaga("scan", str(chat), "--json", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    alerts = [json.loads(line) for line in result.stdout.splitlines()]
    assert alerts, "the grooming chat must alert"
    for alert in alerts:
        assert set(alert) == {"conversation", "message_index", "severity", "score", "categories", "summary"}
        assert alert["conversation"] == "c1"
        assert alert["severity"] in ("low", "medium", "high") and 0 <= alert["score"] <= 1
    # message_index counts within the conversation: c1's fourth message is its secrecy request.
    assert alerts[0]["message_index"] in (3, 4, 5)
    assert alerts[-1]["message_index"] in (4, 5) and alerts[-1]["severity"] == "high"
    ranks = [("low", "medium", "high").index(a["severity"]) for a in alerts]
    assert ranks == sorted(set(ranks)), "an alert is raised again only when its severity rises"


def test_table_output_lists_alerts_and_a_closing_count(tmp_path, config):
    chat = write_chat(tmp_path / "chat.jsonl", GROOMING)
    result = jaga("scan", str(chat), "--config", str(config), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Alerts" in result.stdout and "c1" in result.stdout and "high" in result.stdout
    assert "Scanned 7 messages in 2 conversations" in result.stdout


def test_a_benign_chat_gives_no_alert(tmp_path, config):
    chat = write_chat(tmp_path / "chat.jsonl", [
        {"conversation": "c1", "sender": "other", "text": t}
        for t in ("hello", "offerword benignword", "ok")])
    result = jaga("scan", str(chat), "--json", "--config", str(config), cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.parametrize("child, alerts", [
    ("Rina", True),  # Rina is the child: her "aloneword" is sent by the child and counts
    (None, False),  # without --child, Rina is just another sender writing to the child
])
def test_child_option_names_the_child(tmp_path, config, child, alerts):
    rows = [{"conversation": "c1", "sender": "Om Beni", "text": "offerword"},
            {"conversation": "c1", "sender": "Rina", "text": "ok aloneword"},
            {"conversation": "c1", "sender": "Om Beni", "text": "meetword"}]
    chat = write_chat(tmp_path / "chat.jsonl", rows)
    args = ["scan", str(chat), "--json", "--config", str(config)] + (["--child", child] if child else [])
    result = jaga(*args, cwd=tmp_path)
    assert result.returncode == 0
    assert bool(result.stdout.strip()) == alerts


# --- bad input: reported with line numbers, the rest still scanned, exit 1 --------------------


def test_bad_lines_are_reported_and_the_rest_is_scanned(tmp_path, config):
    rows: list[dict | str] = [*GROOMING[:3], "{broken", {"conversation": "c1", "text": "no sender"},
                              *GROOMING[3:]]
    chat = write_chat(tmp_path / "chat.jsonl", rows)
    result = jaga("scan", str(chat), "--json", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 1
    errors = result.stderr.strip().splitlines()
    assert errors[0].startswith(f"{chat}:4: not valid JSON")
    assert errors[1].startswith(f"{chat}:5: missing 'sender'")
    assert any(json.loads(line)["severity"] == "high" for line in result.stdout.splitlines())


# --- usage errors: exit 2, one line, no traceback --------------------------------------------


@pytest.mark.parametrize("args, message", [
    (["scan", "absent.jsonl"], "no such file"),
    (["scan", "notes.txt"], "cannot tell the format"),
    (["scan", "chat.jsonl", "--config", "absent-config.yaml"], "no such configuration file"),
    (["scan", "chat.jsonl", "--notify", "nonsense-url"], "--notify"),
])
def test_usage_errors_exit_2_with_one_line(tmp_path, args, message):
    (tmp_path / "notes.txt").write_text("plain notes\n", encoding="utf-8")
    write_chat(tmp_path / "chat.jsonl", GROOMING)
    result = jaga(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_describes_formats_and_options(tmp_path):
    result = jaga("scan", "--help", cwd=tmp_path)
    assert result.returncode == 0
    for word in ("--format", "--child", "--json", "--notify", "whatsapp", "telegram", "jsonl"):
        assert word in result.stdout


# --- --notify: alerts reach a real Apprise target and the store ----------------------------------


def test_notify_sends_each_alert_through_the_alert_service(tmp_path, config):
    receiver = JsonReceiver().start()
    try:
        chat = write_chat(tmp_path / "chat.jsonl", GROOMING)
        result = jaga("scan", str(chat), "--json", "--config", str(config), "--notify", receiver.url,
                      "--data-dir", str(tmp_path / "store"), cwd=tmp_path)
    finally:
        receiver.stop()
    assert result.returncode == 0, result.stderr
    alerts = result.stdout.strip().splitlines()
    assert alerts and len(receiver.received) >= 1
    assert (tmp_path / "store" / "jaga.db").exists()


# --- progress bar: on a terminal only, for large files --------------------------------------------


def big_chat(path: Path) -> Path:
    rows = [{"conversation": f"c{i % 50}", "sender": "other", "text": "just chatting about school " * 4}
            for i in range(25_000)]
    return write_chat(path, rows)  # > 2 MB


def test_progress_bar_is_drawn_on_a_terminal(tmp_path, config):
    chat = big_chat(tmp_path / "big.jsonl")
    controller, terminal = pty.openpty()
    env = {**os.environ, "JAGA_CONFIG": str(tmp_path / "absent.yaml"), "TERM": "xterm"}
    command = [sys.executable, "-m", "agent", "scan", str(chat), "--json", "--config", str(config)]
    process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=terminal)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process has finished with it
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0
    assert b"scanning" in seen


def test_no_progress_bar_when_standard_error_is_not_a_terminal(tmp_path, config):
    chat = big_chat(tmp_path / "big.jsonl")
    result = jaga("scan", str(chat), "--json", "--config", str(config), cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
