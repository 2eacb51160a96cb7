"""agent/importers (read_messages, format detection) and agent/importers/jsonl.py (the contract's JSONL)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from agent.errors import UsageError
from agent.importers import ImportProblem, detect_format, read_messages
from agent.importers import jsonl as jsonl_module


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def line(**fields) -> str:
    return json.dumps(fields, ensure_ascii=False)


# --- valid lines ----------------------------------------------------------------------------


def test_messages_are_read_in_order_with_direction_and_time(tmp_path):
    path = write_lines(tmp_path / "chat.jsonl", [
        line(conversation="c1", sender="other", text="halo dek", ts="2026-05-14T10:00:00+08:00"),
        line(conversation="c1", sender="child", text="halo om"),
        line(conversation="c2", sender="Budi", text="besok main?"),
    ])
    items = list(read_messages(path))
    assert [(m.conversation, m.direction, m.sender, m.text) for m in items] == [
        ("c1", "to_child", "other", "halo dek"),
        ("c1", "from_child", "child", "halo om"),
        ("c2", "to_child", "Budi", "besok main?"),
    ]
    assert items[0].ts == datetime(2026, 5, 14, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    assert items[1].ts is None


@pytest.mark.parametrize("child, sender, direction", [
    ("Rina", "Rina", "from_child"),  # the named child
    ("Rina", "child", "from_child"),  # "child" always means the child
    ("Rina", "Om Beni", "to_child"),
    (None, "Rina", "to_child"),  # without --child a name is someone else
])
def test_child_option_marks_the_childs_messages(tmp_path, child, sender, direction):
    path = write_lines(tmp_path / "chat.jsonl", [line(conversation="c1", sender=sender, text="hai")])
    (msg,) = read_messages(path, "jsonl", child=child)
    assert msg.direction == direction
    assert msg.child == child


def test_bom_crlf_and_blank_lines_are_accepted(tmp_path):
    path = tmp_path / "chat.jsonl"
    body = "\r\n".join([line(conversation="c1", sender="other", text="a"), "", "  ",
                        line(conversation=7, sender="child", text="b")]) + "\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    items = list(read_messages(path))
    assert [(m.conversation, m.text) for m in items] == [("c1", "a"), ("7", "b")]


# --- bad lines: reported with their line number, the rest still read -------------------------


@pytest.mark.parametrize("bad, problem", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (line(sender="other", text="x"), "missing 'conversation'"),
    (line(conversation="", sender="other", text="x"), "missing 'conversation'"),
    (line(conversation="c1", text="x"), "missing 'sender'"),
    (line(conversation="c1", sender="other"), "missing 'text'"),
    (line(conversation="c1", sender="other", text=5), "missing 'text'"),
    (line(conversation="c1", sender="other", text="x", ts="yesterday"), "'ts' is not an ISO 8601"),
    (line(conversation="c1", sender="other", text="x", ts=1715652000), "'ts' must be"),
])
def test_a_bad_line_is_a_problem_with_its_line_number(tmp_path, bad, problem):
    path = write_lines(tmp_path / "chat.jsonl", [
        line(conversation="c1", sender="other", text="first"),
        bad,
        line(conversation="c1", sender="other", text="third"),
    ])
    items = list(read_messages(path, "jsonl"))
    assert [getattr(i, "text", None) for i in items] == ["first", None, "third"]
    assert isinstance(items[1], ImportProblem)
    assert items[1].line == 2 and problem in items[1].message
    assert str(items[1]).startswith("line 2: ")


def test_text_that_is_not_utf8_is_reported_with_its_line(tmp_path):
    path = tmp_path / "chat.jsonl"
    path.write_bytes(line(conversation="c1", sender="other", text="ok").encode() + b"\n"
                     + b'{"conversation": "c1", "sender": "other", "text": "\xff\xfe"}\n'
                     + line(conversation="c1", sender="other", text="after").encode() + b"\n")
    items = list(read_messages(path, "jsonl"))
    assert items[0].text == "ok"
    assert isinstance(items[1], ImportProblem) and items[1].line == 2 and "UTF-8" in items[1].message
    assert items[2].text == "after"


def test_an_overlong_line_is_skipped_and_reading_goes_on(tmp_path, monkeypatch):
    monkeypatch.setattr(jsonl_module, "MAX_LINE_BYTES", 200)
    path = write_lines(tmp_path / "chat.jsonl", [
        line(conversation="c1", sender="other", text="x" * 1000),
        line(conversation="c1", sender="other", text="after"),
    ])
    items = list(read_messages(path, "jsonl"))
    assert isinstance(items[0], ImportProblem) and items[0].line == 1 and "longer than" in items[0].message
    assert items[1].text == "after"


def test_a_one_megabyte_message_is_read(tmp_path):
    big = line(conversation="c1", sender="other", text="y" * 1_000_000)
    path = write_lines(tmp_path / "chat.jsonl", [big])
    (msg,) = read_messages(path)
    assert len(msg.text) == 1_000_000


def test_reading_is_lazy(tmp_path):
    path = write_lines(tmp_path / "chat.jsonl", [line(conversation="c1", sender="other", text="one"),
                                                  "{broken"])
    items = read_messages(path)
    first = next(items)
    assert first.text == "one"  # the broken line has not been looked at yet
    assert isinstance(next(items), ImportProblem)


# --- choosing the format --------------------------------------------------------------------


@pytest.mark.parametrize("name, content, fmt", [
    ("chat.jsonl", line(conversation="c1", sender="other", text="x") + "\n", "jsonl"),
    ("chat.txt", "\n" + line(conversation="c1", sender="other", text="x") + "\n", "jsonl"),
    ("result.json", '{\n "name": "x",\n "messages": []\n}\n', "telegram"),
    ("export", '{\n "name": "x"\n}\n', "telegram"),
])
def test_format_is_detected_from_name_and_first_lines(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    assert detect_format(path) == fmt


def test_whatsapp_export_is_detected_when_the_importer_is_present(tmp_path):
    pytest.importorskip("agent.importers.whatsapp")
    path = tmp_path / "WhatsApp Chat with Om Beni.txt"
    path.write_text("14/05/2026, 10:00 - Om Beni: halo dek\n14/05/2026, 10:01 - Rina: halo om\n",
                    encoding="utf-8")
    assert detect_format(path) == "whatsapp"


@pytest.mark.parametrize("setup, fmt, message", [
    (lambda p: p.write_text("just some notes\nnothing here\n"), "auto", "cannot tell the format"),
    (lambda p: None, "auto", "no such file"),
    (lambda p: p.mkdir(), "auto", "is a directory"),
    (lambda p: p.write_text("x"), "csv", "unknown format"),
])
def test_files_that_cannot_be_read_are_usage_errors(tmp_path, setup, fmt, message):
    path = tmp_path / "input"
    setup(path)
    with pytest.raises(UsageError, match=message):
        read_messages(path, fmt)
