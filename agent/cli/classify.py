"""`jaga classify`: the verdict on one message (a rich panel), or on JSON Lines (contracts.md)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import stat
import sys
from typing import IO, Any

from agent.errors import UsageError

EPILOG = """\
Batch mode (--jsonl): each input line is a JSON object with "text" (required) and optionally "id",
"direction" ("to_child", the default, or "from_child") and "lang". Each output line is
  {"id": ..., "flagged": true, "score": 0.97, "severity": "high", "categories": [...],
   "evidence": [{"source": "rule", "rule": "...", "text": "..."}, ...]}
in the same order; "id" is copied from the input or is the 1-based line number. A line that is not
a JSON object with a string "text" (or is not valid UTF-8) gives {"id": ..., "error": "..."}, the
rest is still processed, and the exit status is 1.

Exit status: 0 ok, 1 some input line was bad, 2 usage or configuration error (a bad rule pack
names its file, line and rule).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "classify",
        help="score a message, or JSON Lines of messages, for grooming risk",
        description="Score one message (TEXT) and show the verdict: flagged or not, score, "
        "severity, categories, and the evidence with the matched words highlighted. Or score "
        "JSON Lines in batch with --jsonl.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("text", nargs="?", metavar="TEXT", help="the message to score")
    parser.add_argument("--jsonl", nargs="?", const="-", metavar="FILE",
                        help="read JSON Lines from FILE ('-' or nothing: standard input)")
    parser.add_argument("--json", action="store_true",
                        help="with TEXT: print the verdict as one JSON line")
    parser.add_argument("--direction", choices=("to_child", "from_child"), default="to_child",
                        help="direction of TEXT, and the default for --jsonl lines (default: to_child)")
    parser.add_argument("--rules", action="append", default=[], metavar="PATH",
                        help="an extra rule pack file or folder (may repeat)")
    parser.add_argument("--no-builtin-rules", action="store_true",
                        help="do not load the built-in rule packs")
    parser.add_argument("--threshold", type=float, metavar="X",
                        help="flag at score >= X, between 0 and 1 (default: the configuration's, 0.5)")
    parser.add_argument("--config", metavar="FILE",
                        help="configuration file (default: $JAGA_CONFIG or ~/.config/jaga/jaga.yaml)")
    parser.set_defaults(func=run)


def load(args: argparse.Namespace) -> Any:
    """The scorer for these options; a bad pack or configuration is a UsageError (exit 2)."""
    from agent.config import load_config
    from classifiers.rulepack import PackError
    from classifiers.scorer import load_scorer

    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise UsageError(f"--threshold {args.threshold}: must be between 0 and 1")
    detection = load_config(args.config).detection
    if args.no_builtin_rules:
        detection = dataclasses.replace(detection, builtin_rules=False)
    try:
        return load_scorer(detection, extra_packs=args.rules, strict=True, threshold=args.threshold)
    except PackError as e:
        raise UsageError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    if args.jsonl is not None and args.text is not None:
        raise UsageError("give either TEXT or --jsonl, not both")
    if args.jsonl is None and args.text is None:
        raise UsageError('nothing to classify: give TEXT (jaga classify "...") or --jsonl FILE')
    if args.jsonl is not None:
        if args.jsonl == "-":
            return classify_jsonl(load(args), sys.stdin.buffer, sys.stdout.buffer, args.direction)
        try:
            stream = open(args.jsonl, "rb")  # noqa: SIM115 (closed below)
        except OSError as e:
            raise UsageError(f"{args.jsonl}: cannot read: {e.strerror or e}") from None
        with stream:
            scorer = load(args)
            return classify_jsonl(scorer, stream, sys.stdout.buffer, args.direction)
    scorer = load(args)
    verdict = scorer.score(args.text, args.direction)
    if args.json:
        _write(sys.stdout.buffer, verdict.to_json(1))
    else:
        show_verdict(args.text, verdict, scorer)
    return 0


def _encode(obj: dict[str, Any]) -> bytes:
    try:
        return json.dumps(obj, ensure_ascii=False).encode("utf-8") + b"\n"
    except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape: keep it escaped
        return json.dumps(obj, ensure_ascii=True).encode("ascii") + b"\n"


def _write(out: IO[bytes], obj: dict[str, Any]) -> None:
    out.write(_encode(obj))
    out.flush()


