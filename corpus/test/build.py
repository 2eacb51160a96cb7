"""Assemble the test split: messages written blind after the model's method was fixed, never tuned on.

    .venv/bin/python corpus/test/build.py [--check]

Sources are `src/*.txt` in the message corpus's format (corpus/messages/build.py), written by
writers who read neither the corpus, the blind set, the rules, the model nor any error. The
script runs the blind set's checks (format, ethics, duplicates, no near-copy of a held-out
message) and refuses any message that copies or nearly copies a line of the development data
(the message corpus and the blind set), as written or as the model reads both. It writes
`corpus/messages/test.jsonl`, the split `jaga train` measures the shipped model on, and the
count table of DATA_CARD.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "messages" / "test.jsonl"
CARD = HERE / "DATA_CARD.md"


sys.path.insert(0, str(HERE.parent / "messages"))

import build as corpus_build  # noqa: E402  (corpus/messages/build.py: one source format)

blind = corpus_build.load_build("blind")


def development() -> list:
    """Every message the model is developed on: the corpus's sources and the blind set's."""
    return corpus_build.load_all() + corpus_build.load_all(HERE.parent / "blind" / "src")


def problems(messages: list) -> list[str]:
    """Every check a test message must pass: the corpus's own (format, ethics, duplicates), no
    near-copy of a development line, as written or as the model reads both, nor of a held-out
    message."""
    return (corpus_build.check(messages)
            + blind.overlaps_with_corpus(messages, development(), blind.AS_WRITTEN_AND_READ)
            + blind.overlaps_with_heldout(messages))


def main(argv: list[str] | None = None) -> int:
    return blind.assemble(__doc__.splitlines()[0], HERE / "src", OUT, CARD, problems, argv)


if __name__ == "__main__":
    sys.exit(main())
