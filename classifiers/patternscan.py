"""RE2 pattern scanning for the matcher: which patterns match a normalized text, and where first.

The patterns go into RE2 sets (classifiers/matcher.py says why sets of PATTERNS_PER_SET), whose
scans say which patterns match at all; only those are searched again for their span. A set scan
costs about 0.6 µs before it reads a byte (the binding's call, RE2's search set-up): on a chat
line of 40 characters more than the reading itself, eight times per message.

`scan_many` therefore reads JOINED_MESSAGES texts at once: joined by "\\n", one scan per set says
which patterns match somewhere in them, and each of those is searched from one text to the next
(the first match at or after a text's start says which text it is in; the search goes on from the
following text). That is exact, because every pattern is compiled so that no match can cross a
"\\n" and its assertions read the "\\n" as a text's edge:

- `never_nl`: nothing matches "\\n" (not `\\s`, not `[^x]`, not `.`); a normalized text has none
  (its words are separated by single spaces), and a text that does is scanned alone, with the
  patterns as written;
- "(?m)": `^` and `$` match at a line's start and end, which in a joined text are a text's start
  and end, and in a text alone are only its start and end, as without the flag;
- `\\b` and `\\B` read "\\n" as a non-word character, as they read a text's edges.

A pattern that could still tell a line from a text (`\\A`, `\\z`, a flag group other than `(?:`,
`\\C`) is kept as written and scanned text by text. tests/classifiers/test_patternscan.py checks
both paths against the patterns as written on each text alone, and test_scorer.py `score_many`
against `score` over the corpus.

JOINED_MESSAGES = 16: larger groups hold more matching patterns, each searched over more text,
smaller ones need more set scans. Measured against `scan` text by text (CPU time, fresh and warm
DFAs): half the time on bench_rules' chat lines (under one pattern hit a message), a sixth less on
the corpus messages (two hits a message) warm, 40% less cold.

Scanning only the patterns of a message's direction (see PatternScanner) took another fifth off
both, message by message or joined.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from typing import Any, NamedTuple

import re2

JOINED_MESSAGES = 16  # texts read by one set scan in scan_many; see the module docstring
_UNANCHORED = re2._Anchor.UNANCHORED
# Read "\n" as an edge (see the module docstring): anything else that sees past a line's edge.
_SEES_PAST_A_LINE = re.compile(r"\\[ACz]|\(\?(?!:)")

Hit = tuple[int, int, int]  # pattern index, start, stop (characters)


def _options(joinable: bool) -> Any:
    options = re2.Options()
    options.never_capture = True  # the raw RE2 object, without capture groups: 8x faster
    options.log_errors = False
    options.never_nl = joinable
    return options


def _as_compiled(source: str, joinable: bool) -> str:
    """A pattern as compiled: with "(?m)" when it is scanned over joined texts."""
    return "(?m)" + source if joinable else source


class PatternSet(NamedTuple):
    members: tuple[int, ...]  # the pattern index of each of its patterns
    raw: Any  # the raw RE2 set: its Python wrapper costs 1 µs a scan
    joinable: bool  # scanned over joined texts (its patterns compiled for that)
    directions: tuple[bool, bool]  # whether its patterns apply to_child, from_child


class PatternScanner:
    """`sources` compiled once into sets of at most `per_set` patterns and one regex each.

    `directions[i]`: whether pattern i applies to a message to the child, from the child (the
    direction of its rule). Patterns of the same directions share sets, and a message is only
    scanned with the sets of its direction: a message from the child skips the many patterns of
    rules about messages to the child (327 of the 501 shipped ones)."""

    def __init__(self, sources: Sequence[str], per_set: int,
                 directions: Sequence[tuple[bool, bool]] | None = None, as_written: bool = False):
        self.sources = list(sources)
        self.per_set = per_set
        self.directions = list(directions or [(True, True)] * len(self.sources))
        # Patterns joined texts can be scanned for (all of them, for the as-written fallback).
        joinable = [not as_written and not _SEES_PAST_A_LINE.search(s) for s in self.sources]
        self.regexes = [re2.compile(_as_compiled(s, j), _options(j))._regexp
                        for s, j in zip(self.sources, joinable, strict=True)]
        self.sets: list[PatternSet] = []
        kinds = sorted(set(zip(joinable, self.directions, strict=True)), reverse=True)
        for kind in kinds:
            group_joins, dirs = kind
            members = [i for i, k in enumerate(zip(joinable, self.directions, strict=True))
                       if k == kind]
            for first in range(0, len(members), per_set):
                chunk = tuple(members[first:first + per_set])
                pattern_set = re2.Set.SearchSet(_options(group_joins))
                for i in chunk:
                    pattern_set.Add(_as_compiled(self.sources[i], group_joins))
                pattern_set.Compile()
                self.sets.append(PatternSet(chunk, pattern_set._set, group_joins, dirs))
        self._as_written: PatternScanner | None = None

    def __bool__(self) -> bool:
        return bool(self.sources)

    def scan(self, text: str, data: bytes, d: int) -> list[Hit]:
        """The patterns that apply in direction `d` (0 to_child, 1 from_child) and match `text`
        (`data` its UTF-8), by index, each with its first match; `text` must be non-empty."""
        if b"\n" in data and not self._is_as_written():
            return self._as_written_scanner().scan(text, data, d)
        found = sorted([ps.members[i] for ps in self.sets if ps.directions[d]
                        for i in ps.raw.Match(data)])
        return self._spans(text, data, found) if found else []

    def scan_many(self, texts: Sequence[str], datas: Sequence[bytes], ds: Sequence[int]
                  ) -> list[list[Hit]]:
        """`scan` of each text in its direction (empty texts find nothing), reading
        JOINED_MESSAGES texts of one direction at once.

        Set by set over all the groups of its directions, then pattern by pattern over the
        groups where it matched; each text's hits come out in pattern order, as `scan` gives
        them."""
        out: list[list[Hit]] = [[] for _ in texts]
        groups: list[list[int]] = []  # indexes of texts read together
        group_direction: list[int] = []
        for d in (0, 1):
            together = [k for k, data in enumerate(datas) if ds[k] == d and data]
            for k in [k for k in together if b"\n" in datas[k]]:  # (not from normalize())
                out[k] = self.scan(texts[k], datas[k], d)
            together = [k for k in together if b"\n" not in datas[k]]
            for i in range(0, len(together), JOINED_MESSAGES):
                groups.append(together[i:i + JOINED_MESSAGES])
                group_direction.append(d)
        joined = [b"\n".join([datas[k] for k in group]) for group in groups]
        starts = [self._starts(group, datas) for group in groups]
        found: dict[int, list[int]] = {}  # pattern index -> the groups where it matches
        for ps in self.sets:
            if ps.joinable:
                for g, data in enumerate(joined):
                    if ps.directions[group_direction[g]]:
                        for i in ps.raw.Match(data):
                            found.setdefault(ps.members[i], []).append(g)
        hits: dict[int, list[Hit]] = {}  # text index -> its hits, byte offsets, pattern order
        regexes = self.regexes
        for pi in sorted(found):  # in pattern order, as `scan` takes them
            regex = regexes[pi]
            for g in found[pi]:
                group, data, start_of = groups[g], joined[g], starts[g]
                pos, end = 0, len(data)
                while pos < end:
                    (start, stop), = regex.Match(_UNANCHORED, data, pos, end)
                    if start < 0:
                        break
                    t = bisect.bisect_right(start_of, start) - 1
                    hits.setdefault(group[t], []).append(
                        (pi, start - start_of[t], stop - start_of[t]))
                    pos = start_of[t + 1]
        loners = [ps for ps in self.sets if not ps.joinable]
        for group, d in zip(groups, group_direction, strict=True):
            for k in group:
                text_hits = hits.get(k, [])
                text, data = texts[k], datas[k]
                more = sorted([ps.members[i] for ps in loners if ps.directions[d]
                               for i in ps.raw.Match(data)])  # patterns read text by text
                if more:
                    text_hits = sorted(text_hits + self._spans(text, data, more, in_bytes=True))
                if text_hits:
                    out[k] = text_hits if len(data) == len(text) else [
                        (pi, *_characters(data, start, stop)) for pi, start, stop in text_hits]
        return out

    def _starts(self, group: list[int], datas: Sequence[bytes]) -> list[int]:
        """Where each text of `group` starts in their joined bytes, and where one more would."""
        starts = [0]
        for k in group:
            starts.append(starts[-1] + len(datas[k]) + 1)
        return starts

    def _spans(self, text: str, data: bytes, found: list[int], in_bytes: bool = False
               ) -> list[Hit]:
        """Each found pattern's first match in `data`, in characters of `text` (or bytes)."""
        ascii_only = in_bytes or len(data) == len(text)
        hits = []
        regexes = self.regexes
        for pi in found:
            (start, stop), = regexes[pi].Match(_UNANCHORED, data, 0, len(data))
            if start < 0:
                continue
            if not ascii_only:
                start, stop = _characters(data, start, stop)
            hits.append((pi, start, stop))
        return hits

    def _is_as_written(self) -> bool:
        return not any(ps.joinable for ps in self.sets)

    def _as_written_scanner(self) -> PatternScanner:
        """The patterns exactly as written, for a text holding "\\n" (built when first needed)."""
        if self._as_written is None:
            self._as_written = PatternScanner(self.sources, self.per_set, self.directions,
                                              as_written=True)
        return self._as_written


def _characters(data: bytes, start: int, stop: int) -> tuple[int, int]:
    """Byte offsets in UTF-8 `data` as character offsets."""
    return len(data[:start].decode("utf-8", "ignore")), len(data[:stop].decode("utf-8", "ignore"))
