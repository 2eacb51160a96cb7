"""`jaga rules lint|test` as real processes: output lines, summaries and exit statuses."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from classifiers.rulepack import builtin_pack_files

ROOT = Path(__file__).resolve().parents[3]
JAGA = ROOT / ".venv" / "bin" / "jaga"
SMALL = ROOT / "tests" / "classifiers" / "packs" / "small.yaml"


def jaga(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "JAGA_CONFIG": str(cwd / "absent.yaml"), "COLUMNS": "200"}
    return subprocess.run([str(JAGA), *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=120)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- lint ---------------------------------------------------------------------------------------


def test_lint_clean_pack_exits_0(tmp_path):
    r = jaga("rules", "lint", str(SMALL), cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    assert r.stdout.strip() == "0 errors, 0 warnings in 1 pack (5 rules)"


def test_lint_reports_every_problem_with_file_line_rule_and_fix(tmp_path):
    text = (SMALL.read_text(encoding="utf-8")
            .replace("condition: (offer or amount) and not shop",
                     "condition: offer or amount and not shop")
            .replace("[kasih pulsa, kirim pulsa, isiin pulsa*]", "[kasih pulsa, Kirim Pulsa, isiin pulsa*]")
            .replace("    condition: secret\n", "    condition: secret\n    colour: red\n"))
    bad = write(tmp_path, "bad.yaml", text)
    r = jaga("rules", "lint", "bad.yaml", cwd=tmp_path)
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines == [
        "bad.yaml:23: warning t.offer.pulsa: selection 'offer': phrase 'Kirim Pulsa' is matched as "
        "'kirim pulsa' [phrase-not-normalized] (fix: write it as 'kirim pulsa')",
        "bad.yaml:28: error t.offer.pulsa: condition 'offer or amount and not shop' mixes 'and' and 'or' "
        "without parentheses [and-or-mixed] (fix: add parentheses, e.g. '(a and b) or c')",
        "bad.yaml:63: error t.secrecy.tell: rule: unknown key 'colour' [unknown-key] (fix: remove it or "
        "correct the spelling; allowed here: id, title, status, description, author, references, level, "
        "categories, direction, falsepositives, selections, condition, combine, weight, context, examples)",
        "2 errors, 1 warning in 1 pack (5 rules)",
    ]
    assert bad.exists()


@pytest.mark.parametrize("flags, status, shown", [
    ((), 0, 1),
    (("--strict",), 1, 1),
    (("--errors-only",), 0, 0),
])
def test_lint_warning_options(tmp_path, flags, status, shown):
    text = SMALL.read_text(encoding="utf-8").replace("[bayar tagihan]", "[Bayar Tagihan]")
    write(tmp_path, "warn.yaml", text)
    r = jaga("rules", "lint", *flags, "warn.yaml", cwd=tmp_path)
    assert r.returncode == status
    assert sum("[phrase-not-normalized]" in line for line in r.stdout.splitlines()) == shown


def test_lint_of_a_folder_finds_duplicate_ids_across_packs(tmp_path):
    write(tmp_path, "a.yaml", SMALL.read_text(encoding="utf-8"))
    write(tmp_path, "b.yaml", SMALL.read_text(encoding="utf-8").replace("id: test-small", "id: test-other"))
    r = jaga("rules", "lint", ".", cwd=tmp_path)
    assert r.returncode == 1
    assert sum("[duplicate-id]" in line and line.startswith("b.yaml:") for line in r.stdout.splitlines()) == 5


def test_lint_of_malformed_yaml_names_the_line(tmp_path):
    write(tmp_path, "broken.yaml", "version: 1\npack:\n  id: [unclosed\n")
    r = jaga("rules", "lint", "broken.yaml", cwd=tmp_path)
    assert r.returncode == 1 and r.stdout.startswith("broken.yaml:4: error pack: not valid YAML")


@pytest.mark.parametrize("args, message", [
    (("rules", "lint", "missing.yaml"), "missing.yaml: no such rule pack or folder"),
    (("rules", "lint", "empty"), "no *.yaml rule packs in empty"),
    (("rules", "test", "missing"), "missing: no such rule pack or folder"),
    (("rules", "lint", "latin1.yaml"), "latin1.yaml: error pack: cannot read"),
])
def test_unusable_paths_exit_2(tmp_path, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "latin1.yaml").write_bytes(b"version: 1 # caf\xe9\n")
    r = jaga(*args, cwd=tmp_path)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_lint_help_documents_format_and_exit_status(tmp_path):
    r = jaga("rules", "lint", "--help", cwd=tmp_path)
    assert r.returncode == 0 and "FILE:LINE: SEVERITY RULE-ID" in r.stdout and "Exit status" in r.stdout


def test_list_checks(tmp_path):
    r = jaga("rules", "lint", "--list-checks", cwd=tmp_path)
    assert r.returncode == 0 and "and-or-mixed" in r.stdout and "unsafe-pattern" in r.stdout


# --- test ---------------------------------------------------------------------------------------


def test_test_reports_per_rule_and_summary(tmp_path):
    r = jaga("rules", "test", str(SMALL), cwd=tmp_path)
    assert r.returncode == 0, r.stdout
    assert "t.offer.pulsa" in r.stdout and "t.combo.offer_secrecy" in r.stdout
    assert r.stdout.splitlines()[-1] == "12 passed, 0 failed, 2 todo"


def test_test_failure_exits_1_and_names_the_example(tmp_path):
    text = SMALL.read_text(encoding="utf-8").replace('"bilang ke mama ya"', '"jangan bilang ke mama ya"')
    write(tmp_path, "fail.yaml", text)
    r = jaga("rules", "test", "fail.yaml", cwd=tmp_path)
    assert r.returncode == 1
    assert ("fail.yaml:67: FAIL t.secrecy.tell: expected it not to fire, on 'jangan bilang ke mama ya' "
            "(to_child)") in r.stdout
    assert r.stdout.splitlines()[-1] == "11 passed, 1 failed, 2 todo"


def test_todo_that_now_passes_is_reported_not_failed(tmp_path):
    text = SMALL.read_text(encoding="utf-8").replace('"mau pulsa gratis dari om?"',
                                                     '"om kasih pulsa gratis"')
    write(tmp_path, "todo.yaml", text)
    r = jaga("rules", "test", "todo.yaml", cwd=tmp_path)
    assert r.returncode == 0
    assert "todo.yaml:48: todo now passes t.offer.pulsa: promote the example to 'expect: match'" in r.stdout
    assert r.stdout.splitlines()[-1] == "12 passed, 0 failed, 1 todo, 1 todo now pass"


def test_test_refuses_a_pack_with_errors(tmp_path):
    write(tmp_path, "bad.yaml", SMALL.read_text(encoding="utf-8").replace("weight: 0.4", "weight: x"))
    r = jaga("rules", "test", "bad.yaml", cwd=tmp_path)
    assert r.returncode == 2 and "bad.yaml:29: error t.offer.pulsa: weight: expected" in r.stderr


# --- the shipped packs --------------------------------------------------------------------------


@pytest.mark.skipif(not builtin_pack_files(), reason="rules/ has no pack yet")
def test_shipped_packs_lint_and_test_clean(tmp_path):
    lint = jaga("rules", "lint", cwd=tmp_path)
    assert lint.returncode == 0, lint.stdout
    test = jaga("rules", "test", cwd=tmp_path)
    assert test.returncode == 0, test.stdout
