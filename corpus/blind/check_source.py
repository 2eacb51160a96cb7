"""Check source files of a set written blind (corpus/blind/src or corpus/test/src) alone, with
that set's build.py checks: format, ethics, duplicates within them, near-copies of a line of the
development data or of a held-out message (whose text is not shown).

    .venv/bin/python corpus/blind/check_source.py corpus/blind/src/FILE.txt [...]
    .venv/bin/python corpus/blind/check_source.py corpus/test/src/FILE.txt [...]

Prints the message count, then each problem as file:line (exit 1 if any). The set's `build.py`
checks all its sources the same way when it writes its split.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "messages"))

import build as corpus_build  # corpus/messages/build.py: the one source format


def _set_build(source: Path):
    """The build.py of the set a source file belongs to (…/SET/src/FILE.txt), loaded by path
    (the corpus's build.py has the same module name)."""
    folder = source.resolve().parent.parent
    name = f"{folder.name}_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, folder / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def main(paths: list[str]) -> int:
    try:
        messages = [m for p in paths for m in corpus_build.parse_source(Path(p))]
    except ValueError as e:
        print(e)
        return 1
    problems = _set_build(Path(paths[0])).problems(messages)
    print(f"{len(messages)} messages, {sum(m.label for m in messages)} risky")
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
