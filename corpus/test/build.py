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

import importlib.util
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "messages" / "test.jsonl"
CARD = HERE / "DATA_CARD.md"


def _blind_build():
    """corpus/blind/build.py, loaded by path (corpus/messages/build.py is also named build)."""
    if "blind_build" not in sys.modules:
        spec = importlib.util.spec_from_file_location("blind_build",
                                                      HERE.parent / "blind" / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["blind_build"] = module
        spec.loader.exec_module(module)
    return sys.modules["blind_build"]


blind = _blind_build()
corpus_build = blind.corpus_build


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
