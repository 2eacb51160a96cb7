"""Check blind-set source files alone, with build.py's checks: format, ethics, duplicates within
them, near-copies of a corpus line or a held-out message (whose text is not shown).

    .venv/bin/python corpus/blind/check_source.py corpus/blind/src/FILE.txt [...]

Prints the message count, then each problem as file:line (exit 1 if any). `build.py` checks the
whole set the same way when it writes corpus/messages/blind.jsonl.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "messages"))

import build as corpus_build  # corpus/messages/build.py: the one source format


def _blind_build():
    """corpus/blind/build.py (same module name as the corpus's, so loaded by path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("blind_build", Path(__file__).parent / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["blind_build"] = module
    spec.loader.exec_module(module)
    return module


def main(paths: list[str]) -> int:
    try:
        messages = [m for p in paths for m in corpus_build.parse_source(Path(p))]
    except ValueError as e:
        print(e)
        return 1
    problems = _blind_build().problems(messages)
    print(f"{len(messages)} messages, {sum(m.label for m in messages)} risky")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
