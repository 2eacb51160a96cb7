"""`jaga alerts`: list, show, acknowledge, purge and export the stored alerts.

Reads DATA_DIR/jaga.db (../../shared/spec/contracts.md). For people a rich table; `--json` (and
`export`) write one JSON object per alert for scripts. This is the parent's own box, so `show`
prints the whole stored text and its context, whatever the notification privacy level.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from agent.errors import UsageError

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "cyan"}
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def _common(p: argparse.ArgumentParser, nested: bool) -> None:
    # On the verbs the defaults are SUPPRESS, so `jaga alerts --json show 3` keeps --json.
    d: dict[str, Any] = {"default": argparse.SUPPRESS} if nested else {}
    p.add_argument("--data-dir", metavar="DIR", help="data directory holding jaga.db (default: the "
                   "configuration's storage.data_dir, else $JAGA_DATA_DIR, else ~/.local/share/jaga)",
                   **d)
    p.add_argument("--config", metavar="FILE", help="configuration file (default: $JAGA_CONFIG "
                   "or ~/.config/jaga/jaga.yaml, if present)", **d)
    p.add_argument("--json", action="store_true", help="one JSON object per line, for scripts",
                   **({"default": argparse.SUPPRESS} if nested else {"default": False}))


def _filters(p: argparse.ArgumentParser, nested: bool) -> None:
    d: dict[str, Any] = {"default": argparse.SUPPRESS} if nested else {}
    p.add_argument("--since", metavar="WHEN", help="only alerts since WHEN: 30m, 2h, 3d, 1w ago, "
                   "or an ISO date/time such as 2026-05-14 or 2026-05-14T10:00", **d)
    p.add_argument("--child", metavar="NAME", help="only this child's alerts", **d)
    p.add_argument("--severity", choices=("low", "medium", "high"),
                   help="only alerts of this severity or above", **d)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "alerts", help="list, show, acknowledge, purge or export stored alerts",
        description="The alerts jaga stored (DATA_DIR/jaga.db). Without a verb: list them, newest "
        "first. Verbs: show ID, ack ID..., purge, export.")
    _common(p, nested=False)
    _filters(p, nested=False)
    p.add_argument("--limit", type=int, default=None, metavar="N", help="at most N alerts")
    verbs = p.add_subparsers(dest="verb", metavar="VERB")
    show = verbs.add_parser("show", help="one alert with its evidence, context and deliveries",
                            description="Show one alert: the messages that raised it, the messages "
                            "before it, and where its notifications went.")
    show.add_argument("id", type=int, metavar="ID")
    ack = verbs.add_parser("ack", help="mark alerts as seen (acknowledged)",
                           description="Mark alerts acknowledged, so lists can tell new from seen.")
    ack.add_argument("ids", type=int, nargs="+", metavar="ID")
    purge = verbs.add_parser("purge", help="delete alerts older than a limit",
                             description="Delete alerts (and their notification records) older "
                             "than --older-than (default: storage.retention_days, 30 days). jaga "
                             "also does this by itself while it runs.")
    purge.add_argument("--older-than", metavar="AGE", help="e.g. 30d, 12h, 2w")
    export = verbs.add_parser("export", help="write alerts as JSON Lines",
                              description="Write alerts as JSON Lines (one alert per line, with "
                              "evidence and context), oldest first, to --output or standard output.")
    export.add_argument("--output", "-o", metavar="FILE", help="file to write (created owner-only)")
    for sub in (show, ack, purge, export):
        _common(sub, nested=True)
    _filters(export, nested=True)
    p.set_defaults(func=run, verb=None)


def parse_age(text: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text or "")
    if not m:
        raise UsageError(f"{text!r}: give an age like 30m, 2h, 3d or 1w")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def parse_since(text: str, now: datetime | None = None) -> datetime:
    now = now or datetime.now().astimezone()
    if re.fullmatch(r"\s*\d+\s*[mhdw]\s*", text):
        return now - parse_age(text)
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--since {text!r}: give 30m, 2h, 3d, 1w or an ISO date such as "
                         "2026-05-14 or 2026-05-14T10:00") from None
    return dt if dt.tzinfo else dt.astimezone()  # naive: the box's local time


def _open(args: argparse.Namespace, create: bool = False):
    from agent.config import load_config
    from agent.store import DB_NAME, Store

    config = load_config(getattr(args, "config", None))
    data_dir = Path(args.data_dir).expanduser() if getattr(args, "data_dir", None) else config.data_dir
    if not create and not (data_dir / DB_NAME).exists():
        return config, None, data_dir
    try:
        return config, Store.open(data_dir), data_dir
    except Exception as e:
        raise UsageError(f"cannot open the alert store in {data_dir}: {e}") from None


def run(args: argparse.Namespace) -> int:
    verb = args.verb or "list"
    return {"list": _list, "show": _show, "ack": _ack, "purge": _purge, "export": _export}[verb](args)


def _selected(args: argparse.Namespace, store) -> list:
    since = parse_since(args.since) if getattr(args, "since", None) else None
    return store.list_alerts(since=since, child=getattr(args, "child", None),
                             min_severity=getattr(args, "severity", None),
                             limit=getattr(args, "limit", None))


def _console():
    from rich.console import Console

    return Console()


def _list(args: argparse.Namespace) -> int:
    config, store, data_dir = _open(args)
    alerts = _selected(args, store) if store is not None else []
    if args.json:
        for a in alerts:
            sys.stdout.write(json.dumps(a.to_json(), ensure_ascii=False) + "\n")
        return 0
    console = _console()
    if store is None:
        console.print(f"No alerts yet (no store at {data_dir}/jaga.db).")
        return 0
    if not alerts:
        console.print("No alerts match." if any(getattr(args, k, None) for k in
                                                 ("since", "child", "severity")) else "No alerts.")
        return 0
    from rich.table import Table

    from agent.alert_text import local_time, title

    table = Table(title=f"jaga alerts ({len(alerts)})", show_lines=False)
    for col in ("ID", "When", "Child", "Severity", "What", "Where", "Seen"):
        table.add_column(col, overflow="fold")
    for a in alerts:
        what = title(a, config.alerts.language).split(": ", 1)[-1]
        table.add_row(str(a.id), local_time(a.ts), a.child or a.device or "-",
                      f"[{SEVERITY_STYLE.get(a.severity, '')}]{a.severity}[/]", what,
                      a.app or "-", "yes" if a.acknowledged else ("repeat" if a.suppressed else ""))
    console.print(table)
    return 0


def _show(args: argparse.Namespace) -> int:
    config, store, data_dir = _open(args)
    alert = store.get_alert(args.id) if store is not None else None
    if alert is None:
        raise UsageError(f"no alert {args.id} in {data_dir}/jaga.db")
    outbox = store.outbox_for(alert.id)
    if args.json:
        out = alert.to_json()
        out["deliveries"] = [{"target": r.target_label, "status": r.status, "attempts": r.attempts,
                              "last_error": r.last_error} for r in outbox]
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    from rich.markup import escape
    from rich.panel import Panel

    from agent.alert_text import local_time, title

    console = _console()
    lines = [f"[b]When[/b]: {local_time(alert.ts)}   [b]Severity[/b]: "
             f"[{SEVERITY_STYLE.get(alert.severity, '')}]{alert.severity}[/] ({alert.score:.2f})",
             f"[b]Child[/b]: {escape(alert.child or '-')}   [b]Device[/b]: {escape(alert.device or '-')}"
             f"   [b]App/host[/b]: {escape(alert.app or '-')}",
             f"[b]Conversation[/b]: {escape(alert.conversation)} (message {alert.message_index})",
             f"[b]Categories[/b]: {', '.join(alert.categories)}   [b]Stages[/b]: "
             f"{', '.join(alert.stages) or '-'}",
             f"[b]Summary[/b]: {escape(alert.summary)}", ""]
    evidence_idx = {m.get("index") for m in alert.evidence}
    messages = sorted({m.get("index"): m for m in (*alert.context, *alert.evidence)}.values(),
                      key=lambda m: m.get("index") or 0)
    lines.append("[b]Messages[/b] (evidence marked !):")
    for m in messages:
        who = "child" if m.get("direction") == "from_child" else "to child"
        mark = "[red]![/red]" if m.get("index") in evidence_idx else " "
        lines.append(f"{mark} #{m.get('index')} {who}: {_highlight(m)}")
    if outbox:
        lines += ["", "[b]Notifications[/b]:"]
        for r in outbox:
            state = "[green]sent[/]" if r.status == "sent" else f"[yellow]{r.status}[/]"
            err = f" - {escape(r.last_error)}" if r.last_error and r.status != "sent" else ""
            lines.append(f"  {escape(r.target_label)}: {state} ({r.attempts} attempt(s)){err}")
    if alert.acknowledged:
        lines.append(f"\nAcknowledged {local_time(alert.acknowledged)}")
    console.print(Panel("\n".join(lines),
                        title=f"#{alert.id} {escape(title(alert, config.alerts.language))}",
                        title_align="left"))
    return 0


def _highlight(message: dict) -> str:
    from rich.markup import escape

    text = str(message.get("text") or "")
    out, pos = [], 0
    for start, end in sorted((int(s), int(e)) for s, e in (message.get("highlights") or [])):
        if start < pos:
            continue
        out += [escape(text[pos:start]), f"[bold red]{escape(text[start:end])}[/]"]
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _ack(args: argparse.Namespace) -> int:
    _config, store, data_dir = _open(args)
    found = store.acknowledge(args.ids) if store is not None else []
    missing = [i for i in args.ids if i not in found]
    if args.json:
        sys.stdout.write(json.dumps({"acknowledged": found, "missing": missing}) + "\n")
    else:
        console = _console()
        if found:
            console.print(f"Acknowledged {', '.join(map(str, found))}.")
        for i in missing:
            console.print(f"[red]No alert {i} in {data_dir}/jaga.db.[/]")
    return 1 if missing else 0


def _purge(args: argparse.Namespace) -> int:
    config, store, _data_dir = _open(args)
    age = parse_age(args.older_than) if args.older_than else timedelta(
        days=config.storage.retention_days)
    n = store.purge(age) if store is not None else 0
    if args.json:
        sys.stdout.write(json.dumps({"purged": n}) + "\n")
    else:
        _console().print(f"Purged {n} alert(s) older than "
                         f"{args.older_than or f'{config.storage.retention_days}d'}.")
    return 0


def _export(args: argparse.Namespace) -> int:
    _config, store, _data_dir = _open(args)
    alerts = list(reversed(_selected(args, store))) if store is not None else []
    lines = "".join(json.dumps(a.to_json(), ensure_ascii=False) + "\n" for a in alerts)
    if args.output:
        path = Path(args.output)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(lines)
        except OSError as e:
            raise UsageError(f"--output {path}: {e.strerror or e}") from None
        print(f"Wrote {len(alerts)} alert(s) to {path}", file=sys.stderr)
    else:
        sys.stdout.write(lines)
    return 0
