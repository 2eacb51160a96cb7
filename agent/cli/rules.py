"""`jaga rules lint|test`: check rule packs before they reach a child's router (rules/README.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.errors import UsageError

PATH_HELP = "pack files or folders (default: the built-in packs)"
LINT_EPILOG = """\
Output: one line per problem, 'FILE:LINE: SEVERITY RULE-ID: MESSAGE [CHECK] (fix: HOW)', sorted by
file and line, then a summary. Errors are problems that make a pack unusable or a rule wrong;
warnings are advice.

Exit status: 0 no errors (warnings allowed, unless --strict), 1 the packs were read and have
errors, 2 a PATH does not exist or cannot be read, or holds no pack.
"""

TEST_EPILOG = """\
Each example asks whether ITS rule fires on the example text (in the example's direction), with
all the packs given loaded together: 'expect: match' must fire, 'expect: no-match' must not;
'todo-match' and 'todo-no-match' are known misses, reported as todo (and as "todo now passes"
when the rule starts getting them right), never as failures.

Exit status: 0 every example passed, 1 some example failed, 2 a PATH does not exist or a pack
has errors (run `jaga rules lint` for the details).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "rules",
        help="lint and test rule packs",
        description="Check rule packs: `lint` finds every problem in one pass, `test` runs the "
        "examples embedded in each rule. PATH is a pack file or a folder of *.yaml packs; the "
        "default is the built-in packs.",
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    lint = verbs.add_parser(
        "lint",
        help="find every problem in rule packs, with file:line and how to fix it",
        description="Lint rule packs: schema, unknown keys, duplicate ids, unknown categories, "
        "empty, duplicate or overlapping phrases, phrases not in normalized form, invalid or "
        "unsafe patterns, and/or mixed without parentheses, unused selections, missing examples "
        "and false-positive notes, weights out of range, deprecated rules.",
        epilog=LINT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint.add_argument("paths", nargs="*", metavar="PATH", help=PATH_HELP)
    lint.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 1 on any)")
    lint.add_argument("--errors-only", action="store_true", help="do not show warnings")
    lint.add_argument("--list-checks", action="store_true", help="list the checks, then exit")
    lint.set_defaults(func=run_lint)
    test = verbs.add_parser(
        "test",
        help="run the examples embedded in each rule",
        description="Run every rule's examples through the same matching as `jaga classify`, and "
        "report passes, failures and todos per rule.",
        epilog=TEST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    test.add_argument("paths", nargs="*", metavar="PATH", help=PATH_HELP)
    test.add_argument("--failures-only", action="store_true", help="list only rules with failures or todos")
    test.set_defaults(func=run_test)


def _console():
    from rich.console import Console

    console = Console(soft_wrap=True, highlight=False)
    if not console.is_terminal:  # a log or a pipe: don't fold file paths at 80 columns
        console.width = 160
    return console


def _files(paths: list[str]) -> list[Path]:
    from classifiers.rulepack import builtin_pack_files, pack_files

    if not paths:
        files = builtin_pack_files()
        if not files:
            raise UsageError("no built-in rule packs (rules/*.yaml) yet; give a PATH")
        return files
    for p in paths:
        if not Path(p).exists():
            raise UsageError(f"{p}: no such rule pack or folder")
    files = list(pack_files(paths))
    if not files:
        raise UsageError(f"no *.yaml rule packs in {', '.join(paths)}")
    return files


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _where(file: str) -> str:
    """A pack path as short as it can be: relative to the current folder when inside it."""
    try:
        return str(Path(file).resolve().relative_to(Path.cwd()))
    except ValueError:
        return file


_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _problem_text(problem):
    from rich.text import Text

    text = Text()
    line = f":{problem.line}" if problem.line else ""  # 0: the file as a whole
    text.append(f"{_where(problem.file)}{line}:", style="bold")
    text.append(f" {problem.severity}", style=_STYLE.get(problem.severity, ""))
    text.append(f" {problem.rule or 'pack'}:", style="bold")
    text.append(f" {problem.message} ")
    text.append(f"[{problem.code}]", style="dim")
    if problem.fix:
        text.append(f" (fix: {problem.fix})", style="green")
    return text


def run_lint(args: argparse.Namespace) -> int:
    from classifiers.lint import CHECKS, LOADER_CHECKS, lint_paths

    console = _console()
    if args.list_checks:
        for code, what in LOADER_CHECKS.items():
            console.print(f"{code:24} error    {what}")
        for check in CHECKS:
            console.print(f"{check.id:24} {check.severity:8} {check.description}")
        return 0
    files = _files(args.paths)
    report = lint_paths(files)
    unreadable = [p for p in report.problems if p.code in ("missing-pack", "unreadable-pack")]
    if unreadable:
        raise UsageError("; ".join(str(p) for p in unreadable))
    for problem in report.problems:
        if args.errors_only and problem.severity != "error":
            continue
        console.print(_problem_text(problem))
    summary = (f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} in "
               f"{_plural(report.files, 'pack')} ({_plural(report.rules, 'rule')})")
    failed = report.errors > 0 or (args.strict and report.warnings > 0)
    console.print(summary, style="bold red" if failed else "bold green")
    return 1 if failed else 0


def run_test(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from classifiers.rulepack import read_pack
    from classifiers.ruletest import FAIL, PASS, SKIPPED, TODO, TODO_PASSES, run_examples

    console = _console()
    packs, errors = [], []
    for f in _files(args.paths):
        pack, problems = read_pack(f)
        errors += sorted((p for p in problems if p.severity == "error"), key=lambda p: p.line)
        if pack is not None:
            packs.append(pack)
    if errors:
        raise UsageError(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} in rule packs "
                         "(details: jaga rules lint):\n  " + "\n  ".join(str(p) for p in errors))
    report = run_examples(packs)
    table = Table(title="rule examples", show_lines=False)
    for col, justify in (("rule", "left"), ("where", "left"), ("passed", "right"), ("failed", "right"),
                         ("todo", "right")):
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for rule_id, results in report.by_rule().items():
        counts = {o: sum(r.outcome == o for r in results) for o in (PASS, FAIL, TODO, TODO_PASSES, SKIPPED)}
        if args.failures_only and not (counts[FAIL] or counts[TODO] or counts[TODO_PASSES]):
            continue
        rule = results[0].rule
        todo = str(counts[TODO]) + (f" (+{counts[TODO_PASSES]} now pass)" if counts[TODO_PASSES] else "")
        style = "red" if counts[FAIL] else "dim" if counts[SKIPPED] == len(results) else ""
        table.add_row(rule_id, f"{_where(rule.file)}:{rule.line}", str(counts[PASS]), str(counts[FAIL]), todo,
                      style=style)
    if table.row_count:
        console.print(table)
    for r in report.results:
        if r.outcome == FAIL:
            label, style = "FAIL", "bold red"
            what = f"expected it {'to fire' if r.example.expect == 'match' else 'not to fire'}"
        elif r.outcome == TODO_PASSES:
            label, style = "todo now passes", "cyan"
            what = "promote the example to 'expect: " + (
                "match'" if r.example.expect == "todo-match" else "no-match'")
        else:
            continue
        line = Text()
        line.append(f"{_where(r.rule.file)}:{r.example.line}: ", style="bold")
        line.append(label, style=style)
        line.append(f" {r.rule.id}", style="bold")
        line.append(f": {what}, on {r.example.text!r} ({r.example.direction})")
        if r.others:
            line.append(f" (other rules fired: {', '.join(r.others)})", style="dim")
        console.print(line)
    console.print(report.summary(), style="bold red" if report.failed else "bold green")
    return 1 if report.failed else 0
