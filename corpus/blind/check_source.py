"""Check source files of a set written blind (corpus/blind/src or corpus/test/src) alone, with
that set's build.py checks: format, ethics, duplicates within them, near-copies of a line of the
development data or of a held-out message (whose text is not shown).

    .venv/bin/python corpus/blind/check_source.py corpus/blind/src/FILE.txt [...]
    .venv/bin/python corpus/blind/check_source.py corpus/test/src/FILE.txt [...]

Prints the message count, then each problem as file:line (exit 1 if any). The set's `build.py`
checks all its sources the same way when it writes its split.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "messages"))

import build as corpus_build  # corpus/messages/build.py: the one source format


def main(paths: list[str]) -> int:
    try:
        messages = [m for p in paths for m in corpus_build.parse_source(Path(p))]
    except ValueError as e:
        print(e)
        return 1
    # the build script of the set the files belong to (.../SET/src/FILE.txt)
    folder = Path(paths[0]).resolve().parent.parent.name
    problems = corpus_build.load_build(folder).problems(messages)
    print(f"{len(messages)} messages, {sum(m.label for m in messages)} risky")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
