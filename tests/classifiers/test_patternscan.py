"""classifiers/patternscan.py: the filter finds what each pattern as written finds on the text."""

from __future__ import annotations

import pytest
import re2

from classifiers.patternscan import PatternScanner

# Patterns whose matches depend on a text's edges or its case, that match the empty string, or
# whose literal words are too short for the filter (it then always runs them): each must find
# exactly what it finds as written.
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
    r"Rahasia",  # case-sensitive: the filter's words ignore case, the pattern does not
    r"kirim (foto|pic)\w* (ke|buat) (om|kakak)",  # words of one branch or another
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
    "Rahasia kita",
    "rahasia kita",
    "kirim fotonya ke kakak",
    "kirim pic buat om ya",
    "kirim video ke om",
    "kak\nom",
    "pulsa\ngratis",
    "ya\nkak",
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
    return PatternScanner(PATTERNS)


def scan_each(scanner: PatternScanner, texts: list[str], ds: list[int] | None = None
              ) -> list[list[tuple[int, int, int]]]:
    return [scanner.scan(t, t.encode("utf-8"), ds[k] if ds else 0) if t else []
            for k, t in enumerate(texts)]


def test_each_text_finds_what_the_patterns_as_written_find(scanner):
    for text, hits in zip(TEXTS, expected(TEXTS), strict=True):
        assert scanner.scan(text, text.encode("utf-8"), 0) == hits, text


def test_the_filter_keeps_patterns_whose_words_ignore_case_and_the_pattern_decides(scanner):
    rahasia = PATTERNS.index("Rahasia")
    assert [h[0] for h in scanner.scan("Rahasia kita", b"Rahasia kita", 0)].count(rahasia) == 1
    assert rahasia not in [h[0] for h in scanner.scan("rahasia kita", b"rahasia kita", 0)]


def test_only_the_patterns_of_a_messages_direction_are_scanned():
    # (to_child, from_child) per pattern, as their rules' directions
    directions = [((True, True), (True, False), (False, True))[i % 3] for i in range(len(PATTERNS))]
    scanner = PatternScanner(PATTERNS, directions=directions)
    texts = [a for a in TEXTS for a in (a, a)]
    ds = [k % 2 for k in range(len(texts))]  # each text in both directions
    want = expected(texts, ds, directions)
    assert scan_each(scanner, texts, ds) == want
    assert want[0] != want[1]  # the directions do find different patterns


def test_a_direction_without_patterns_finds_nothing():
    scanner = PatternScanner(["om", "kak"], directions=[(True, False), (True, False)])
    assert scanner.scan("om kak", b"om kak", 0) == [(0, 0, 2), (1, 3, 6)]
    assert scanner.scan("om kak", b"om kak", 1) == []
    assert not PatternScanner([])


def test_a_pattern_re2_refuses_is_an_error():
    with pytest.raises(re2.error):
        PatternScanner(["(unclosed"])


def test_a_filter_whose_patterns_have_no_literal_words_runs_them_all():
    # no atom of three bytes or more: RE2 keeps no literal set, every pattern is always run
    scanner = PatternScanner([r"^\d+$", r"\bom\b"])
    assert scanner.scan("123", b"123", 0) == [(0, 0, 3)]
    assert scanner.scan("om ya", b"om ya", 1) == [(1, 0, 2)]
    assert scanner.scan("x", b"x", 0) == []
