"""The normalizer's reviewed data files: slang map, emoji words, lookalike letters, known words.

`classifiers/normalize.py` turns these files into lookup tables once, on first use. This module
reads and checks them: every problem (duplicate key, a key that the normalizer could never see,
a chained value, a malformed entry) is collected with its file and line and reported together in
one `NormalizerDataError`, so a reviewer editing `slang.yaml` gets a complete list at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"

# A slang key as the normalizer sees a token: lower-case letters and digits, nothing else, and no
# letter repeated three times (such runs are squeezed before the lookup).
_KEY = re.compile(r"[a-z0-9]*[a-z][a-z0-9]*")
_TRIPLE = re.compile(r"([a-z])\1\1")
_VALUE = re.compile(r"[a-z]+(?: [a-z]+)*")
_WORD = re.compile(r"[a-z]+")
_TOKEN = re.compile(r"[a-z0-9]+")
_VARIATION_SELECTORS = "\ufe0e\ufe0f"


class NormalizerDataError(ValueError):
    """One or more problems in the normalizer's data files, each as "file:line: message"."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class NormalizerData:
    slang: dict[str, str]  # token -> standard word(s)
    keep: dict[str, str]  # token deliberately not mapped -> the reason
    emoji: dict[str, str]  # one emoji character -> word(s)
    confusables: dict[str, str]  # one character -> Latin letter(s), possibly with separators
    words: frozenset[str]  # known words (for reading digits as letters)
    tokens: frozenset[str]  # tokens with digits kept exactly as written ("ps5", "4g")
    # slang key -> (its reading before one of the words, those words): Kupang "ko" -> "ke"
    context: dict[str, tuple[str, frozenset[str]]] = field(default_factory=dict)

    @property
    def known(self) -> frozenset[str]:
        """Every word that counts as a real word when reading leetspeak."""
        values = {w for v in self.slang.values() for w in v.split()}
        return frozenset(self.words | set(self.slang) | values | set(self.keep))


