"""Text normalization: the one view of a message that every rule and the model see.

`normalize(text)` returns a `Normalized` whose `text` is lower-case, NFKC-folded, with words
separated by single spaces, and whose `starts`/`ends` map each normalized character back to the
original characters, so that evidence can quote and highlight exactly what the person wrote.

(Basic version: NFKC, casefold, zero-width removal, whitespace folding. Obfuscation handling and
the slang map come in the full version.)
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# Longest text that is scanned; the rest of a longer message is ignored (documented in README).
MAX_SCAN_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Normalized:
    original: str
    text: str
    starts: tuple[int, ...]  # starts[i]: index in `original` where normalized char i comes from
    ends: tuple[int, ...]  # ends[i]: end (exclusive) in `original` of normalized char i

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of `original` that normalized text[start:end] was made from."""
        if start >= end or not self.text:
            return (0, 0)
        return (self.starts[start], max(self.ends[start:end]))

    def quote(self, start: int, end: int) -> str:
        """The original words behind normalized text[start:end]."""
        ostart, oend = self.original_span(start, end)
        return self.original[ostart:oend]


def normalize(text: str) -> Normalized:
    text = text[:MAX_SCAN_CHARS]
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        folded = unicodedata.normalize("NFKC", ch).casefold()
        for c in folded:
            if c.isalnum():
                if pending_space and out:
                    out.append(" ")
                    starts.append(i)
                    ends.append(i)
                pending_space = False
                out.append(c)
                starts.append(i)
                ends.append(i + 1)
            elif unicodedata.category(c) in ("Cf", "Mn"):
                continue  # zero-width and combining marks vanish inside words
            else:
                pending_space = True
    return Normalized(text, "".join(out), tuple(starts), tuple(ends))
