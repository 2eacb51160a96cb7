"""`jaga scan FILE`: score whole exported conversations and report the alerts jaga would raise.

The same tracker as the proxy agent (agent/conversation.py) reads the messages of a JSONL file, a
WhatsApp "Export chat" text file or a Telegram Desktop `result.json` in order
(../shared/spec/contracts.md). Alerts go to standard output (a table, or one JSON object per line
with `--json`); problems in the file go to standard error with their line numbers, the rest is
still scanned, and the exit status is then 1. `--notify URL` also hands each alert to the alert
service, as the agent would.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

# Messages scored together: large enough to amortise per-call costs, small enough that alerts
# appear promptly and memory stays flat.
BATCH = 256
# Files larger than this get a progress bar (when standard error is a terminal).
PROGRESS_MIN_BYTES = 2_000_000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="scan an exported chat (JSONL, WhatsApp, Telegram) for grooming",
        description="Scan whole conversations message by message, with the same conversation-level "
        "risk logic as the proxy agent, and list the alerts it would have raised. Problems in the "
        "file are reported with line numbers on standard error; everything else is still scanned "
        "(exit status 1 if there were any).",
        epilog="Formats: jsonl (one message per line: conversation, sender child|other|NAME, text, "
        "ts), whatsapp (the .txt of WhatsApp's 'Export chat'), telegram (Telegram Desktop's "
        "result.json). Example: jaga scan chat.txt --child Rina --json",
    )
    parser.add_argument("file", metavar="FILE", help="the exported chat")
    parser.add_argument(
        "--format", choices=("auto", "jsonl", "whatsapp", "telegram"), default="auto",
        help="the file's format (default: auto, from its name and first lines)",
    )
    parser.add_argument(
        "--child", metavar="NAME",
        help="the sender name of the child (their messages count as sent by the child; their "
        "settings in the configuration apply)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per alert, for scripts")
    parser.add_argument("--config", metavar="FILE", help="configuration file (default: the usual place)")
    parser.add_argument(
        "--notify", metavar="URL", action="append", default=[],
        help="also send each alert to this Apprise URL (repeatable); alerts are stored in the "
        "data directory as the agent stores them",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="data directory for --notify (alert store)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.config import load_config
    from agent.conversation import ConversationTracker, TrackerSettings
    from agent.importers import ImportProblem, read_messages

    config = load_config(args.config)
    messages = read_messages(args.file, args.format, args.child)  # UsageError before any work
    scorer = _load_scorer(config)
    tracker = ConversationTracker(scorer, TrackerSettings.from_config(config))
    service = _alert_service(args, config) if args.notify else None

    out = _Output(args.json)
    problems = 0
    counted = 0
    conversations: set[str] = set()
    batch: list[Any] = []
    progress = _progress(Path(args.file))

    def flush() -> None:
        for alert in tracker.feed_many(batch):
            out.alert(alert)
            if service is not None:
                service.record(alert)
        if progress is not None:
            progress.advance(len(batch))
        batch.clear()

    try:
        for item in messages:
            if isinstance(item, ImportProblem):
                problems += 1
                flush()  # keep alerts and problems in file order
                where = f"{args.file}:{item.line}" if item.line else str(args.file)
                print(f"{where}: {item.message}", file=sys.stderr)
                continue
            counted += 1
            if len(conversations) < 1_000_000:  # only for the closing count; bounded
                conversations.add(item.conversation)
            batch.append(item)
            if len(batch) >= BATCH:
                flush()
        flush()
    finally:
        if progress is not None:
            progress.stop()

    delivered = True
    if service is not None:
        delivered = service.flush(timeout=60.0)
        if not delivered:
            print("jaga scan: some notifications could not be delivered yet; they stay in the "
                  "outbox for the agent to retry", file=sys.stderr)
    out.finish(counted, len(conversations), problems)
    return 1 if problems or not delivered else 0


def _load_scorer(config: Any) -> Any:
    from agent.errors import UsageError

    try:
        from classifiers.scorer import load_scorer
    except ImportError as e:  # pragma: no cover - only while the scorer is being built
        raise UsageError(f"the scorer is not available: {e}") from None
    return load_scorer(config.detection)


def _alert_service(args: argparse.Namespace, config: Any) -> Any:
    from agent.errors import UsageError

    try:
        from agent.alerting import AlertService
    except ImportError:
        raise UsageError("--notify needs the alert service, which this jaga does not have yet") from None
    _check_urls(args.notify)
    data_dir = Path(args.data_dir).expanduser() if args.data_dir else config.data_dir
    return AlertService(config, data_dir, notify_urls=args.notify)


def _check_urls(urls: list[str]) -> None:
    """A usage error for a --notify URL that Apprise cannot use, before any work is done."""
    import logging

    import apprise

    from agent.delivery import mask_unparsed
    from agent.errors import UsageError

    apprise_log = logging.getLogger("apprise")
    was_disabled, apprise_log.disabled = apprise_log.disabled, True  # we say it in one line
    try:
        for url in urls:
            if apprise.Apprise.instantiate(url) is None:
                raise UsageError(f"--notify {mask_unparsed(url)}: not an Apprise URL that this Apprise "
                                 "can use (unknown scheme or bad form)")
    finally:
        apprise_log.disabled = was_disabled


class _Progress:
    def __init__(self, total: int | None):
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._progress = Progress(
            TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=Console(stderr=True), transient=True,
        )
        self._task = self._progress.add_task("scan", total=total)
        self._progress.start()

    def advance(self, n: int) -> None:
        self._progress.advance(self._task, n)

    def stop(self) -> None:
        self._progress.stop()


def _progress(path: Path) -> _Progress | None:
    """A progress bar on standard error for a large file, when someone is watching it."""
    try:
        if not sys.stderr.isatty() or path.stat().st_size < PROGRESS_MIN_BYTES:
            return None
    except OSError:
        return None
    total = None
    if path.suffix.lower() != ".json":
        # Lines are an upper bound on messages (multi-line WhatsApp messages make it high).
        with path.open("rb") as f:
            total = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    return _Progress(total)


class _Output:
    """Alerts as JSON lines (printed at once) or a rich table (printed at the end)."""

    def __init__(self, as_json: bool):
        self.as_json = as_json
        self.rows: list[Any] = []

    def alert(self, alert: Any) -> None:
        if self.as_json:
            sys.stdout.write(json.dumps(alert.to_contract_json(), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            self.rows.append(alert)

    def finish(self, messages: int, conversations: int, problems: int) -> None:
        if self.as_json:
            return
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        console = Console()
        if self.rows:
            table = Table(title="Alerts", show_lines=False)
            table.add_column("conversation", overflow="fold")
            table.add_column("#", justify="right")  # index of the message within its conversation
            table.add_column("severity")
            table.add_column("risk", justify="right")
            table.add_column("the message", overflow="fold", ratio=2)
            table.add_column("why", overflow="fold", ratio=3)
            colours = {"high": "bold red", "medium": "yellow", "low": "cyan"}
            for a in self.rows:
                table.add_row(
                    a.conversation, str(a.message_index),
                    Text(a.severity, style=colours.get(a.severity, "")), f"{a.score:.2f}",
                    _alerting_text(a), a.summary,
                )
            console.print(table)
        flagged = len({a.conversation for a in self.rows})
        trouble = f"; {problems} problem{'s' if problems != 1 else ''} in the file (see above)"
        console.print(
            f"Scanned {messages} message{'s' if messages != 1 else ''} in {conversations} "
            f"conversation{'s' if conversations != 1 else ''}: {len(self.rows)} alert"
            f"{'s' if len(self.rows) != 1 else ''} in {flagged} conversation"
            f"{'s' if flagged != 1 else ''}"
            + (trouble if problems else "")
            + "."
        )


def _alerting_text(alert: Any, limit: int = 80) -> str:
    """The words of the message that raised the alert, shortened for a table cell."""
    text = next((m.text for m in reversed(alert.evidence) if m.index == alert.message_index), "")
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