def _parse_line(raw: bytes, number: int, default_direction: str) -> tuple[Any, str, str]:
    """(id, text, direction) of one input line; ValueError(message) with the id in args[1]."""
    record_id: Any = number
    try:
        line = raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as e:
        where = f"byte {raw[e.start]:#04x} at position {e.start}"
        raise ValueError(f"not valid UTF-8 ({where})", number) from None
    if not line.strip():
        raise ValueError('empty line (expected a JSON object with "text")', number)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise ValueError(f"not valid JSON: {e.msg} at column {e.colno}", number) from None
    except RecursionError:
        raise ValueError("not valid JSON here: nested too deeply", number) from None
    if not isinstance(obj, dict):
        raise ValueError('expected a JSON object with "text"', number)
    record_id = obj.get("id", number)
    text = obj.get("text")
    if not isinstance(text, str):
        raise ValueError('"text" is missing or is not a string', record_id)
    direction = obj.get("direction", default_direction)
    if direction not in ("to_child", "from_child"):
        raise ValueError(f'"direction" must be "to_child" or "from_child", not {direction!r}', record_id)
    return record_id, text, direction


def classify_jsonl(scorer: Any, lines: IO[bytes], out: IO[bytes], default_direction: str) -> int:
    """One output line per input line, in order; returns 1 if any line was bad.

    From a regular file, lines are scored in batches (`Scorer.score_many`: the model scores a
    batch far faster than message by message); from a pipe or a terminal, each line is answered
    as soon as it is read."""
    try:
        batch_size = BATCH_LINES if stat.S_ISREG(os.fstat(lines.fileno()).st_mode) else 1
    except (OSError, ValueError, AttributeError):
        batch_size = 1
    status = 0
    pending: list[tuple[Any, str | None, str]] = []  # (id, text, direction) or (id, None, error)

    def flush() -> None:
        todo = [(text, direction) for _, text, direction in pending if text is not None]
        verdicts = iter(scorer.score_many(todo) if len(todo) > 1 else
                        [scorer.score(*todo[0])] if todo else [])
        data = b"".join(_encode({"id": rid, "error": info}) if text is None else
                        _encode(next(verdicts).to_json(rid)) for rid, text, info in pending)
        out.write(data)
        out.flush()
        pending.clear()

    for number, raw in enumerate(lines, 1):
        try:
            pending.append(_parse_line(raw, number, default_direction))
        except ValueError as e:
            status = 1
            pending.append((e.args[1], None, f"line {number}: {e.args[0]}"))
        if len(pending) >= batch_size:
            flush()
    flush()
    return status


BATCH_LINES = 256


_SEVERITY_STYLE = {"high": "bold white on red", "medium": "bold black on dark_orange",
                   "low": "bold black on yellow", "none": "bold white on green"}


def show_verdict(text: str, verdict: Any, scorer: Any) -> None:
    """The human view: a panel with the verdict and the message with its evidence highlighted."""
    from rich.console import Console, Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    console = Console(highlight=False)
    head = Text()
    label = " FLAGGED " if verdict.flagged else " not flagged "
    head.append(label, style=_SEVERITY_STYLE[verdict.severity])
    head.append(f"  score {verdict.score:.2f}  severity {verdict.severity}  (threshold {scorer.threshold:g})")
    cats = Text("categories: ", style="bold")
    scores = verdict.category_scores
    cats.append(", ".join(f"{c} {scores.get(c, 0):.2f}" for c in verdict.categories) or "none")
    message = Text(text)
    for ev in verdict.evidence:
        if ev.start is not None and ev.end is not None:
            message.stylize("bold black on yellow" if (ev.weight or 0) >= 0 else "bold black on cyan",
                            ev.start, ev.end)
    parts: list[Any] = [head, cats, Text(""), message]
    if verdict.evidence:
        table = Table(box=None, padding=(0, 1), show_header=True, header_style="bold")
        for col in ("evidence", "words", "weight"):
            table.add_column(col, overflow="fold")
        for ev in verdict.evidence:
            if ev.source == "model":
                table.add_row("model", "", f"p={ev.score:.2f}")
            else:
                weight = f"{ev.weight:+.2f}" if ev.weight is not None else ""
                table.add_row(ev.rule or "", ev.text or "", weight)
        parts += [Text(""), table]
    info = scorer.describe()
    model = info["model"]
    packs = len(info["packs"])
    subtitle = (f"{info['rules']} rules, {packs} pack{'s' if packs != 1 else ''}, "
                + (f"model {model['name']}" if model.get("loaded") else "rules only"))
    console.print(Panel(Group(*parts), title="jaga classify", subtitle=subtitle, expand=False))

