"""classifiers/patternscan.py: joined texts find what each text alone finds, edges included."""

from __future__ import annotations

import pytest
import re2

from classifiers.patternscan import JOINED_MESSAGES, PatternScanner

# Patterns whose matches depend on a text's edges, on what a "\n" could be read as, or that match
# the empty string: each must find in a joined text exactly what it finds in each text alone.
PATTERNS = [
    r"^kak\b",  # start of a text
    r"\bya$",  # end of a text
    r"^$",  # an empty match at the start and the end
    r"\bom\b",  # word boundaries at both edges
    r"pulsa\s*gratis",  # \s could read a "\n"
    r"jangan[^x]bilang",  # a negated class could read a "\n"
    r"ka.u",  # "." next to an edge
    r"\Aom",  # \A: a text's start, never a line's: kept as written
    r"(?i)RAHASIA",  # a flag group: kept as written
    r"z*",  # the empty string, everywhere
    r"\b\w+ ?$",  # a last word, with or without a space
    r"é+\w",  # non-ASCII: offsets in characters
    r"sa(?:y|ya)ng",
]

TEXTS = [
    "kak om kasih pulsa gratis ya",
    "om",
    "pulsa gratis",
    "pulsa",
    "gratis ya",
    "jangan bilang",
    "kamu",
    "ya",
    "rahasia kita ya kak",
    "cafééé sayang",
    "ééé",
    "a b c",
    "sayang kak",
    "kak",
    "x",
    "om om om",
    "zzz ya",
]


def alone(pattern: str, text: str) -> tuple[int, int] | None:
    """The pattern as written, on the text alone: its first match, in characters."""
    m = re2.search(pattern, text)
    return m.span() if m else None


def expected(texts: list[str], ds: list[int] | None = None, directions=None
             ) -> list[list[tuple[int, int, int]]]:
    out = []
    for k, text in enumerate(texts):
        hits = []
        if text:
            for i, pattern in enumerate(PATTERNS):
                if directions is not None and not directions[i][ds[k] if ds else 0]:
                    continue
                span = alone(pattern, text)
                if span is not None:
                    hits.append((i, *span))
        out.append(hits)
    return out


@pytest.fixture(scope="module")
def scanner() -> PatternScanner:
    return PatternScanner(PATTERNS, per_set=4)


def scan_all(scanner: PatternScanner, texts: list[str], ds: list[int] | None = None
             ) -> list[list[tuple[int, int, int]]]:
    datas = [t.encode("utf-8") for t in texts]
    return scanner.scan_many(texts, datas, ds or [0] * len(texts))


def test_patterns_that_see_a_line_edge_are_kept_as_written(scanner):
    kept = {scanner.sources[i] for ps in scanner.sets if not ps.joinable for i in ps.members}
    assert kept == {r"\Aom", r"(?i)RAHASIA"}


def test_one_text_at_a_time_finds_what_the_patterns_as_written_find(scanner):
    for text, hits in zip(TEXTS, expected(TEXTS), strict=True):
        assert scanner.scan(text, text.encode("utf-8"), 0) == hits, text


@pytest.mark.parametrize("size", [1, 2, 3, JOINED_MESSAGES - 1, JOINED_MESSAGES, 40])
def test_joined_texts_find_what_each_text_alone_finds(scanner, size):
    texts = [TEXTS[i % len(TEXTS)] for i in range(size)]
    assert scan_all(scanner, texts) == expected(texts)


def test_every_order_and_neighbour_gives_the_same_hits(scanner):
    # each text next to each other one, at the start, in the middle and at the end of a group
    texts = [a for a in TEXTS for b in TEXTS for a in (a, b)]
    assert scan_all(scanner, texts) == expected(texts)


def test_empty_texts_find_nothing_and_keep_their_place(scanner):
    texts = ["", "om", "", "", "kak", ""]
    assert scan_all(scanner, texts) == [[], *expected(["om"]), [], [], *expected(["kak"]), []]


def test_a_text_holding_a_newline_is_read_alone_with_the_patterns_as_written(scanner):
    # never from normalize(), but a Normalized may be built by hand
    texts = ["kak\nom", "pulsa\ngratis", "om", "ya\nkak", "jangan\nbilang"]
    assert scan_all(scanner, texts) == expected(texts)
    for text in texts:
        assert scanner.scan(text, text.encode("utf-8"), 0) == expected([text])[0]


def test_only_the_patterns_of_a_messages_direction_are_scanned():
    # (to_child, from_child) per pattern, as their rules' directions
    directions = [((True, True), (True, False), (False, True))[i % 3] for i in range(len(PATTERNS))]
    scanner = PatternScanner(PATTERNS, per_set=2, directions=directions)
    assert all(all(directions[i] == ps.directions for i in ps.members) for ps in scanner.sets)
    texts = [a for a in TEXTS for a in (a, a)]
    ds = [k % 2 for k in range(len(texts))]  # each text in both directions, next to each other
    want = expected(texts, ds, directions)
    assert scan_all(scanner, texts, ds) == want
    assert [scanner.scan(t, t.encode(), d) if t else [] for t, d in zip(texts, ds, strict=True)] == want
    assert want[0] != want[1]  # the directions do find different patterns
