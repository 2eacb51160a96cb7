"""Reading exported text files whose encoding nobody promised: BOMs, UTF-16, Windows line ends,
and bytes that are not UTF-8 (reported with their line number, decoded with replacement)."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path

# A line longer than this is cut: a 1 MB "message" must not become a 1 MB string per line held
# twice; the tracker caps what it keeps anyway.
MAX_LINE_CHARS = 100_000

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _encoding(head: bytes) -> tuple[str, int]:
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    return "utf-8", 0


def read_lines(path: Path) -> Iterator[tuple[int, str, str | None]]:
    """Yield (line number, text without line ending, problem or None) for each line of `path`."""
    with open(path, "rb") as raw:
        encoding, skip = _encoding(raw.read(4))
        raw.seek(skip)
        if encoding != "utf-8":
            text = io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=None)
            for number, line in enumerate(text, 1):
                yield number, line.rstrip("\n")[:MAX_LINE_CHARS], None
            return
        for number, line_bytes in enumerate(raw, 1):
            problem = None
            try:
                line = line_bytes.decode("utf-8")
            except UnicodeDecodeError as e:
                line = line_bytes.decode("utf-8", errors="replace")
                problem = f"not UTF-8 at byte {e.start} (decoded with replacement characters)"
            yield number, line.rstrip("\r\n")[:MAX_LINE_CHARS], problem

