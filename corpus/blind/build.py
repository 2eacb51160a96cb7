"""Assemble the blind set: development data that no rule or corpus writer tuned anything on.

    .venv/bin/python corpus/blind/build.py [--check]

Sources are `src/*.txt` in the message corpus's format (corpus/messages/build.py), written
blind: their writers read neither the corpus splits, nor the rules, nor the model's errors. The
script checks format, ethics and duplicates (corpus/messages/build.py's checks), refuses any
message that copies or nearly copies a line of the message corpus or of the test split
(corpus/test/src; character 5-gram Jaccard of at least build.NEAR_DUP) or a held-out message,
writes `corpus/messages/blind.jsonl` (where `jaga train` reads its
development data), and the count table of DATA_CARD.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "messages"))

import build as corpus_build  # noqa: E402  (corpus/messages/build.py: one source format)

if str(HERE.parent.parent) not in sys.path:
    sys.path.append(str(HERE.parent.parent))  # the project root: classifiers.normalize

OUT = HERE.parent / "messages" / "blind.jsonl"
HELDOUT = HERE.parent / "heldout" / "heldout.jsonl"
CARD = HERE / "DATA_CARD.md"


def test_split() -> list[corpus_build.Message]:
    """The test split's lines (corpus/test/src), which must stay apart from everything the model
    learns from."""
    return corpus_build.load_all(HERE.parent / "test" / "src")


def _model_reading(text: str) -> str:
    """The text as jaga's model reads it (classifiers.normalize: slang expanded, lookalikes
    folded), where "son" and "sonde" or "yg" and "yang" are one word."""
    from classifiers.normalize import normalize

    return normalize(text).text


AS_WRITTEN = (str,)
AS_WRITTEN_AND_READ = (str, _model_reading)  # where the test split is one side


def overlaps_with_corpus(messages: list[corpus_build.Message],
                         corpus: list[corpus_build.Message] | None = None,
                         readings=AS_WRITTEN) -> list[str]:
    """Messages that copy or nearly copy a line of `corpus` (default: the message corpus; the
    first such line, in corpus order) in any of `readings` of both texts: as written, and where
    the test split is one side also as the model reads them (`_model_reading`; three test lines
    were found to copy development lines only in that reading). Candidates come from an index of
    the corpus's character 5-grams, so only lines that share some are compared (all 9,000 one by
    one took a minute)."""
    corpus = corpus_build.load_all() if corpus is None else corpus
    found: dict[str, str] = {}
    for read in readings:
        texts = [read(m.text) for m in corpus]
        exact = {}
        for m, text in zip(corpus, texts, strict=True):
            exact.setdefault(corpus_build.norm(text), m.where)
        shingles = [corpus_build.shingles(text) for text in texts]
        index: dict[str, list[int]] = defaultdict(list)
        for i, grams in enumerate(shingles):
            for gram in grams:
                index[gram].append(i)
        for m in messages:
            if m.where in found:
                continue
            text = read(m.text)
            if corpus_build.norm(text) in exact:
                found[m.where] = f"{m.where}: same as corpus line {exact[corpus_build.norm(text)]}"
                continue
            mine = corpus_build.shingles(text)
            shared = Counter(i for gram in mine for i in index.get(gram, ()))
            close = [i for i, n in shared.items()
                     if n / (len(mine) + len(shingles[i]) - n) >= corpus_build.NEAR_DUP]
            if close:
                found[m.where] = f"{m.where}: nearly copies corpus line {corpus[min(close)].where}"
    return [found[m.where] for m in messages if m.where in found]


def overlaps_with_heldout(messages: list[corpus_build.Message]) -> list[str]:
    """Blind-set messages of four words or more whose normalized words nearly copy (Jaccard of at
    least 0.8) a message of the independent held-out set, which must stay unseen in training.
    The held-out text is not printed: writers of this set do not read it."""
    def words(text: str) -> frozenset[str]:
        return frozenset(_model_reading(text).split())

    heldout = [words(json.loads(line)["text"]) for line in
               HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = []
    for m in messages:
        mine = words(m.text)
        if len(mine) >= 4 and any(len(mine & o) / len(mine | o) >= 0.8 for o in heldout):
            problems.append(f"{m.where}: nearly copies a held-out message; reword it")
    return problems


def problems(messages: list[corpus_build.Message]) -> list[str]:
    """Every check a blind-set message must pass: the corpus's own (format, ethics, duplicates),
    and no near-copy of a line of the message corpus, of the test split (also as the model reads
    them) or of a held-out message."""
    return (corpus_build.check(messages) + overlaps_with_corpus(messages)
            + overlaps_with_corpus(messages, test_split(), AS_WRITTEN_AND_READ)
            + overlaps_with_heldout(messages))


def table(messages: list[corpus_build.Message]) -> str:
    rows = []
    for lang in corpus_build.LANGS.values():
        ms = [m for m in messages if m.lang == lang]
        risky = sum(m.label for m in ms)
        rows.append([lang, len(ms), risky, len(ms) - risky, sum(m.hard_negative for m in ms),
                     sum(m.direction == "from_child" for m in ms)])
    risky = sum(m.label for m in messages)
    rows.append(["all", len(messages), risky, len(messages) - risky,
                 sum(m.hard_negative for m in messages),
                 sum(m.direction == "from_child" for m in messages)])
    return corpus_build._table(rows, ["language", "messages", "risk (1)", "benign (0)",
                                      "hard negatives", "from_child"])


def assemble(description: str, src: Path, out: Path, card: Path, check_all,
             argv: list[str] | None = None) -> int:
    """The command line of a set written blind: check the sources in `src` with `check_all`
    (messages -> problems), write them to `out` and their count table into `card`."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--check", action="store_true", help="validate and report; write nothing")
    args = ap.parse_args(argv)
    try:
        messages = corpus_build.load_all(src)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    found = check_all(messages)
    for p in found:
        print(p, file=sys.stderr)
    counts = table(messages)
    if not found and not args.check:
        corpus_build.write_jsonl(out, messages)
        corpus_build.write_counts(card, counts)
    print(counts)
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    return assemble(__doc__.splitlines()[0], HERE / "src", OUT, CARD, problems, argv)


if __name__ == "__main__":
    sys.exit(main())
