"""`jaga notify test`: send a test notification to every configured target, and say which work.

Targets are those `jaga run` would use: the configuration's `notify.urls`, its Apprise config
file, and `--notify` URLs. Each target is shown only with its secrets masked, with its routing
and its result; a failure says why (Apprise's own reason). Exit 0 when every target received
the test, 1 when one failed or could not be used, 2 when there is no target at all.
"""

from __future__ import annotations

import argparse
import json
import sys

from agent.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("notify", help="test the parents' notification targets",
                              description="Work with the notification targets (Apprise URLs).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    test = verbs.add_parser(
        "test", help="send a test notification to every configured target",
        description="Send a test notification to every target of the configuration and of "
        "--notify, and print each target (secrets masked), its routing and its result.")
    test.add_argument("--config", metavar="FILE", help="configuration file (default: $JAGA_CONFIG "
                      "or ~/.config/jaga/jaga.yaml, if present)")
    test.add_argument("--notify", metavar="APPRISE_URL", action="append", default=[],
                      help="an extra target, any Apprise URL; may repeat")
    test.add_argument("--apprise-config", metavar="FILE",
                      help="an Apprise YAML/TEXT config file (instead of notify.apprise_config)")
    test.add_argument("--language", choices=("id", "en"), help="language of the test message "
                      "(default: alerts.language)")
    test.add_argument("--json", action="store_true", help="one JSON object per target")
    test.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                      help="how long to wait for each target (default 30)")
    test.set_defaults(func=run_test)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def run_test(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from agent.alert_text import render_test
    from agent.config import load_config
    from agent.delivery import load_targets, send

    config = load_config(args.config)
    targets = load_targets(config, args.notify, args.apprise_config)
    language = args.language or config.alerts.language
    console = Console(stderr=args.json)
    for problem in targets.problems:
        if args.json:
            sys.stdout.write(json.dumps({"problem": problem}) + "\n")
        else:
            console.print(f"[red]problem:[/] {escape(problem)}")
    if not targets:
        raise UsageError("no usable notification target: give --notify APPRISE_URL, or notify.urls "
                         "or notify.apprise_config in the configuration")
    message = render_test(language)
    failed = 0
    table = Table(title=f"jaga notify test ({len(targets)} target(s))")
    for col in ("Target", "From", "Routing", "Result"):
        table.add_column(col, overflow="fold")
    for target in targets:
        with console.status(f"sending to {escape(target.label)}", spinner="dots"):
            result = send(target, message, args.timeout)
        failed += not result.ok
        routing = [f"severity >= {target.min_severity}"]
        if target.children:
            routing.append("children: " + ", ".join(sorted(target.children)))
        if args.json:
            sys.stdout.write(json.dumps({"target": target.label, "source": target.source,
                                         "ok": result.ok, "error": result.error,
                                         "min_severity": target.min_severity,
                                         "children": sorted(target.children)}) + "\n")
        table.add_row(escape(target.label), escape(target.source), "; ".join(routing),
                      "[green]OK[/]" if result.ok else f"[red]FAILED[/]: {escape(result.error or '')}")
    if not args.json:
        console.print(table)
        if failed:
            console.print(f"[red]{failed} of {len(targets)} target(s) failed.[/] Alerts for them "
                          "stay in the outbox and are retried while jaga runs.")
        else:
            console.print(f"[green]All {len(targets)} target(s) received the test.[/]")
    return 1 if failed or targets.problems else 0
