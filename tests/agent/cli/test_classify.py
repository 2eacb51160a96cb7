"""`jaga classify` as a real process: the panel, and --jsonl exactly as contracts.md says.

Only tests/classifiers/packs/small.yaml is loaded (--no-builtin-rules --rules ...), so the scores
are known; with the built-in rules off the model is not used either.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
JAGA = ROOT / ".venv" / "bin" / "jaga"
SMALL = ROOT / "tests" / "classifiers" / "packs" / "small.yaml"
RULES = ("--no-builtin-rules", "--rules", str(SMALL))


def jaga(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "JAGA_CONFIG": str(cwd / "absent.yaml"), "COLUMNS": "200"}
    return subprocess.run([str(JAGA), *args], cwd=cwd, env=env, input=stdin, capture_output=True,
                          timeout=120)


def out_lines(result: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]


# --- one message: the panel ---------------------------------------------------------------------


def test_panel_shows_verdict_categories_and_evidence(tmp_path):
    r = jaga("classify", *RULES, "Om kasih pulsa, tapi jangan bilang ya", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    text = r.stdout.decode()
    for expected in ("FLAGGED", "score 1.00", "severity high", "offer_credit 0.70", "secrecy 0.60",
                     "t.offer.pulsa", "kasih pulsa", "t.combo.offer_secrecy",
                     "Om kasih pulsa, tapi jangan bilang ya"):
        assert expected in text


def test_panel_for_a_benign_message(tmp_path):
    r = jaga("classify", *RULES, "halo, sudah makan?", cwd=tmp_path)
    text = r.stdout.decode()
    assert r.returncode == 0 and "not flagged" in text and "categories: none" in text


def test_single_text_as_json(tmp_path):
    r = jaga("classify", *RULES, "--json", "--direction", "from_child", "aku sendirian di rumah",
             cwd=tmp_path)
    assert r.returncode == 0
    assert out_lines(r) == [{"id": 1, "flagged": False, "score": 0.35, "severity": "none",
                             "categories": ["personal_info"],
                             "evidence": [{"source": "rule", "rule": "t.personal.alone",
                                           "text": "sendirian di rumah", "span": [4, 22],
                                           "categories": ["personal_info"], "weight": 0.35}]}]


# --- --jsonl: one output line per input line, in order ------------------------------------------

JSONL_CASES = [
    # (input line, expected output: keys to check)
    (b'{"id": "m1", "text": "om kasih pulsa, jangan bilang"}',
     {"id": "m1", "flagged": True, "score": 1.0, "severity": "high",
      "categories": ["offer_credit", "secrecy"]}),
    (b'{"text": "halo"}', {"id": 2, "flagged": False, "score": 0.0, "severity": "none", "categories": []}),
    (b'{"id": 7, "text": "aku sendirian di rumah", "direction": "from_child", "lang": "id"}',
     {"id": 7, "flagged": False, "score": 0.35, "categories": ["personal_info"]}),
    (b'{"id": null, "text": ""}', {"id": None, "flagged": False, "score": 0.0}),
    (b"not json", {"id": 5, "error": "line 5: not valid JSON: Expecting value at column 1"}),
    (b'{"id": "x", "text": 5}', {"id": "x", "error": 'line 6: "text" is missing or is not a string'}),
    (b'["text"]', {"id": 7, "error": 'line 7: expected a JSON object with "text"'}),
    (b'{"text": "hi", "direction": "sideways"}',
     {"id": 8, "error": "line 8: \"direction\" must be \"to_child\" or \"from_child\", not 'sideways'"}),
    (b"\xff\xfe bad bytes", {"id": 9, "error": "line 9: not valid UTF-8 (byte 0xff at position 0)"}),
    (b"", {"id": 10, "error": 'line 10: empty line (expected a JSON object with "text")'}),
    (b'{"text": "\\ud800 kasih pulsa \\ud83d\\ude00"}', {"id": 11, "categories": ["offer_credit"]}),
    ('{"text": "Kasih PULSA 😀 ya"}'.encode(), {"id": 12, "flagged": False, "score": 0.4}),
    ('{"text": "😀😀😀🙏"}'.encode(), {"id": 13, "flagged": False, "score": 0.0}),
    (b'{"text": "' + b"a" * 1_000_000 + b'"}', {"id": 14, "flagged": False, "score": 0.0}),
    (b'{"text": "' + b"halo " * 5_000 + b'kasih pulsa"}', {"id": 15, "score": 0.0}),  # beyond the cap
    (b"[" * 100_000 + b"]" * 100_000, {"id": 16, "error": "line 16: not valid JSON here: nested too deeply"}),
]


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[dict]]:
    cwd = tmp_path_factory.mktemp("classify")
    data = b"\n".join(line for line, _ in JSONL_CASES) + b"\n"
    result = jaga("classify", *RULES, "--jsonl", cwd=cwd, stdin=data)
    return result, out_lines(result)


def test_jsonl_writes_one_line_per_input_line_in_order(batch):
    result, lines = batch
    assert len(lines) == len(JSONL_CASES)
    assert result.returncode == 1  # some lines were bad
    assert result.stderr == b""


@pytest.mark.parametrize("index", range(len(JSONL_CASES)),
                         ids=[c[0][:30].decode("utf-8", "replace") for c in JSONL_CASES])
def test_jsonl_line(batch, index):
    expected = JSONL_CASES[index][1]
    line = batch[1][index]
    assert {k: line.get(k) for k in expected} == expected
    if "error" in expected:
        assert set(line) == {"id", "error"}
    else:
        assert list(line) == ["id", "flagged", "score", "severity", "categories", "evidence"]


def test_jsonl_evidence_has_rule_and_original_words(batch):
    evidence = batch[1][0]["evidence"]
    assert {"source": "rule", "rule": "t.offer.pulsa", "text": "kasih pulsa"}.items() <= evidence[0].items()


def test_jsonl_from_a_file_is_scored_in_batches_with_the_same_answers(tmp_path, batch):
    # A regular file is scored in batches of 256 lines; a pipe line by line: same output.
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"\n".join(line for line, _ in JSONL_CASES) + b"\n")
    result = jaga("classify", *RULES, "--jsonl", str(path), cwd=tmp_path)
    assert result.returncode == 1 and out_lines(result) == batch[1]


def test_jsonl_from_a_file_with_all_good_lines_exits_0(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "halo"}\n{"text": "kasih pulsa"}', encoding="utf-8")  # no final newline
    r = jaga("classify", *RULES, "--jsonl", str(path), cwd=tmp_path)
    assert r.returncode == 0 and [line["id"] for line in out_lines(r)] == [1, 2]


def test_threshold_option_changes_flagged(tmp_path):
    r = jaga("classify", *RULES, "--threshold", "0.3", "--jsonl", "-", cwd=tmp_path,
             stdin=b'{"text": "kasih pulsa"}\n')
    assert out_lines(r)[0]["flagged"] is True and out_lines(r)[0]["severity"] == "low"


def test_direction_option_is_the_default_for_lines(tmp_path):
    r = jaga("classify", *RULES, "--direction", "from_child", "--jsonl", cwd=tmp_path,
             stdin=b'{"text": "aku sendirian di rumah"}\n'
                   b'{"text": "aku sendirian di rumah", "direction": "to_child"}\n')
    assert [line["categories"] for line in out_lines(r)] == [["personal_info"], []]


def test_config_file_names_the_packs(tmp_path):
    config = tmp_path / "jaga.yaml"
    config.write_text(f"version: 1\ndetection:\n  builtin_rules: false\n  rule_packs: ['{SMALL}']\n"
                      "  threshold: 0.9\n", encoding="utf-8")
    r = jaga("classify", "--config", str(config), "--jsonl", cwd=tmp_path,
             stdin=b'{"text": "kasih pulsa rahasia"}\n')
    assert out_lines(r)[0]["score"] == 0.6 and out_lines(r)[0]["flagged"] is False


# --- usage and configuration errors: exit 2, one clear message, no traceback --------------------

USAGE = [
    (("classify",), "nothing to classify"),
    (("classify", "hi", "--jsonl"), "either TEXT or --jsonl"),
    (("classify", "--jsonl", "missing.jsonl"), "missing.jsonl: cannot read"),
    (("classify", "--threshold", "2", "hi"), "--threshold 2.0: must be between 0 and 1"),
    (("classify", "--rules", "nope.yaml", "hi"), "nope.yaml: error pack: no such rule pack"),
    (("classify", "--config", "nope.yaml", "hi"), "nope.yaml: no such configuration file"),
]


@pytest.mark.parametrize("args, message", USAGE, ids=[u[1] for u in USAGE])
def test_usage_errors_exit_2_with_one_clear_message(tmp_path, args, message):
    r = jaga(*args, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr.decode() and "Traceback" not in r.stderr.decode()


def test_bad_rule_pack_names_file_line_and_rule(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text(encoding="utf-8").replace("weight: 0.4", "weight: lots"), encoding="utf-8")
    r = jaga("classify", "--no-builtin-rules", "--rules", str(bad), "hi", cwd=tmp_path)
    assert r.returncode == 2
    assert f"{bad}:29: error t.offer.pulsa: weight: expected" in r.stderr.decode()
    assert "Traceback" not in r.stderr.decode()


def test_help_documents_the_jsonl_contract_and_exit_status(tmp_path):
    r = jaga("classify", "--help", cwd=tmp_path)
    text = r.stdout.decode()
    assert r.returncode == 0 and '"error"' in text and "Exit status" in text and "--no-builtin-rules" in text
