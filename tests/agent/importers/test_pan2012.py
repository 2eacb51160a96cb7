"""agent/importers/pan2012.py and `jaga convert pan2012` on a small file in PAN 2012's format."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from agent.importers.pan2012 import convert, read_marked_lines, read_predators

EXPORTS = Path(__file__).parent / "exports"


def test_conversations_become_labelled_records_with_first_signal():
    records = list(
        convert(
            EXPORTS / "pan2012_small.xml",
            read_predators(EXPORTS / "pan2012_predators.txt"),
            read_marked_lines(EXPORTS / "pan2012_lines.txt"),
        )
    )
    assert [(r["id"], r["label"], r["first_signal"]) for r in records] == [
        ("c0001", 1, 3),  # line 4 is marked: the 4th message (the empty 5th is dropped)
        ("c0002", 0, -1),
        ("c0003", 1, 0),  # no marked line: the predator's first message
    ]
    assert records[0]["messages"][1] == {"sender": "other", "text": "hey, how old are you?"}
    assert records[0]["messages"][0]["sender"] == "child"
    assert len(records[0]["messages"]) == 4


def convert_cli(*args: str) -> subprocess.CompletedProcess:
    """`jaga convert pan2012 XML --predators FILE [more]` in a real process."""
    xml, predators, *more = args
    return subprocess.run(
        [sys.executable, "-m", "agent", "convert", "pan2012", xml, "--predators", predators, *more],
        capture_output=True, text=True, check=False)


def test_cli_writes_jsonl(tmp_path):
    out = tmp_path / "pan.jsonl"
    result = convert_cli(str(EXPORTS / "pan2012_small.xml"), str(EXPORTS / "pan2012_predators.txt"),
                         "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["label"] for r in lines] == [1, 0, 1]


def test_cli_reports_broken_xml_with_its_line(tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text("<conversations>\n<conversation id='x'>\n<message>\n</conversations>\n")
    result = convert_cli(str(broken), str(EXPORTS / "pan2012_predators.txt"))
    assert result.returncode == 1
    assert f"{broken}:4: not valid PAN 2012 XML" in result.stderr


def test_cli_missing_file_is_a_usage_error(tmp_path):
    result = convert_cli(str(tmp_path / "none.xml"), str(tmp_path / "none.txt"))
    assert result.returncode == 2
    assert "no such file" in result.stderr and "Traceback" not in result.stderr
