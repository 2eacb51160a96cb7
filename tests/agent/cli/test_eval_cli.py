"""`jaga eval`: figures for message and conversation data, bad lines named, reports written.

Runs the real command (python -m agent eval) with the shipped rules and model on small invented
data written here; figures are checked for consistency with the data, never against fixed values
(the shipped model is retrained as the corpus grows).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]

MESSAGES = [
    {"text": "nanti om kasih pulsa 50rb, jangan bilang mama ya", "label": 1,
     "categories": ["offer_credit", "secrecy"], "lang": "id", "direction": "to_child"},
    {"text": "kirim foto kamu dong, nanti om transfer", "label": 1,
     "categories": ["photo_request", "offer_money"], "lang": "id"},
    {"text": "ketemuan di cafe yuk, om jemput, rahasia kita ya", "label": 1,
     "categories": ["meetup", "secrecy"], "lang": "id"},
    {"text": "iya aku sendirian di rumah", "label": 1, "categories": ["personal_info"],
     "lang": "id", "direction": "from_child"},
    {"text": "mama sudah transfer uang sekolah", "label": 0, "lang": "id",
     "hard_negative": True},
    {"text": "konter sebelah jual pulsa murah", "label": 0, "lang": "id", "hard_negative": True},
    {"text": "lagi apa", "label": 0, "lang": "id"},
    {"text": "see you at practice tomorrow", "label": 0, "lang": "en"},
]

CONVERSATIONS = [
    {"messages": [{"sender": "om", "text": "hai dek"},
                  {"sender": "om", "text": "nanti om kasih pulsa 50rb"},
                  {"sender": "om", "text": "tapi jangan bilang mama ya, ketemuan di cafe"}],
     "label": 1, "first_signal": 1, "lang": "id"},
    {"messages": [{"sender": "mama", "text": "nak sudah makan?"},
                  {"sender": "child", "text": "sudah ma"}], "label": 0, "lang": "id"},
]


def jaga(*args: str, **env_extra: str) -> subprocess.CompletedProcess:
    env = {"COLUMNS": "200", "PATH": "", "JAGA_CONFIG": "/nonexistent/jaga.yaml", **env_extra}
    return subprocess.run([sys.executable, "-m", "agent", "eval", *args], capture_output=True,
                          text=True, cwd=REPO, timeout=300, env=env)


def write_jsonl(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


# --- message data ---------------------------------------------------------------------------


@pytest.mark.parametrize("mode, scorer", [
    ([], "combined"),
    (["--rules-only"], "rules"),
    (["--model-only"], "model"),
])
def test_message_data_gives_the_figures_for_each_scorer(tmp_path, mode, scorer):
    data = write_jsonl(tmp_path / "m.jsonl", MESSAGES)
    result = jaga(str(data), *mode, "--bootstrap", "50", "--report", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    for figure in ("precision", "recall", "F1", "F0.5", "F3", "PR-AUC", "false-positive rate",
                   "hard negatives", "Per language", "Per category"):
        assert figure in result.stdout
    report = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert report["scorer"]["mode"] == scorer
    overall = report["overall"]
    assert (overall["n"], overall["positives"]) == (8, 4)
    assert overall["tp"] + overall["fn"] == 4 and overall["fp"] + overall["tn"] == 4
    assert report["hard_negatives"]["n"] == 2
    assert set(report["per_language"]) == {"id", "en"}
    assert report["per_category"]["secrecy"]["positives"] == 2


def test_report_writes_a_png_precision_recall_curve(tmp_path):
    data = write_jsonl(tmp_path / "m.jsonl", MESSAGES)
    result = jaga(str(data), "--bootstrap", "0", "--report", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "r" / "pr_curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_threshold_option_moves_the_operating_point(tmp_path):
    data = write_jsonl(tmp_path / "m.jsonl", MESSAGES)
    reports = {}
    for t in ("0", "1"):
        jaga(str(data), "--threshold", t, "--bootstrap", "0", "--report", str(tmp_path / t))
        reports[t] = json.loads((tmp_path / t / "metrics.json").read_text())["overall"]
    assert reports["0"]["recall"] == 1.0 and reports["0"]["fpr"] == 1.0  # everything flagged
    assert reports["1"]["tp"] + reports["1"]["fp"] <= reports["0"]["tp"] + reports["0"]["fp"]


def test_report_without_matplotlib_says_how_to_install_it(tmp_path):
    # A matplotlib that cannot be imported, first on the path: as if the extra were missing.
    fake = tmp_path / "fake" / "matplotlib"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('matplotlib is not installed')\n")
    data = write_jsonl(tmp_path / "m.jsonl", MESSAGES)
    result = jaga(str(data), "--report", str(tmp_path / "r"), PYTHONPATH=str(fake.parent))
    assert result.returncode == 2
    assert "pip install 'jaga[eval]'" in result.stderr
    assert not (tmp_path / "r").exists()  # refused before any work


# --- bad input: named by line, the rest still evaluated, exit 1 ------------------------------


def test_malformed_lines_are_reported_and_the_rest_evaluated(tmp_path):
    rows = [MESSAGES[0], "{not json", {"text": "no label"}, {"text": 3, "label": 1},
            *MESSAGES[1:]]
    data = write_jsonl(tmp_path / "m.jsonl", rows)
    result = jaga(str(data), "--bootstrap", "0", "--report", str(tmp_path / "r"))
    assert result.returncode == 1
    for line in (2, 3, 4):
        assert f"{data}:{line}:" in result.stderr
    report = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert report["overall"]["n"] == len(MESSAGES)
    assert report["bad_lines"] == 3


@pytest.mark.parametrize("args, says", [
    (["absent.jsonl"], "no such file"),
    (["{data}", "--threshold", "1.5"], "must be between 0 and 1"),
    (["{data}", "--rules-only", "--model-only"], "not allowed with"),
    (["{conversations}", "--model-only"], "--model-only applies to message data"),
    (["{empty}"], "no usable labelled message"),
])
def test_usage_errors_exit_2_with_one_clear_line(tmp_path, args, says):
    paths = {"data": write_jsonl(tmp_path / "m.jsonl", MESSAGES),
             "conversations": write_jsonl(tmp_path / "c.jsonl", CONVERSATIONS),
             "empty": write_jsonl(tmp_path / "e.jsonl", ["{broken"])}
    result = jaga(*(a.format(**paths) for a in args))
    assert result.returncode == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr


# --- conversation data ----------------------------------------------------------------------


def test_conversation_data_is_recognised_and_evaluated(tmp_path):
    data = write_jsonl(tmp_path / "c.jsonl", CONVERSATIONS)
    result = jaga(str(data), "--report", str(tmp_path / "r"))
    assert result.returncode == 0, result.stderr
    assert "detection rate" in result.stdout
    report = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert report["kind"] == "conversations"
    assert (report["grooming"], report["benign"]) == (1, 1)


def test_bad_conversation_line_is_named_and_the_rest_evaluated(tmp_path):
    data = write_jsonl(tmp_path / "c.jsonl", [*CONVERSATIONS, {"messages": [], "label": 7}])
    result = jaga(str(data))
    assert result.returncode == 1
    assert f"{data}:3:" in result.stderr
    assert "detection rate" in result.stdout
