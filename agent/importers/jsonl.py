"""The JSON Lines chat format of `jaga scan` (../shared/spec/contracts.md).

One message per line: `{"conversation": "c1", "sender": "child" | "other" | NAME, "text": "...",
"ts": "2026-05-14T10:00:00+08:00"}` (`ts` optional). `sender: "child"`, or the NAME given as
`child`, marks the child's own messages (`from_child`); every other sender writes to the child.
The file is streamed line by line, so its size does not matter; a bad line becomes an
`ImportProblem` with its line number and the rest is still read.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from agent.importers import ImportProblem
from agent.messages import ChatMessage

# A line longer than this is not read into memory whole (a 1 MB message is fine; a 64 MB line is
# not a chat message).
MAX_LINE_BYTES = 8_000_000


def read_jsonl(path: Path, child: str | None = None) -> Iterator[ChatMessage | ImportProblem]:
    # Bytes, decoded line by line: a stray non-UTF-8 byte spoils its own line, not the file.
    try:
        f = path.open("rb")
    except OSError as e:
        yield ImportProblem(0, f"{path}: cannot read: {e.strerror or e}")
        return
    with f:
        line_no = 0
        while True:
            raw = f.readline(MAX_LINE_BYTES)
            if not raw:
                return
            line_no += 1
            if len(raw) >= MAX_LINE_BYTES and not raw.endswith(b"\n"):
                yield ImportProblem(line_no, f"line longer than {MAX_LINE_BYTES} bytes, skipped")
                _skip_rest_of_line(f)
                continue
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte-order mark
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                yield ImportProblem(line_no, f"not UTF-8 text (byte {e.start + 1}: {e.reason}); line skipped")
                continue
            if not line.strip():
                continue
            yield parse_line(line, line_no, child)


def _skip_rest_of_line(f: BinaryIO) -> None:
    while True:
        chunk = f.readline(MAX_LINE_BYTES)
        if not chunk or chunk.endswith(b"\n"):
            return


def parse_line(line: str, line_no: int, child: str | None = None) -> ChatMessage | ImportProblem:
    """One JSONL line as a message, or the problem that stops it being one."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        return ImportProblem(line_no, f"not valid JSON: {e.msg} (column {e.colno})")
    if not isinstance(obj, dict):
        return ImportProblem(line_no, "expected a JSON object")
    conversation = obj.get("conversation")
    sender = obj.get("sender")
    text = obj.get("text")
    if isinstance(conversation, int) and not isinstance(conversation, bool):
        conversation = str(conversation)
    if not isinstance(conversation, str) or not conversation:
        return ImportProblem(line_no, "missing 'conversation' (a non-empty string)")
    if not isinstance(sender, str) or not sender:
        return ImportProblem(line_no, 'missing \'sender\' ("child", "other" or a name)')
    if not isinstance(text, str):
        return ImportProblem(line_no, "missing 'text' (a string)")
    ts = None
    raw_ts = obj.get("ts")
    if raw_ts is not None:
        if not isinstance(raw_ts, str):
            return ImportProblem(line_no, "'ts' must be an ISO 8601 date-time string")
        try:
            ts = datetime.fromisoformat(raw_ts)
        except ValueError:
            return ImportProblem(line_no, f"'ts' is not an ISO 8601 date-time: {raw_ts[:40]!r}")
    is_child = sender == "child" or (child is not None and sender == child)
    return ChatMessage(
        conversation=conversation,
        text=text,
        direction="from_child" if is_child else "to_child",
        ts=ts,
        sender=sender,
        child=child,
    )
