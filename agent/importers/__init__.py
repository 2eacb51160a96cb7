"""Chat importers: turn an exported chat file into `ChatMessage`s for `jaga scan` and `jaga eval`.

`read_messages(path, fmt="auto", child=None)` streams messages (and `ImportProblem`s for input it
could not read, each with its line number) from a JSONL file (`jsonl.py`), a WhatsApp "Export
chat" text file (`whatsapp.py`) or a Telegram Desktop `result.json` (`telegram.py`). Readers yield
problems instead of raising, so one bad line never loses the rest of a file.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from agent.errors import UsageError
from agent.messages import ChatMessage

FORMATS = ("auto", "jsonl", "whatsapp", "telegram")

# How many leading lines auto-detection looks at.
_SNIFF_LINES = 20


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """Input that could not be read: where (1-based line, 0 for the whole file) and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


Reader = Callable[[Path, str | None], Iterator[ChatMessage | ImportProblem]]


def read_messages(
    path: str | Path, fmt: str = "auto", child: str | None = None
) -> Iterator[ChatMessage | ImportProblem]:
    """Messages of the file at `path`, in file order, with problems where lines are bad.

    Raises `UsageError` before yielding anything when the file cannot be opened, the format is
    unknown, or auto-detection cannot tell what the file is.
    """
    path = Path(path)
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a chat export")
    if fmt == "auto":
        fmt = detect_format(path)
    return _reader(fmt)(path, child)


def detect_format(path: Path) -> str:
    """The format of `path` judged from its name and first lines (see `read_messages`)."""
    if path.suffix.lower() == ".json":
        return "telegram"
    try:
        with path.open("r", encoding="utf-8-sig", errors="replace", newline=None) as f:
            first_lines = [line.rstrip("\r\n") for _, line in zip(range(_SNIFF_LINES), f, strict=False)]
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror or e}") from None
    meaningful = [line for line in first_lines if line.strip()]
    if meaningful and meaningful[0].lstrip().startswith("{"):
        # A JSON Lines file starts each line with an object; a Telegram export is one object
        # spread over many lines and begins with a lone "{".
        if meaningful[0].strip() == "{":
            return "telegram"
        return "jsonl"
    whatsapp = _optional("whatsapp")
    if whatsapp is not None and whatsapp.looks_like_whatsapp(first_lines):
        return "whatsapp"
    raise UsageError(
        f"{path}: cannot tell the format from its first lines; give --format jsonl, whatsapp "
        "or telegram"
    )


def _optional(name: str) -> ModuleType | None:
    """An importer module that may not be part of this jaga yet."""
    try:
        return importlib.import_module(f"agent.importers.{name}")
    except ModuleNotFoundError as e:
        if e.name == f"agent.importers.{name}":
            return None
        raise


def _reader(fmt: str) -> Reader:
    if fmt == "jsonl":
        from agent.importers.jsonl import read_jsonl

        return read_jsonl
    module = _optional(fmt)
    function = getattr(module, f"read_{fmt}", None) if module is not None else None
    if function is None:
        raise UsageError(f"the {fmt} importer is not available in this version of jaga")
    return function
