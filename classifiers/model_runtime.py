"""The risk model at run time: the Pipeline's exact numbers from plain arrays.

`LinearModel` computes what classifiers/model.py's Pipeline computes (TF-IDF of char_wb and word
n-grams and of word pairs (classifiers/wordpairs.py), l2-normalized per block, a one-hot
direction, one logistic regression per output) with
numpy alone: a batch's n-grams are looked up in a few C-level passes over all its words at once
(a word's char n-gram ids kept from one message to the next) instead of scikit-learn's Python
slicing per message, and the batch is weighted, normalized and multiplied in a few vectorized
steps. Tests check it against the Pipeline's predict_proba.

`load_isolated(path)` keeps scikit-learn and skops out of the long-running process: a short-lived
child (`python -m classifiers.model_runtime PATH`) runs every check of `model.load_model` and the
skops load, and hands back only the arrays and the verified metadata, as an .npz read with
allow_pickle=False. Importing scikit-learn alone costs ~100 MB of resident memory, more than the
whole budget of a loaded scorer on a Raspberry Pi.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain, pairwise, repeat
from pathlib import Path
from typing import Any

import numpy as np

from classifiers.wordpairs import PAIR_VECTORIZER, TOKEN_PATTERN, PairBlock, batch_words

CHILD_TIMEOUT = 300  # seconds; loading on a slow Raspberry Pi SD card takes a few
CHILD_MODEL_ERROR = 3  # exit status of the child for a ModelError (JSON on stderr)
CHUNK = 512  # documents per vectorized step: bounds the temporary arrays
WORD_CACHE = 50_000  # words whose char n-gram ids are kept (chat vocabulary repeats a lot)


@dataclass
class TextBlock:
    """One TF-IDF vectorizer of the Pipeline, as data, and the n-grams it learnt in a text.

    `batch_ids` finds those of a whole batch in a few C-level passes (map over one flat list of
    the batch's words or tokens, no Python loop per message); `ids` those of one message.

    Word uni- and bigrams: each token is looked up once, for its number among the vocabulary's
    tokens (`_TokenPairs`); its unigram's column and the pair with the next token's bigram column
    are then found in arrays. Joining each pair into a string and looking it up, as scikit-learn
    does, made a batch of corpus messages cost ~19 µs a message in the model instead of ~15."""

    analyzer: str  # "char_wb" or "word"
    binary = False  # counts are sublinear tf (the word pairs' block, PairBlock, is binary)
    ngram_range: tuple[int, int]
    token_pattern: str
    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int  # its first column in the feature vector

    def __post_init__(self) -> None:
        self.tokens = re.compile(self.token_pattern)
        # With scikit-learn's default pattern a token is a maximal run of word characters: in a
        # text of only word characters and spaces (nearly every normalized text), the tokens are
        # its words, and str.split is several times faster than the regular expression.
        self.words_are_tokens = self.token_pattern == TOKEN_PATTERN
        self.idf_list = self.idf.tolist()  # indexing a list is faster one by one
        self.word_ids: dict[str, bytes] = {}  # char_wb: a word's n-gram ids, as int32 bytes
        self._pairs: _TokenPairs | None = None  # word: built on first use of batch_ids

    def ids(self, text: str) -> list[int]:
        """Column (within the block) of each of the text's n-grams that the model learnt."""
        words = text.split()
        if self.analyzer == "char_wb":
            found = b"".join(map(self._word_ids, words))
            return list(struct.unpack(f"={len(found) >> 2}i", found))
        get = self.vocabulary.get
        tokens = self._tokens([text], [words])[0]
        return [j for n in self._lengths() for j in map(get, _ngrams(tokens, n)) if j is not None]

    def batch_ids(self, texts: Sequence[str], words: Sequence[list[str]]
                  ) -> tuple[np.ndarray, np.ndarray]:
        """(row, column) of every n-gram of the texts (each with its whitespace-separated words)
        that the model learnt, rows in no particular order."""
        if self.analyzer == "char_wb":
            flat = list(chain.from_iterable(words))
            try:
                found = list(map(self.word_ids.__getitem__, flat))
            except KeyError:
                found = list(map(self._word_ids, flat))
            per_word = np.fromiter(map(len, found), dtype=np.int64, count=len(found)) >> 2
            rows = np.repeat(_rows(words), per_word)
            return rows, np.frombuffer(b"".join(found), dtype=np.int32)
        tokens = self._tokens(texts, words)
        flat = list(chain.from_iterable(tokens))
        token_rows = _rows(tokens)
        get, missing = self.vocabulary.get, repeat(-1)
        pairs: _TokenPairs | None = None
        if self.words_are_tokens:  # tokens are runs of word characters: never hold a space
            pairs = self._pairs or self._token_pairs()
            numbers = pairs.numbers(flat)
        row_parts, col_parts = [], []
        for n in self._lengths():
            # n-grams of the flat list, then only those within one text and learnt
            if pairs is not None and n <= 2:
                learnt = pairs.columns(numbers, n)
            else:
                learnt = np.fromiter(map(get, _ngrams(flat, n), missing), dtype=np.int32,
                                     count=max(len(flat) - n + 1, 0))
            starts = token_rows[:len(learnt)]
            keep = (learnt >= 0) & (starts == token_rows[n - 1:])
            row_parts.append(starts[keep])
            col_parts.append(learnt[keep])
        return np.concatenate(row_parts), np.concatenate(col_parts)

    def _token_pairs(self) -> _TokenPairs:
        self._pairs = _TokenPairs(self.vocabulary)
        return self._pairs

    def _lengths(self) -> range:
        """The n of its n-grams."""
        lo, hi = self.ngram_range
        return range(lo, hi + 1)

    def _tokens(self, texts: Sequence[str], words: Sequence[list[str]]) -> Sequence[list[str]]:
        """Each text's tokens: its words where they are the same (see words_are_tokens)."""
        if not self.words_are_tokens:
            return [self.tokens.findall(text) for text in texts]
        return batch_words(texts, words)

    def _word_ids(self, word: str) -> bytes:
        """char_wb: the ids of the n-grams of `word` padded with spaces (never across words, so
        the same wherever the word occurs: kept)."""
        found = self.word_ids.get(word)
        if found is None:
            w = f" {word} "
            get = self.vocabulary.get
            grams = [w[i:i + n] for n in self._lengths() for i in range(len(w) - n + 1)]
            ids = [j for j in map(get, grams) if j is not None]
            if len(self.word_ids) >= WORD_CACHE:
                self.word_ids.clear()
            found = self.word_ids[word] = struct.pack(f"={len(ids)}i", *ids)
        return found


class _TokenPairs:
    """A word vocabulary's unigrams and bigrams by token numbers (tokens hold no space, so a key
    with one space is a bigram): the column of token t's unigram is unigram[t], and that of the
    bigram (t, u) is at bigram_key t * len(tokens) + u in the sorted keys (-1: not learnt)."""

    def __init__(self, vocabulary: dict[str, int]):
        self.tokens: dict[str, int] = {}
        number = self.tokens.setdefault
        unigrams: list[tuple[int, int]] = []
        bigrams: list[tuple[int, int, int]] = []
        for key, column in vocabulary.items():
            parts = key.split(" ")
            if len(parts) == 1:
                unigrams.append((number(key, len(self.tokens)), column))
            elif len(parts) == 2:
                first = number(parts[0], len(self.tokens))
                bigrams.append((first, number(parts[1], len(self.tokens)), column))
        size = self.size = len(self.tokens)
        self.unigram = np.full(size + 1, -1, dtype=np.int32)  # [-1]: an unknown token's
        for t, column in unigrams:
            self.unigram[t] = column
        keys = np.array([t * size + u for t, u, _ in bigrams], dtype=np.int64)
        order = np.argsort(keys)
        self.bigram_keys = keys[order]
        self.bigram_columns = np.array([c for _, _, c in bigrams], dtype=np.int32)[order]

    def numbers(self, tokens: list[str]) -> np.ndarray:
        """Each token's number, -1 for a token the vocabulary does not hold."""
        return np.fromiter(map(self.tokens.get, tokens, repeat(-1)), dtype=np.int64,
                           count=len(tokens))

    def columns(self, numbers: np.ndarray, n: int) -> np.ndarray:
        """For each run of n (1 or 2) tokens, in order, its column, -1 if not learnt."""
        if n == 1:
            return self.unigram[numbers]
        first, second = numbers[:-1], numbers[1:]
        keys = first * self.size + second
        if not len(self.bigram_keys):
            return np.full(len(keys), -1, dtype=np.int32)
        at = np.searchsorted(self.bigram_keys, keys)
        np.minimum(at, len(self.bigram_keys) - 1, out=at)
        known = (first >= 0) & (second >= 0) & (self.bigram_keys[at] == keys)
        return np.where(known, self.bigram_columns[at], -1).astype(np.int32, copy=False)


def _rows(lists: Sequence[list[str]]) -> np.ndarray:
    """For each item of the concatenated lists, the index of its list."""
    return np.repeat(np.arange(len(lists), dtype=np.int32), [len(x) for x in lists])


def _plain_tfidf(vec: Any) -> bool:
    """Whether a fitted TfidfVectorizer weighs as the run-time blocks do: its own analyzer on the
    text as given, sublinear tf times idf, l2-normalized."""
    return (vec.preprocessor is None and vec.tokenizer is None and vec.stop_words is None
            and vec.strip_accents is None and vec.norm == "l2" and vec.use_idf
            and vec.sublinear_tf)


def _ngrams(tokens: list[str], n: int) -> Iterable[str]:
    """The runs of n consecutive tokens, joined by spaces as scikit-learn does."""
    if n == 1:
        return tokens
    runs = pairwise(tokens) if n == 2 else zip(*[tokens[i:] for i in range(n)], strict=False)
    return map(" ".join, runs)


class LinearModel:
    """P(output) = sigmoid(x @ weights + bias), x built as the Pipeline's features."""

    def __init__(self, blocks: list[TextBlock], direction_categories: list[str],
                 direction_offset: int, weights: np.ndarray, bias: np.ndarray):
        self.blocks = blocks
        self.direction_index = {d: direction_offset + i for i, d in enumerate(direction_categories)}
        self.direction_categories = direction_categories
        self.direction_offset = direction_offset
        self.weights = weights  # (n_features, n_outputs)
        self.bias = bias

    @classmethod
    def from_pipeline(cls, pipeline: Any) -> LinearModel | None:
        """The same model as plain arrays, or None where this would not be exact."""
        try:
            features = pipeline.named_steps["features"]
            estimators = pipeline.named_steps["classify"].estimators_
            weights = np.vstack([e.coef_.ravel() for e in estimators]).T.copy()
            bias = np.array([float(e.intercept_[0]) for e in estimators])
            slices = features.output_indices_
            blocks = []
            for name in ("chars", "words"):
                vec = features.named_transformers_[name]
                exact = (vec.analyzer in ("char_wb", "word") and not vec.lowercase
                         and _plain_tfidf(vec) and not vec.binary
                         # a padded word has at least 3 characters: below that length
                         # scikit-learn keeps the short word whole, which ids() does not
                         and (vec.analyzer == "word" or vec.ngram_range[0] <= 3))
                if not exact:
                    return None
                blocks.append(TextBlock(vec.analyzer, tuple(vec.ngram_range), vec.token_pattern,
                                        {t: int(i) for t, i in vec.vocabulary_.items()},
                                        np.asarray(vec.idf_, float), slices[name].start))
            if "pairs" in features.named_transformers_:
                vec = features.named_transformers_["pairs"]
                if not (all(getattr(vec, k) == v for k, v in PAIR_VECTORIZER.items())
                        and _plain_tfidf(vec)):
                    return None
                blocks.append(PairBlock({t: int(i) for t, i in vec.vocabulary_.items()},
                                        np.asarray(vec.idf_, float), slices["pairs"].start))
            onehot = features.named_transformers_["direction"]
            categories = [str(c) for c in onehot.categories_[0]]
            return cls(blocks, categories, slices["direction"].start, weights, bias)
        except (AttributeError, KeyError, IndexError):
            return None  # e.g. a category with no examples: a constant predictor

    def predict(self, texts: Sequence[str], directions: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per normalized text."""
        if len(texts) == 1:
            return self._predict_one(texts[0], directions[0])[None, :]
        out = np.empty((len(texts), len(self.bias)))
        for start in range(0, len(texts), CHUNK):
            out[start:start + CHUNK] = self._predict(texts[start:start + CHUNK],
                                                     directions[start:start + CHUNK])
        return out

    def _predict_one(self, text: str, direction: str) -> np.ndarray:
        """One message (the proxy's case): plain Python up to one small product per block,
        because each numpy call of the batch path costs more than its work here."""
        logits = self.bias.copy()
        for block in self.blocks:
            counts = Counter(block.ids(text))
            if not counts:
                continue
            idf = block.idf_list
            values = ([idf[j] for j in counts] if block.binary else
                      [(1.0 + math.log(n)) * idf[j] for j, n in counts.items()])
            norm = math.sqrt(sum(v * v for v in values))
            columns = np.fromiter(counts, dtype=np.int64, count=len(counts)) + block.offset
            logits += np.array(values) @ np.take(self.weights, columns, axis=0) / norm
        column = self.direction_index.get(direction)
        if column is not None:
            logits += self.weights[column]
        return 1.0 / (1.0 + np.exp(-logits))

    def _predict(self, texts: Sequence[str], directions: Sequence[str]) -> np.ndarray:
        n_docs = len(texts)
        logits = np.tile(self.bias, (n_docs, 1))
        words = [text.split() for text in texts]
        for block in self.blocks:
            n_features = len(block.idf)
            rows, cols = block.batch_ids(texts, words)
            if not len(cols):
                continue
            # Count each n-gram per document: sorted (row, column) keys and their run lengths
            # (int32 keys sort faster; a chunk's keys stay far below 2**31).
            key_type = np.dtype(np.int32 if n_docs * n_features < 2**31 else np.int64)
            rows, cols = rows.astype(key_type, copy=False), cols.astype(key_type, copy=False)
            keys, counts = np.unique(rows * n_features + cols, return_counts=True)
            rows, cols = keys // n_features, keys % n_features
            values = block.idf[cols] if block.binary else (1.0 + np.log(counts)) * block.idf[cols]
            norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=n_docs))
            values /= norms[rows]
            # np.take: several times faster than fancy indexing for gathering rows
            contributions = np.take(self.weights, cols + block.offset, axis=0)
            contributions *= values[:, None]
            starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
            logits[rows[starts]] += np.add.reduceat(contributions, starts, axis=0)
        columns = np.array([self.direction_index.get(d, -1) for d in directions])
        known = columns >= 0  # an unknown direction has no feature, as in OneHotEncoder
        logits[known] += self.weights[columns[known]]
        return 1.0 / (1.0 + np.exp(-logits))

    # --- plain-array transport (no pickle) ---------------------------------------------------

    def to_bytes(self, metadata: dict[str, Any]) -> bytes:
        header = {
            "metadata": metadata,
            "direction": {"categories": self.direction_categories,
                          "offset": self.direction_offset},
            "blocks": [{"analyzer": b.analyzer, "window": b.window, "vocabulary": b.vocabulary,
                        "offset": b.offset} if isinstance(b, PairBlock) else
                       {"analyzer": b.analyzer, "ngram_range": list(b.ngram_range),
                        "token_pattern": b.token_pattern, "vocabulary": b.vocabulary,
                        "offset": b.offset} for b in self.blocks],
        }
        arrays = {f"idf{i}": b.idf for i, b in enumerate(self.blocks)}
        arrays.update(weights=self.weights, bias=self.bias,
                      header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> tuple[LinearModel, dict[str, Any]]:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes())
            blocks = [PairBlock(b["vocabulary"], z[f"idf{i}"], b["offset"], b["window"])
                      if b["analyzer"] == PairBlock.analyzer else
                      TextBlock(b["analyzer"], tuple(b["ngram_range"]), b["token_pattern"],
                                b["vocabulary"], z[f"idf{i}"], b["offset"])
                      for i, b in enumerate(header["blocks"])]
            model = cls(blocks, header["direction"]["categories"], header["direction"]["offset"],
                         z["weights"], z["bias"])
        return model, header["metadata"]


class LoaderUnavailable(Exception):
    """The child process could not run (no usable interpreter, killed, timed out): the caller
    may load in its own process instead."""


def load_isolated(path: Path) -> tuple[LinearModel, dict[str, Any]]:
    """Check and load `path` in a child process; ModelError as load_model would raise it."""
    from classifiers.model import ModelError

    package_root = str(Path(__file__).resolve().parent.parent)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    try:
        child = subprocess.run([sys.executable, "-m", "classifiers.model_runtime", str(path)],
                               capture_output=True, env=env, timeout=CHILD_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise LoaderUnavailable(str(e)) from None
    last = (child.stderr.decode(errors="replace").strip().splitlines() or ["?"])[-1]
    if child.returncode == CHILD_MODEL_ERROR:
        try:
            problem = json.loads(last)
            raise ModelError(problem["kind"], problem["message"])
        except (json.JSONDecodeError, KeyError, TypeError):
            pass
    if child.returncode != 0:
        raise LoaderUnavailable(f"exit status {child.returncode}: {last}")
    return LinearModel.from_bytes(child.stdout)


def _child(path: str) -> int:
    """In the child: every check, the skops load, then the arrays to standard output."""
    from classifiers.model import ModelError, load_model

    try:
        model = load_model(Path(path))
        if model.linear is None:
            raise ModelError("invalid", f"model file {path} has a shape the run-time model "
                             "cannot reproduce exactly; run `jaga train`")
    except ModelError as e:
        print(json.dumps({"kind": e.kind, "message": str(e)}), file=sys.stderr)
        return CHILD_MODEL_ERROR
    sys.stdout.buffer.write(model.linear.to_bytes(model.metadata))
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
