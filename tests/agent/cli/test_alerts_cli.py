"""`jaga alerts`: list with filters, show, ack, purge, export, on a real store."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from agent.cli import main
from agent.store import NewOutboxRow, Store
from tests.alert_samples import OFFER_TEXT, make_alert

NOW = datetime.now().astimezone()


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_CONFIG", str(tmp_path / "absent.yaml"))


@pytest.fixture
def data_dir(tmp_path):
    store = Store.open(tmp_path)
    store.add_alert(make_alert(summary="old", severity="medium", ts=NOW - timedelta(days=40)))
    store.add_alert(make_alert(summary="rina-low", severity="low", ts=NOW - timedelta(hours=5)),
                    [NewOutboxRow("k", "json://127.0.0.1:9/")])
    store.add_alert(make_alert(summary="budi-high", child="Budi", ts=NOW - timedelta(minutes=5)))
    store.close()
    return tmp_path


def jaga(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def summaries(out: str) -> list[str]:
    return [json.loads(line)["summary"] for line in out.splitlines()]


# --- list: filters, JSON for scripts, a table for people --------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], ["budi-high", "rina-low", "old"]),
        (["--since", "2h"], ["budi-high"]),
        (["--since", "1d"], ["budi-high", "rina-low"]),
        (["--since", (NOW - timedelta(days=2)).date().isoformat()], ["budi-high", "rina-low"]),
        (["--child", "RINA"], ["rina-low", "old"]),
        (["--severity", "medium"], ["budi-high", "old"]),
        (["--severity", "high", "--child", "Rina"], []),
        (["--limit", "1"], ["budi-high"]),
    ],
)
def test_list_json_applies_filters(capsys, data_dir, args, expected):
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "--json", *args)
    assert status == 0
    assert summaries(out) == expected


def test_list_table_names_child_severity_and_what_happened(capsys, data_dir):
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir))
    assert status == 0
    assert "Budi" in out and "high" in out and "menawarkan" in out  # alerts.language: id


def test_list_table_speaks_the_configured_language(capsys, data_dir, tmp_path):
    config = tmp_path / "jaga.yaml"
    config.write_text("version: 1\nalerts: {language: en}\n")
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "--config", str(config))
    assert status == 0 and "offered" in out and "menawarkan" not in out


def test_list_without_a_store_says_there_are_no_alerts_and_creates_nothing(capsys, tmp_path):
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(tmp_path / "none"))
    assert status == 0 and "No alerts yet" in out
    assert not (tmp_path / "none").exists()


@pytest.mark.parametrize("since", ["yesterday", "5x", "2026-13-01"])
def test_a_bad_since_is_a_usage_error(capsys, data_dir, since):
    status, _, err = jaga(capsys, "alerts", "--data-dir", str(data_dir), "--since", since)
    assert status == 2 and "--since" in err


# --- show, ack --------------------------------------------------------------------------------


def test_show_prints_evidence_context_and_deliveries(capsys, data_dir):
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "show", "2")
    assert status == 0
    flat = " ".join(out.split())
    assert " ".join(OFFER_TEXT.split()[:6]) in flat  # the whole text: this is the parent's box
    assert "kamu cantik banget" in flat  # the context before it
    assert "pending" in flat and "json://127.0.0.1:9/" in flat


def test_show_json_includes_deliveries(capsys, data_dir):
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "--json", "show", "2")
    record = json.loads(out)
    assert status == 0 and record["summary"] == "rina-low"
    assert record["deliveries"] == [{"target": "json://127.0.0.1:9/", "status": "pending",
                                     "attempts": 0, "last_error": None}]


def test_show_an_unknown_id_is_a_usage_error(capsys, data_dir):
    status, _, err = jaga(capsys, "alerts", "--data-dir", str(data_dir), "show", "99")
    assert status == 2 and "no alert 99" in err


def test_ack_marks_alerts_and_reports_unknown_ids_with_exit_1(capsys, data_dir):
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "ack", "1", "3", "99")
    assert status == 1 and "No alert 99" in out
    _, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "--json")
    acked = {json.loads(line)["summary"]: json.loads(line)["acknowledged"] is not None
             for line in out.splitlines()}
    assert acked == {"old": True, "rina-low": False, "budi-high": True}


# --- purge, export ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "left"),
    [
        ([], ["budi-high", "rina-low"]),  # default: storage.retention_days (30)
        (["--older-than", "1h"], ["budi-high"]),
    ],
)
def test_purge_deletes_older_alerts(capsys, data_dir, args, left):
    status, _, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "purge", *args)
    assert status == 0
    _, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "--json")
    assert summaries(out) == left


def test_purge_uses_the_configured_retention(capsys, data_dir, tmp_path):
    config = tmp_path / "jaga.yaml"
    config.write_text("version: 1\nstorage: {retention_days: 1}\n")
    jaga(capsys, "alerts", "--data-dir", str(data_dir), "--config", str(config), "purge")
    _, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "--json")
    assert summaries(out) == ["budi-high", "rina-low"]


def test_export_writes_json_lines_oldest_first_to_an_owner_only_file(capsys, data_dir, tmp_path):
    target = tmp_path / "export.jsonl"
    status, _, err = jaga(capsys, "alerts", "--data-dir", str(data_dir), "export", "-o", str(target))
    assert status == 0 and "Wrote 3 alert(s)" in err
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["summary"] for r in lines] == ["old", "rina-low", "budi-high"]
    assert lines[0]["evidence"][0]["text"] == OFFER_TEXT and lines[0]["context"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_export_to_stdout_with_a_filter(capsys, data_dir):
    status, out, _ = jaga(capsys, "alerts", "--data-dir", str(data_dir), "export", "--child", "Budi")
    assert status == 0 and summaries(out) == ["budi-high"]


# --- the real console script ------------------------------------------------------------------


def test_console_script_help_and_exit_status(data_dir):
    jaga_bin = [sys.executable, "-m", "agent"]
    help_text = subprocess.run([*jaga_bin, "alerts", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "show" in help_text.stdout and "export" in help_text.stdout
    bad = subprocess.run([*jaga_bin, "alerts", "--data-dir", str(data_dir), "--since", "soon"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
