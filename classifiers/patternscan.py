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
the corpus messages (two hits a message), cold or warm.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Container, Sequence
from typing import Any

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


class PatternScanner:
    """`sources` compiled once into sets of `per_set` patterns and one regex each."""

    def __init__(self, sources: Sequence[str], per_set: int, as_written: bool = False):
        self.sources = list(sources)
        self.per_set = per_set
        # Patterns joined texts can be scanned for (all of them, for the as-written fallback).
        joinable = [not as_written and not _SEES_PAST_A_LINE.search(s) for s in self.sources]
        self.regexes = [re2.compile(("(?m)" + s) if j else s, _options(j))._regexp
                        for s, j in zip(self.sources, joinable, strict=True)]
        # (pattern index of each member, the raw set: its Python wrapper costs 1 µs a scan);
        # the joinable patterns' sets first, then the others'.
        self.sets: list[tuple[tuple[int, ...], Any]] = []
        self.joined_sets = 0
        for group_joins in (True, False):
            members = [i for i, j in enumerate(joinable) if j == group_joins]
            for first in range(0, len(members), per_set):
                chunk = tuple(members[first:first + per_set])
                pattern_set = re2.Set.SearchSet(_options(group_joins))
                for i in chunk:
                    pattern_set.Add(("(?m)" + self.sources[i]) if group_joins else self.sources[i])
                pattern_set.Compile()
                self.sets.append((chunk, pattern_set._set))
            if group_joins:
                self.joined_sets = len(self.sets)
        self._as_written: PatternScanner | None = None

    def __bool__(self) -> bool:
        return bool(self.sources)

    def scan(self, text: str, data: bytes, skip: Container[int] = ()) -> list[Hit]:
        """The patterns that match `text` (`data` its UTF-8), by index, each with its first
        match, leaving out those in `skip`; `text` must be non-empty."""
        if b"\n" in data and not self._is_as_written():
            return self._as_written_scanner().scan(text, data, skip)
        found = sorted([members[i] for members, raw_set in self.sets for i in raw_set.Match(data)])
        if skip and found:
            found = [pi for pi in found if pi not in skip]
        return self._spans(text, data, found) if found else []

    def scan_many(self, texts: Sequence[str], datas: Sequence[bytes],
                  skips: Sequence[Container[int]]) -> list[list[Hit]]:
        """`scan` of each text with its `skip` (empty texts find nothing), reading
        JOINED_MESSAGES texts at once.

        Set by set over all the groups, then pattern by pattern over the groups where it
        matched; each text's hits come out in pattern order, as `scan` gives them."""
        out: list[list[Hit]] = [[] for _ in texts]
        alone = [k for k, data in enumerate(datas) if b"\n" in data]  # (not from normalize())
        for k in alone:
            out[k] = self.scan(texts[k], datas[k], skips[k])
        together = [k for k, data in enumerate(datas) if data and b"\n" not in data]
        groups = [together[i:i + JOINED_MESSAGES]
                  for i in range(0, len(together), JOINED_MESSAGES)]
        joined = [b"\n".join([datas[k] for k in group]) for group in groups]
        starts = [self._starts(group, datas) for group in groups]
        found: dict[int, list[int]] = {}  # pattern index -> the groups where it matches
        for members, raw_set in self.sets[:self.joined_sets]:
            for g, data in enumerate(joined):
                for i in raw_set.Match(data):
                    found.setdefault(members[i], []).append(g)
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
        loners = self.sets[self.joined_sets:]
        for k in together:
            text_hits = hits.get(k, [])
            text, data = texts[k], datas[k]
            if loners:  # patterns read text by text
                more = sorted([members[i] for members, raw_set in loners
                               for i in raw_set.Match(data)])
                if more:
                    text_hits = sorted(text_hits + self._spans(text, data, more, in_bytes=True))
            skip = skips[k]
            if skip and text_hits:
                text_hits = [h for h in text_hits if h[0] not in skip]
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
        return self.joined_sets == 0

    def _as_written_scanner(self) -> PatternScanner:
        """The patterns exactly as written, for a text holding "\\n" (built when first needed)."""
        if self._as_written is None:
            self._as_written = PatternScanner(self.sources, self.per_set, as_written=True)
        return self._as_written


def _characters(data: bytes, start: int, stop: int) -> tuple[int, int]:
    """Byte offsets in UTF-8 `data` as character offsets."""
    return len(data[:start].decode("utf-8", "ignore")), len(data[:stop].decode("utf-8", "ignore"))
