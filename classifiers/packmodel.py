"""What a rule pack is once read: the records that the loader (rulepack.py) builds and that the
matcher, the linter and the example runner use, plus the format's fixed vocabularies."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from classifiers.condition import Condition

FORMAT_VERSION = 1
MAX_PATTERN_CHARS = 200
PACK_LANGS = ("id", "en", "kupang", "jv", "mixed")
STATUSES = ("experimental", "test", "stable", "deprecated")
LEVELS = ("low", "medium", "high", "critical")
RULE_DIRECTIONS = ("to_child", "from_child", "any")
EXPECTS = ("match", "no-match", "todo-match", "todo-no-match")
DEFAULT_WINDOW = 6


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding about a pack: where, how bad, what, and how to fix it."""

    file: str
    line: int
    rule: str | None  # rule id, or None for the pack as a whole
    severity: str  # "error" | "warning" | "info"
    code: str  # the check's id, e.g. "unknown-key"
    message: str
    fix: str = ""

    def __str__(self) -> str:
        who = self.rule or "pack"
        fix = f" (fix: {self.fix})" if self.fix else ""
        where = f"{self.file}:{self.line}" if self.line else self.file  # 0: the file as a whole
        return f"{where}: {self.severity} {who}: {self.message} [{self.code}]{fix}"


@dataclass(slots=True)
class Phrase:
    text: str  # as written, without the trailing '*'
    prefix: bool  # written with a trailing '*': any word ending is allowed
    line: int


@dataclass(slots=True)
class Pattern:
    source: str
    line: int
    regex: Any = None  # the compiled RE2 pattern; None when it did not compile


@dataclass(slots=True)
class Selection:
    name: str
    line: int
    phrases: list[Phrase] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)


@dataclass(slots=True)
class ContextWords:
    words: list[Phrase]
    weight: float
    line: int


@dataclass(slots=True)
class Context:
    line: int
    window: int = DEFAULT_WINDOW
    boost: ContextWords | None = None
    reduce: ContextWords | None = None


@dataclass(slots=True)
class Example:
    text: str
    expect: str  # one of EXPECTS
    line: int
    direction: str = "to_child"


@dataclass(slots=True)
class Rule:
    id: str
    file: str
    line: int
    title: str = ""
    status: str = "experimental"
    description: str = ""
    author: str = ""
    references: list[str] = field(default_factory=list)
    level: str = "medium"
    categories: list[str] = field(default_factory=list)
    direction: str = "any"
    falsepositives: list[str] | None = None  # None: the key is missing
    selections: dict[str, Selection] = field(default_factory=dict)
    condition: Condition | None = None
    combine: list[list[str]] | None = None
    weight: float = 0.0
    context: Context | None = None
    examples: list[Example] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)  # key -> line, for pointing at a field

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


@dataclass(slots=True)
class Pack:
    id: str
    file: str
    line: int = 1
    title: str = ""
    lang: str = ""
    description: str = ""
    author: str = ""
    rules: list[Rule] = field(default_factory=list)


class PackError(Exception):
    """Packs that cannot be used; `problems` has every error (the CLI exits 2 with them)."""

    exit_status = 2

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [str(p) for p in problems]
        super().__init__(lines[0] if len(lines) == 1 else
                         f"{len(lines)} problems in rule packs:\n  " + "\n  ".join(lines))
