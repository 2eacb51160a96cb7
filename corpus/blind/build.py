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

OUT = HERE.parent / "messages" / "blind.jsonl"
HELDOUT = HERE.parent / "heldout" / "heldout.jsonl"
CARD = HERE / "DATA_CARD.md"
START, END = "<!-- counts:start -->", "<!-- counts:end -->"


def development_and_test() -> list[corpus_build.Message]:
    """The lines a blind-set message may not nearly copy: the message corpus's, and the test
    split's (corpus/test/src), which must stay apart from everything the model learns from."""
    return corpus_build.load_all() + corpus_build.load_all(HERE.parent / "test" / "src")


def overlaps_with_corpus(messages: list[corpus_build.Message],
                         corpus: list[corpus_build.Message] | None = None) -> list[str]:
    """Messages that copy or nearly copy a line of `corpus` (default: the message corpus and the
    test split; the first such line, in corpus order). Candidates come from an index of the corpus's character
    5-grams, so only lines that share some are compared (all 9,000 one by one took a minute)."""
    corpus = development_and_test() if corpus is None else corpus
    exact = {corpus_build.norm(m.text): m.where for m in corpus}
    shingles = [corpus_build.shingles(m.text) for m in corpus]
    index: dict[str, list[int]] = defaultdict(list)
    for i, grams in enumerate(shingles):
        for gram in grams:
            index[gram].append(i)
    problems = []
    for m in messages:
        if corpus_build.norm(m.text) in exact:
            problems.append(f"{m.where}: same as corpus line {exact[corpus_build.norm(m.text)]}")
            continue
        mine = corpus_build.shingles(m.text)
        shared = Counter(i for gram in mine for i in index.get(gram, ()))
        close = [i for i, n in shared.items()
                 if n / (len(mine) + len(shingles[i]) - n) >= corpus_build.NEAR_DUP]
        if close:
            problems.append(f"{m.where}: nearly copies corpus line {corpus[min(close)].where}")
    return problems


def overlaps_with_heldout(messages: list[corpus_build.Message]) -> list[str]:
    """Blind-set messages of four words or more whose normalized words nearly copy (Jaccard of at
    least 0.8) a message of the independent held-out set, which must stay unseen in training.
    The held-out text is not printed: writers of this set do not read it."""
    sys.path.insert(0, str(HERE.parent.parent))
    from classifiers.normalize import normalize

    def words(text: str) -> frozenset[str]:
        return frozenset(normalize(text).text.split())

    heldout = [words(json.loads(line)["text"]) for line in
               HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    problems = []
    for m in messages:
        mine = words(m.text)
        if len(mine) >= 4 and any(len(mine & o) / len(mine | o) >= 0.8 for o in heldout):
            problems.append(f"{m.where}: nearly copies a held-out message; reword it")
    return problems


def problems(messages: list[corpus_build.Message],
             corpus: list[corpus_build.Message] | None = None) -> list[str]:
    """Every check a blind-set message must pass: the corpus's own (format, ethics, duplicates),
    and no near-copy of a line of `corpus` (default: the message corpus and the test split) or a
    held-out message."""
    return (corpus_build.check(messages) + overlaps_with_corpus(messages, corpus)
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
        with open(out, "w", encoding="utf-8") as f:
            for m in messages:
                f.write(json.dumps(m.record(), ensure_ascii=False) + "\n")
        text = card.read_text(encoding="utf-8")
        pre, rest = text.split(START, 1)
        card.write_text(f"{pre}{START}\n{counts}\n{END}{rest.split(END, 1)[1]}", encoding="utf-8")
    print(counts)
    return 1 if found else 0


def main(argv: list[str] | None = None) -> int:
    return assemble(__doc__.splitlines()[0], HERE / "src", OUT, CARD, problems, argv)


if __name__ == "__main__":
    sys.exit(main())
