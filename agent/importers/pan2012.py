"""Convert the PAN 2012 sexual-predator identification corpus to jaga's conversation JSONL.

PAN 2012 ships conversations as XML (`<conversation id><message line><author/><time/><text/>`),
the predators' author ids in a text file (one per line), and optionally the lines that show
predatory behaviour (`conversation-id<TAB>line` per line). Each conversation becomes one line of
`jaga eval`'s conversation data: `{"id", "messages": [{"sender", "text"}], "label",
"first_signal"}`. A conversation is labelled 1 when a predator takes part; the predator writes as
"other" and the other participant as "child" (in PAN the "child" was an adult decoy). In benign
conversations the first author is taken as "child". `first_signal` is the first message line marked
in the lines file, else the predator's first message; -1 for benign conversations.

The XML is read incrementally (iterparse), so the full corpus need not fit in memory.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO


def read_predators(path: Path) -> set[str]:
    return {line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}


def read_marked_lines(path: Path) -> dict[str, set[int]]:
    marked: dict[str, set[int]] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            raise ValueError(f"{path}:{number}: expected 'conversation-id<TAB>line', got {line!r}")
        marked.setdefault(parts[0], set()).add(int(parts[1]))
    return marked


def convert(
    xml_path: Path, predators: set[str], marked: dict[str, set[int]] | None = None
) -> Iterator[dict[str, Any]]:
    marked = marked or {}
    for _, element in ET.iterparse(xml_path, events=("end",)):
        if element.tag != "conversation":
            continue
        conversation_id = element.get("id", "")
        messages: list[dict[str, str]] = []
        authors: list[str] = []
        lines: list[int] = []
        for message in element.iter("message"):
            author = (message.findtext("author") or "").strip()
            text = (message.findtext("text") or "").strip()
            if not text:
                continue
            authors.append(author)
            lines.append(int(message.get("line", len(lines) + 1)))
            messages.append({"author": author, "text": text})
        element.clear()  # keep memory flat over the whole corpus
        if not messages:
            continue
        is_grooming = any(a in predators for a in authors)
        child = (
            next((a for a in authors if a not in predators), None) if is_grooming else authors[0]
        )
        first_signal = -1
        if is_grooming:
            conversation_marks = marked.get(conversation_id, set())
            first_signal = next(
                (i for i, line in enumerate(lines) if line in conversation_marks), -1
            )
            if first_signal == -1:
                first_signal = next(i for i, a in enumerate(authors) if a in predators)
        yield {
            "id": conversation_id,
            "messages": [
                {"sender": "child" if m["author"] == child else "other", "text": m["text"]}
                for m in messages
            ],
            "label": int(is_grooming),
            "first_signal": first_signal,
        }


def write_jsonl(records: Iterator[dict[str, Any]], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