class _Reader:
    """Walks one YAML file as nodes, so every entry keeps its line number."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        self.root: yaml.Node | None = None
        try:
            self.root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
            self.problems.append(f"{path}: cannot read: {e}")
            return
        if not isinstance(self.root, yaml.MappingNode):
            self.problems.append(f"{path}:1: the file must be a mapping with `version: 1`")
            self.root = None
            return
        version = self.section("version")
        if not isinstance(version, yaml.ScalarNode) or version.value != "1":
            self.problem(version or self.root, "`version: 1` is required")

    def problem(self, node: yaml.Node, message: str) -> None:
        self.problems.append(f"{self.path}:{node.start_mark.line + 1}: {message}")

    def section(self, name: str) -> yaml.Node | None:
        if self.root is None:
            return None
        for key, value in self.root.value:
            if key.value == name:
                return value
        return None

    def pairs(self, name: str) -> list[tuple[str, str, yaml.Node]]:
        """(key, value, key node) of a mapping of scalars; duplicates and non-scalars reported."""
        node = self.section(name)
        if node is None:
            return []
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, f"`{name}` must be a mapping")
            return []
        seen: dict[str, int] = {}
        out = []
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or not isinstance(value, yaml.ScalarNode):
                self.problem(key, f"`{name}` entries must be `key: value` text")
                continue
            if key.value in seen:
                self.problem(key, f"duplicate key {key.value!r} (first at line {seen[key.value]})")
                continue
            seen[key.value] = key.start_mark.line + 1
            out.append((key.value, value.value, key))
        return out

    def items(self, name: str) -> list[tuple[str, yaml.Node]]:
        node = self.section(name)
        if node is None:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, f"`{name}` must be a list")
            return []
        out = []
        for item in node.value:
            if isinstance(item, yaml.ScalarNode):
                out.append((item.value, item))
            else:
                self.problem(item, f"`{name}` items must be single words")
        return out


def _read_slang(reader: _Reader) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    slang: dict[str, str] = {}
    lines: dict[str, yaml.Node] = {}
    for key, value, node in reader.pairs("slang"):
        if not _KEY.fullmatch(key) or _TRIPLE.search(key):
            reader.problem(node, f"slang key {key!r} is not a normalized token: use lower-case "
                           "letters/digits, no punctuation, no letter repeated 3+ times")
        elif not _VALUE.fullmatch(value):
            reader.problem(node, f"slang value {value!r} for {key!r}: use lower-case words "
                           "separated by single spaces")
        elif value == key:
            reader.problem(node, f"{key!r} maps to itself: list it under `keep:` with the reason")
        else:
            slang[key] = value
            lines[key] = node
    for key, value in slang.items():
        for word in value.split():
            if word in slang:
                reader.problem(lines[key], f"value word {word!r} of {key!r} is itself a slang "
                               f"key (maps to {slang[word]!r}): map {key!r} to the final form")
    keep: dict[str, str] = {}
    for key, reason, node in reader.pairs("keep"):
        if key in slang:
            reader.problem(node, f"{key!r} is both in `slang` and in `keep`: choose one")
        elif not reason.strip():
            reader.problem(node, f"kept word {key!r} needs a reason")
        else:
            keep[key] = reason
    emoji: dict[str, str] = {}
    for key, value, node in reader.pairs("emoji"):
        char = key.rstrip(_VARIATION_SELECTORS)
        if len(char) != 1 or char.isalnum():
            reader.problem(node, f"emoji key {key!r} must be a single emoji character")
        elif not _VALUE.fullmatch(value):
            reader.problem(node, f"emoji value {value!r}: use lower-case words")
        else:
            emoji[char] = value
    return slang, keep, emoji


def _read_context(reader: _Reader, slang: dict[str, str]) -> dict[str, tuple[str, frozenset[str]]]:
    """`context:` entries: `key: {reading: [next words]}`, for keys of the slang map."""
    node = reader.section("context")
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        reader.problem(node, "`context` must be a mapping")
        return {}
    out: dict[str, tuple[str, frozenset[str]]] = {}
    for key, value in node.value:
        ok = (isinstance(value, yaml.MappingNode) and len(value.value) == 1
              and isinstance(value.value[0][0], yaml.ScalarNode)
              and isinstance(value.value[0][1], yaml.SequenceNode)
              and all(isinstance(w, yaml.ScalarNode) for w in value.value[0][1].value))
        if not ok:
            reader.problem(key, f"context entry {key.value!r} must be `{key.value}: {{reading: [words]}}`")
            continue
        reading_node, words_node = value.value[0]
        reading, words = reading_node.value, [w.value for w in words_node.value]
        if key.value not in slang:
            reader.problem(key, f"context key {key.value!r} must be a slang key (its usual reading)")
        elif key.value in out:
            reader.problem(key, f"duplicate context key {key.value!r}")
        elif not _VALUE.fullmatch(reading) or any(w in slang for w in reading.split()):
            reader.problem(reading_node, f"context reading {reading!r} of {key.value!r}: use "
                           "lower-case words that are not slang keys")
        elif not words or any(not _WORD.fullmatch(w) or w in slang for w in words):
            reader.problem(words_node, f"context words of {key.value!r} must be lower-case "
                           "words as read (not slang keys)")
        else:
            out[key.value] = (reading, frozenset(words))
    return out


def _read_confusables(reader: _Reader) -> dict[str, str]:
    table: dict[str, str] = {}
    for key, value, node in reader.pairs("chars"):
        if len(key) != 1 or key.isascii():
            reader.problem(node, f"lookalike key {key!r} must be one non-ASCII character")
        elif not _WORD.fullmatch(value):
            reader.problem(node, f"lookalike value {value!r} must be lower-case Latin letters")
        else:
            table[key] = value
    ranges = reader.section("ranges")
    for item in ranges.value if isinstance(ranges, yaml.SequenceNode) else []:
        fields = {k.value: v.value for k, v in item.value} if isinstance(item, yaml.MappingNode) else {}
        first, letters = fields.get("first", ""), fields.get("letters", "")
        if len(first) != 1 or not _WORD.fullmatch(letters):
            reader.problem(item, "a range needs `first` (one character) and `letters` (a-z)")
            continue
        spaced = fields.get("spaced", "false") == "true"
        for offset, letter in enumerate(letters):
            table[chr(ord(first) + offset)] = f" {letter} " if spaced else letter
    return table


def load_data(data_dir: Path = DATA_DIR) -> NormalizerData:
    """Read and check slang.yaml, confusables.yaml and lexicon.yaml from `data_dir`."""
    problems: list[str] = []
    slang_reader = _Reader(data_dir / "slang.yaml", problems)
    slang, keep, emoji = _read_slang(slang_reader)
    context = _read_context(slang_reader, slang)
    confusables = _read_confusables(_Reader(data_dir / "confusables.yaml", problems))
    lexicon = _Reader(data_dir / "lexicon.yaml", problems)
    words = set()
    for word, node in lexicon.items("words"):
        if _WORD.fullmatch(word):
            words.add(word)
        else:
            lexicon.problem(node, f"word {word!r} must be lower-case letters a-z")
    tokens = set()
    for token, node in lexicon.items("tokens"):
        if _TOKEN.fullmatch(token):
            tokens.add(token)
        else:
            lexicon.problem(node, f"token {token!r} must be lower-case letters and digits")
    for char in emoji:
        if char in confusables:
            problems.append(f"{slang_reader.path}: emoji {char!r} is also a lookalike letter")
    if problems:
        raise NormalizerDataError(problems)
    return NormalizerData(slang, keep, emoji, confusables, frozenset(words), frozenset(tokens),
                          context)
