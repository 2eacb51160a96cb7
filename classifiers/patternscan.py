"""RE2 pattern scanning for the matcher: which patterns match a normalized text, and where first.

The patterns of each direction (their rules': to the child, from the child) go into one RE2
`FilteredRE2` (the binding's `re2.Filter`). When the patterns are added, RE2 works out from each
one the literal strings ("atoms") that any match must contain, e.g. "pulsa" and "gratis" for
`pulsa\\s*(yg )?gratis`; a pattern for which it cannot (`^(om|kak)\\b`: atoms shorter than three
bytes are not used) is always tried. A scan reads the text once for all atoms (one RE2 set of
literals), and only the patterns whose atoms are there are run, in C++, each on its own
(`RE2::PartialMatch`): which patterns match, in one call. A pattern is searched again for its
first match's span only when the matcher needs it (its rule fired).

Why not RE2 sets of the patterns, as before: a set of 64 patterns holding word gaps (`.{0,30}`,
`(\\w+ ){0,4}`) meets new combinations of half-finished matches in nearly every new message, and
its DFA builds states for them. Over the 8,852 corpus messages, each new, set scans and span
searches (texts joined 16 at a time to share the call overhead) cost ~38 µs a message, the
filter ~25 µs; in bench/bench_model.py's order (20,000 messages, each corpus message 2-3 times)
~21 µs against ~15.5 µs, and on a second pass ~10.5 against ~9.3 (CPU time, one core). A
pattern's own DFA is small and soon complete, and most patterns are never run: of the 408
shipped patterns for messages to the child, ~7 pass the atoms check on a corpus message and
~0.8 match; of the 174 for messages from the child ~16 pass and ~3.4 match. Splitting a
direction's patterns over several filters only adds calls (~1 µs each): two filters cost 40%
more, four twice as much.

The filter's answer is exact: the atoms are necessary (RE2 keeps, per pattern, an AND/OR of
atoms that every match satisfies, and a pattern without one is always run), they are matched
ignoring case (RE2 lowers them), and every pattern that passes is run as written on the text
alone. tests/classifiers/test_patternscan.py checks the scans against each pattern as written;
test_matcher.py checks every shipped pattern, searched alone, against the filter on corpus
messages in both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

_UNANCHORED = re2._Anchor.UNANCHORED

Hit = tuple[int, int, int]  # pattern index, start, stop (characters)


def _options() -> Any:
    options = re2.Options()
    options.never_capture = True  # the raw RE2 object, without capture groups: 8x faster
    options.log_errors = False
    return options


class _DirectionFilter:
    """The patterns of one direction in one FilteredRE2."""

    __slots__ = ("members", "raw", "regexes")

    def __init__(self, sources: Sequence[str], members: tuple[int, ...]):
        self.members = members  # the pattern index of each of the filter's patterns
        wrapper = re2.Filter()
        options = _options()
        for i in members:
            wrapper.Add(sources[i], options)  # re2.error for a pattern RE2 refuses
        wrapper.Compile()
        self.raw = wrapper._filter  # its Python wrapper costs a str check and a list a scan
        self.regexes = [self.raw.GetRE2(k) for k in range(len(members))]  # the filter's own


class PatternScanner:
    """`sources` compiled once, per direction, into a filter (see the module docstring).

    `directions[i]`: whether pattern i applies to a message to the child, from the child (the
    direction of its rule); a message is only scanned for its direction's patterns (a message
    from the child skips the many patterns of rules about messages to the child).

    `matching` says which patterns match, `first_match` where one does: the matcher asks for
    the span only of patterns whose rule fired (a fifth of those that match a corpus message;
    a span search costs as much as the filter's check of all the patterns that pass it)."""

    def __init__(self, sources: Sequence[str],
                 directions: Sequence[tuple[bool, bool]] | None = None):
        self.sources = list(sources)
        self.directions = list(directions or [(True, True)] * len(self.sources))
        self.filters: list[_DirectionFilter | None] = []  # per direction; None: no pattern
        self._regexes: list[Any] = [None] * len(self.sources)  # per pattern, a filter's RE2
        for d in (0, 1):
            members = tuple(i for i, dirs in enumerate(self.directions) if dirs[d])
            flt = _DirectionFilter(self.sources, members) if members else None
            self.filters.append(flt)
            for i, regex in zip(members, flt.regexes if flt else (), strict=True):
                self._regexes[i] = regex

    def __bool__(self) -> bool:
        return bool(self.sources)

    def matching(self, data: bytes, d: int) -> list[int]:
        """The patterns that apply in direction `d` (0 to_child, 1 from_child) and match the
        UTF-8 text `data`, by index, in order."""
        flt = self.filters[d]
        if flt is None:
            return []
        found = flt.raw.Match(data, False)
        if not found:
            return found
        members = flt.members
        return [members[k] for k in sorted(found)]  # (the members are in pattern order)

    def first_match(self, i: int, text: str, data: bytes) -> tuple[int, int]:
        """The span, in characters of `text`, of pattern i's first match in `data` (its UTF-8);
        (-1, -1) if it does not match."""
        (start, stop), = self._regexes[i].Match(_UNANCHORED, data, 0, len(data))
        if start < 0 or len(data) == len(text):
            return start, stop
        return _characters(data, start, stop)

    def scan(self, text: str, data: bytes, d: int) -> list[Hit]:
        """The patterns that apply in direction `d` and match `text` (`data` its UTF-8), by
        index, each with its first match."""
        first_match = self.first_match
        return [(i, *first_match(i, text, data)) for i in self.matching(data, d)]


def _characters(data: bytes, start: int, stop: int) -> tuple[int, int]:
    """Byte offsets in UTF-8 `data` as character offsets."""
    return len(data[:start].decode("utf-8", "ignore")), len(data[:stop].decode("utf-8", "ignore"))
