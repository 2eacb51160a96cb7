"""RE2 pattern scanning for the matcher: which patterns match a normalized text, and where first.

The patterns go into RE2 sets (classifiers/matcher.py says why sets of PATTERNS_PER_SET), whose
scans say which patterns match at all; only those are searched again for their span. A set scan
costs about 0.6 µs before it reads a byte (the binding's call, RE2's search set-up) and 1-2 ns a
byte after, so on a chat message of 60 characters the eight calls cost more than the reading.

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
`\\C`) is kept as written and scanned text by text. Tests and the equivalence check of verdicts
compare both paths. JOINED_MESSAGES = 16: larger groups hold more matching patterns, each searched
over more text; on the corpus (about two pattern hits per message) and on chat lines (under one)
16 halves the time of the text-by-text scans.
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
        JOINED_MESSAGES texts at once."""
        out: list[list[Hit]] = [[] for _ in texts]
        group: list[int] = []  # indexes of texts to read together
        for k, data in enumerate(datas):
            if not data:
                continue
            if b"\n" in data:
                out[k] = self.scan(texts[k], data, skips[k])
                continue
            group.append(k)
            if len(group) == JOINED_MESSAGES:
                self._scan_joined(texts, datas, skips, group, out)
                group = []
        if group:
            self._scan_joined(texts, datas, skips, group, out)
        return out

    def _scan_joined(self, texts: Sequence[str], datas: Sequence[bytes],
                     skips: Sequence[Container[int]], group: list[int], out: list[list[Hit]]
                     ) -> None:
        if len(group) == 1:
            k = group[0]
            out[k] = self.scan(texts[k], datas[k], skips[k])
            return
        joined = b"\n".join([datas[k] for k in group])
        starts = [0]  # where each text starts in `joined`, and where one more would
        for k in group:
            starts.append(starts[-1] + len(datas[k]) + 1)
        end = len(joined)
        found = sorted([members[i] for members, raw_set in self.sets[:self.joined_sets]
                        for i in raw_set.Match(joined)])
        per_text: list[list[Hit]] = [[] for _ in group]  # byte offsets in each text
        regexes = self.regexes
        for pi in found:  # in pattern order, as `scan` takes them
            regex = regexes[pi]
            pos = 0
            while pos < end:
                (start, stop), = regex.Match(_UNANCHORED, joined, pos, end)
                if start < 0:
                    break
                g = bisect.bisect_right(starts, start) - 1
                per_text[g].append((pi, start - starts[g], stop - starts[g]))
                pos = starts[g + 1]
        loners = self.sets[self.joined_sets:]
        for g, k in enumerate(group):
            hits = per_text[g]
            text, data = texts[k], datas[k]
            if loners:  # patterns read text by text
                found = sorted([members[i] for members, raw_set in loners
                                for i in raw_set.Match(data)])
                if found:
                    hits = sorted(hits + self._spans(text, data, found, in_bytes=True))
            skip = skips[k]
            if skip and hits:
                hits = [h for h in hits if h[0] not in skip]
            if hits:
                out[k] = hits if len(data) == len(text) else [
                    (pi, *_characters(data, start, stop)) for pi, start, stop in hits]

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
