"""`jaga config check FILE` and `jaga config example`.

`check` validates a configuration with `agent.config.load_config` (every problem with its line,
all in one pass), then what the schema alone cannot see: times written HH:MM, and notification
targets Apprise can use (masked). It prints OK, or every problem, and exits 2 on problems.
`example` prints the commented example configuration shipped as examples/jaga.yaml.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from agent.errors import UsageError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "jaga.yaml"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("config", help="check a configuration file, or print an example",
                              description="Check a jaga configuration file, or print the commented "
                              "example to start one from.")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    check = verbs.add_parser("check", help="validate a configuration file",
                             description="Validate FILE: unknown keys, wrong types, bad times and "
                             "unusable notification URLs, each with its line. Exit 0 when OK, 2 "
                             "on problems.")
    check.add_argument("file", metavar="FILE")
    check.set_defaults(func=run_check)
    example = verbs.add_parser("example", help="print the commented example configuration",
                               description="Print the commented example configuration "
                               "(examples/jaga.yaml): jaga config example > jaga.yaml")
    example.set_defaults(func=run_example)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def _line_of(root: yaml.Node | None, path: list[str | int]) -> int | None:
    """1-based line of the node at `path` (mapping keys and list indexes) in a composed file."""
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            node = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return None
    return node.start_mark.line + 1 if node is not None else None


def semantic_problems(config, source: str, filename: str) -> list[str]:
    """What a valid schema can still get wrong, each with file:line where it can be found."""
    from agent.alerting import parse_hhmm
    from agent.delivery import load_targets

    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        root = None
    problems: list[str] = []

    def where(path: list[str | int]) -> str:
        line = _line_of(root, path)
        return f"{filename}:{line}" if line else filename

    quiet = config.alerts.quiet_hours
    if quiet is not None:
        for key in ("start", "end"):
            if parse_hhmm(getattr(quiet, key)) is None:
                problems.append(f"{where(['alerts', 'quiet_hours', key])}: alerts.quiet_hours.{key}: "
                                f"{getattr(quiet, key)!r} is not a time like 22:00")
    if config.alerts.daily_digest is not None and parse_hhmm(config.alerts.daily_digest) is None:
        problems.append(f"{where(['alerts', 'daily_digest'])}: alerts.daily_digest: "
                        f"{config.alerts.daily_digest!r} is not a time like 19:00")
    if config.alerts.realert_minutes < 0:
        problems.append(f"{where(['alerts', 'realert_minutes'])}: alerts.realert_minutes must be 0 "
                        "or more")
    if config.storage.retention_days < 1:
        problems.append(f"{where(['storage', 'retention_days'])}: storage.retention_days must be "
                        "1 or more")
    # As `jaga run` will read them: a relative apprise_config is relative to the working directory.
    for problem in load_targets(config).problems:
        m = re.match(r"notify\.urls\[(\d+)\]", problem)
        path: list[str | int] = ["notify", "urls", int(m.group(1))] if m else ["notify",
                                                                                "apprise_config"]
        problems.append(f"{where(path)}: {problem}")
    return problems


def run_check(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from agent.config import ConfigError, load_config

    path = Path(args.file)
    console = Console()
    try:
        config = load_config(path)
    except ConfigError as e:
        problems = e.problems
    else:
        problems = semantic_problems(config, path.read_text(encoding="utf-8"), str(path))
    if problems:
        for problem in problems:
            console.print(f"[red]problem:[/] {escape(problem)}")
        console.print(f"{len(problems)} problem(s) in {escape(str(path))}")
        return 2
    console.print(f"[green]OK[/]: {escape(str(path))}")
    return 0


def run_example(args: argparse.Namespace) -> int:
    try:
        sys.stdout.write(EXAMPLE.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"the example configuration is missing ({EXAMPLE}): {e.strerror}") from None
    return 0
