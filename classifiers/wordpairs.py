"""Word pairs: the model's features for which words occur near each other in a message.

A grooming message and its hard negative often share every risky word and differ in who speaks
and why ("jangan bilang mama ya, om transfer" / "jangan bilang mama ya, kado buat papa"); char
and word n-grams see each word, but a linear model over them cannot tell which words came
together. A word pair is two different words of a message at most WINDOW words apart, in either
order ("bilang|om"), counted once per message (binary): a linear model over pairs sees such
co-occurrences. In cross-fitting on the development data (session 4, grouped folds, alert point
at 4% of hard negatives) they raised the model's F1 from 88.4% to 89.8% and the combined
scorer's from 90.4% to 91.5%; a window of 8 did better than 4 (91.1%), all pairs of a message
hardly better than 8 (91.7%) and their number grows with the square of a long text's length.

`pair_text` writes a message's pairs as the Pipeline's third input column (classifiers/model.py),
which a plain TfidfVectorizer (PAIR_VECTORIZER) reads, so the shipped file holds only
scikit-learn's own types. `PairBlock` finds the same pairs at run time from token numbers, for a
whole batch in a few numpy passes (classifiers/model_runtime.py's LinearModel uses it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import chain, repeat

import numpy as np

WINDOW = 8  # a pair's words are at most this many words apart
TOKEN_PATTERN = r"(?u)\b\w+\b"  # the words of a normalized text (as the word n-grams')
JOIN = "|"  # between a pair's two words; never inside a word
# How the Pipeline's vectorizer must read pair_text's output (and LinearModel checks it does).
PAIR_VECTORIZER = {"analyzer": "word", "token_pattern": r"[^ ]+", "ngram_range": (1, 1),
                   "lowercase": False, "binary": True}

_TOKENS = re.compile(TOKEN_PATTERN)


def words_only(text: str) -> bool:
    """Whether `text` holds only word characters (as the regular expression \\w reads them:
    letters, digits, numerals of any script; "_" takes the slow path) and spaces: then its
    tokens are its space-separated parts, and str.split is several times faster than the
    regular expression."""
    return text.replace(" ", "").isalnum()


def words_of(text: str, split: list[str] | None = None) -> list[str]:
    """The words of a normalized text (`split`: its space-separated parts, when already made)."""
    if words_only(text):
        return text.split() if split is None else split
    return _TOKENS.findall(text)


def batch_words(texts: Sequence[str], split: Sequence[list[str]]) -> Sequence[list[str]]:
    """The words of each text of a batch, given their space-separated parts: those parts
    themselves for the usual batch (one check for all), else text by text (`words_of`)."""
    if words_only("".join(texts)):
        return split
    return [words_of(text, parts) for text, parts in zip(texts, split, strict=True)]


def pairs(words: Sequence[str], window: int = WINDOW) -> set[str]:
    """The message's word pairs, each written with its words in sorted order."""
    found = set()
    for i, a in enumerate(words):
        for b in words[i + 1:i + 1 + window]:
            if a != b:
                found.add(f"{a}{JOIN}{b}" if a < b else f"{b}{JOIN}{a}")
    return found


def pair_text(text: str, window: int = WINDOW) -> str:
    """The Pipeline's pairs column for one normalized text: its pairs, space-separated."""
    return " ".join(sorted(pairs(words_of(text), window)))


class PairBlock:
    """The pairs vectorizer of a fitted Pipeline, as data (the TextBlock of word pairs).

    Each word of the vocabulary's pairs gets a number; a pair's key is
    smaller number * len(words) + larger number, and the keys are kept sorted with their
    columns, so a batch's pairs are found with one searchsorted per distance."""

    analyzer = "pairs"
    binary = True  # each pair counts once per message, as the vectorizer's binary=True

    def __init__(self, vocabulary: dict[str, int], idf: np.ndarray, offset: int,
                 window: int = WINDOW):
        self.vocabulary = vocabulary
        self.idf = idf
        self.idf_list = idf.tolist()
        self.offset = offset
        self.window = window
        self.numbers: dict[str, int] = {}
        number = self.numbers.setdefault
        found = [(number(a, len(self.numbers)), number(b, len(self.numbers)), column)
                 for key, column in vocabulary.items() for a, b in [key.split(JOIN)]]
        self.size = size = max(len(self.numbers), 1)
        keys = np.array([min(a, b) * size + max(a, b) for a, b, _ in found], dtype=np.int64)
        order = np.argsort(keys)
        self.keys = keys[order]
        self.columns = np.array([c for _, _, c in found], dtype=np.int32)[order]
        self.column_of = {int(k): int(c) for k, c in zip(self.keys, self.columns, strict=True)}

    def ids(self, text: str) -> list[int]:
        """Columns of the text's learnt pairs, each once. Only the positions of words that are
        in some learnt pair are paired (half the time of pairing every word)."""
        get = self.numbers.get
        known = [(i, n) for i, n in enumerate(map(get, words_of(text), repeat(-1))) if n >= 0]
        column_of, size, window = self.column_of.get, self.size, self.window
        columns = set()
        for k, (i, a) in enumerate(known):
            for j, b in known[k + 1:]:
                if j - i > window:
                    break
                if a != b:
                    column = column_of(a * size + b if a < b else b * size + a)
                    if column is not None:
                        columns.add(column)
        return list(columns)

    def batch_ids(self, texts: Sequence[str], words: Sequence[list[str]]
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of the texts' learnt pairs (a pair may repeat within a row: the caller
        counts it once), given each text's space-separated words."""
        tokens = batch_words(texts, words)
        flat = list(chain.from_iterable(tokens))
        numbers = np.fromiter(map(self.numbers.get, flat, repeat(-1)), dtype=np.int64,
                              count=len(flat))
        rows = np.repeat(np.arange(len(tokens), dtype=np.int64), [len(t) for t in tokens])
        row_parts, col_parts = [], []
        if not len(self.keys):
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        for distance in range(1, self.window + 1):
            if distance >= len(numbers):
                break
            a, b = numbers[:-distance], numbers[distance:]
            near = (rows[:-distance] == rows[distance:]) & (a >= 0) & (b >= 0) & (a != b)
            a, b, at_row = a[near], b[near], rows[:-distance][near]
            keys = np.minimum(a, b) * self.size + np.maximum(a, b)
            at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            known = self.keys[at] == keys
            row_parts.append(at_row[known])
            col_parts.append(self.columns[at[known]])
        if not row_parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int32)
        return np.concatenate(row_parts), np.concatenate(col_parts)
