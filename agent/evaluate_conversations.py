"""Conversation-level evaluation: how many grooming chats are caught, how early, at what cost.

`jaga eval` calls `evaluate(records, scorer, settings)` on conversation data (one conversation per
line: `messages` [{"sender", "text"}], `label` 0/1, `first_signal` = 0-based index of the first
grooming message). Each conversation is fed, message by message, through the same
`ConversationTracker` that `jaga scan` and the proxy use; its first alert is its decision.

Figures: detection rate (recall) and false alarms on benign conversations, with Wilson 95%
intervals; precision, F1 and F0.5 (precision weighted: a parent who gets false alarms stops
reading them); the delay, in messages, from the first grooming message to the alert (median and
distribution); and the latency-weighted F1 of early sexual-predator detection (Vogt, Leser and
Akbik 2021, "Early Detection of Sexual Predators in Chats", ACL), taken from early-risk detection
(Sadeque et al. 2018):

    penalty(k) = -1 + 2 / (1 + exp(-p * (k - 1)))      k = messages read when the alert came
    speed      = 1 - median(penalty(k) over true positives)
    latency-weighted F1 = F1 * speed

`p` sets how fast the penalty grows: the eSPD code fixes it so that penalty(k) = 0.5 at the median
length of the PANC grooming chats, p = 0.0017419 (penalty 0.5 after about 632 messages). We report
that (`latency_f1`, comparable with the paper), and also the same formula with p fitted to the
evaluated data the same way (penalty 0.5 at the median conversation length, `latency_f1_local`),
because our conversations are tens of messages long, not hundreds, and the paper's p would hardly
penalise any delay in them.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.conversation import ConversationTracker, Scorer, TrackerSettings, describe_settings
from agent.messages import ChatMessage

# Vogt et al. 2021's value (eSPD code: "make penalty(median(post_len)) = 0.5" on PANC).
PAPER_P = 0.0017419306441650182


@dataclass(frozen=True, slots=True)
class RecordProblem:
    line: int
    message: str


def is_conversation_record(obj: Any) -> bool:
    """Whether a JSON object has the shape of conversation data (as opposed to message data)."""
    return isinstance(obj, dict) and isinstance(obj.get("messages"), list)


def load_records(path: str | Path) -> tuple[list[dict[str, Any]], list[RecordProblem]]:
    """Conversation records of a JSONL file, and the lines that are not valid records."""
    records: list[dict[str, Any]] = []
    problems: list[RecordProblem] = []
    with Path(path).open(encoding="utf-8-sig") as f:
        for line_no, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                problems.append(RecordProblem(line_no, f"not valid JSON: {e.msg}"))
                continue
            problem = record_problem(obj)
            if problem:
                problems.append(RecordProblem(line_no, problem))
            else:
                obj.setdefault("id", f"line{line_no}")
                records.append(obj)
    return records, problems


def record_problem(obj: Any) -> str | None:
    """What makes `obj` not a conversation record, or None."""
    if not is_conversation_record(obj):
        return "expected an object with 'messages' (a list)"
    if obj.get("label") not in (0, 1) or isinstance(obj.get("label"), bool):
        return "'label' must be 0 or 1"
    for i, m in enumerate(obj["messages"]):
        if not isinstance(m, dict) or not isinstance(m.get("text"), str):
            return f"messages[{i}] needs a string 'text'"
    first = obj.get("first_signal")
    if obj["label"] == 1 and not (isinstance(first, int) and 0 <= first < len(obj["messages"])):
        return "a grooming conversation (label 1) needs 'first_signal', an index into 'messages'"
    return None


def penalty(k: int, p: float) -> float:
    """Vogt et al.'s latency penalty after k messages: 0 at k=1, rising to 1."""
    return -1.0 + 2.0 / (1.0 + math.exp(-p * (k - 1)))


def fitted_p(median_length: float) -> float:
    """p such that penalty(median_length) = 0.5, as the eSPD code fits it."""
    return math.log(3.0) / max(median_length - 1.0, 1.0)


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score 95% interval of a proportion (good for small n and 0 or n successes)."""
    if n == 0:
        return (0.0, 0.0)
    phat = successes / n
    denom = 1 + z * z / n
    centre = (phat + z * z / (2 * n)) / denom
    half = z * math.sqrt(phat * (1 - phat) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def _ratio(a: float, b: float) -> float:
    return a / b if b else 0.0


def _f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return _ratio((1 + b2) * precision * recall, b2 * precision + recall)


def first_alerts(
    records: Iterable[dict[str, Any]], scorer: Scorer, settings: TrackerSettings | None = None
) -> list[dict[str, Any]]:
    """Each conversation's outcome: its first alert's message index and severity, or None."""
    settings = settings or TrackerSettings()
    outcomes = []
    for n, record in enumerate(records):
        tracker = ConversationTracker(scorer, settings)
        key = str(record.get("id", n))
        alert_index = severity = None
        for message in record["messages"]:
            msg = ChatMessage(
                conversation=key,
                text=message["text"],
                direction="from_child" if message.get("sender") == "child" else "to_child",
                sender=message.get("sender"),
            )
            alert = tracker.feed(msg)
            if alert is not None:
                alert_index, severity = alert.message_index, alert.severity
                break
        outcomes.append({
            "id": key,
            "label": int(record["label"]),
            "lang": record.get("lang"),
            "length": len(record["messages"]),
            "first_signal": record.get("first_signal"),
            "alert_index": alert_index,
            "severity": severity,
        })
    return outcomes


def evaluate(
    records: Iterable[dict[str, Any]], scorer: Scorer, settings: TrackerSettings | None = None
) -> dict[str, Any]:
    """The conversation figures of the module docstring, as a JSON-ready dict."""
    settings = settings or TrackerSettings()
    outcomes = first_alerts(records, scorer, settings)
    report = summarize_outcomes(outcomes)
    report["settings"] = describe_settings(settings)
    return report


def summarize_outcomes(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    report = _figures(outcomes)
    by_lang: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in outcomes:
        by_lang[o["lang"] or "unknown"].append(o)
    if len(by_lang) > 1:
        report["per_language"] = {
            lang: {k: v for k, v in _figures(items).items() if k in _PER_GROUP_KEYS}
            for lang, items in sorted(by_lang.items())
        }
    report["conversations"] = outcomes
    return report


_PER_GROUP_KEYS = ("grooming", "benign", "detection_rate", "false_alarm_rate", "median_delay")


def _figures(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    grooming = [o for o in outcomes if o["label"] == 1]
    benign = [o for o in outcomes if o["label"] == 0]
    tp_items = [o for o in grooming if o["alert_index"] is not None]
    tp, fn = len(tp_items), len(grooming) - len(tp_items)
    fp = sum(1 for o in benign if o["alert_index"] is not None)
    tn = len(benign) - fp
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    f1 = _f_beta(precision, recall, 1.0)
    delays = [o["alert_index"] - o["first_signal"] for o in tp_items]
    read = [o["alert_index"] + 1 for o in tp_items]  # k: messages read when the alert came
    lengths = [o["length"] for o in outcomes] or [1]
    local_p = fitted_p(statistics.median(lengths))
    speed_paper = 1 - statistics.median(penalty(k, PAPER_P) for k in read) if read else 0.0
    speed_local = 1 - statistics.median(penalty(k, local_p) for k in read) if read else 0.0
    distribution = Counter(_delay_bucket(d) for d in delays)
    return {
        "conversations": len(outcomes),
        "grooming": len(grooming),
        "benign": len(benign),
        "true_positives": tp,
        "false_negatives": fn,
        "false_positives": fp,
        "true_negatives": tn,
        "detection_rate": recall,
        "detection_rate_ci95": wilson(tp, len(grooming)),
        "false_alarm_rate": _ratio(fp, len(benign)),
        "false_alarm_rate_ci95": wilson(fp, len(benign)),
        "precision": precision,
        "f1": f1,
        "f0_5": _f_beta(precision, recall, 0.5),
        "median_delay": statistics.median(delays) if delays else None,
        "mean_delay": statistics.fmean(delays) if delays else None,
        "delay_distribution": {b: distribution[b] for b in _DELAY_BUCKETS if distribution[b]},
        "alerts_before_first_signal": sum(1 for d in delays if d < 0),
        "latency": {
            "p_paper": PAPER_P,
            "speed_paper": speed_paper,
            "latency_f1": f1 * speed_paper,
            "p_local": local_p,
            "median_length": statistics.median(lengths),
            "speed_local": speed_local,
            "latency_f1_local": f1 * speed_local,
        },
    }


_DELAY_BUCKETS = ("<0", "0", "1", "2", "3", "4", "5-9", ">=10")


def _delay_bucket(delay: int) -> str:
    if delay < 0:
        return "<0"
    if delay <= 4:
        return str(delay)
    return "5-9" if delay < 10 else ">=10"


def render_report(report: dict[str, Any], console: Any = None) -> None:
    """Print the conversation figures as rich tables (for `jaga eval` on conversation data)."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()

    def pct(x: float) -> str:
        return f"{100 * x:.1f}%"

    def ci(pair: Any) -> str:
        return f"[{pct(pair[0])}, {pct(pair[1])}]"

    table = Table(title="Conversations", show_header=True)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("95% interval / detail")
    r = report
    table.add_row("grooming conversations", str(r["grooming"]), "")
    table.add_row("benign conversations", str(r["benign"]), "")
    table.add_row("detection rate", pct(r["detection_rate"]), ci(r["detection_rate_ci95"]))
    table.add_row("false alarms on benign", pct(r["false_alarm_rate"]), ci(r["false_alarm_rate_ci95"]))
    table.add_row("precision", f"{r['precision']:.3f}", "")
    table.add_row("F1", f"{r['f1']:.3f}", "")
    table.add_row("F0.5", f"{r['f0_5']:.3f}", "")
    median = r["median_delay"]
    table.add_row(
        "median delay (messages after first signal)",
        "-" if median is None else f"{median:g}",
        f"{r['alerts_before_first_signal']} alerted before it",
    )
    lat = r["latency"]
    table.add_row("latency-weighted F1 (Vogt et al. 2021 p)", f"{lat['latency_f1']:.3f}",
                  f"speed {lat['speed_paper']:.3f}, p={lat['p_paper']:.5f}")
    table.add_row("latency-weighted F1 (p fitted to this data)", f"{lat['latency_f1_local']:.3f}",
                  f"speed {lat['speed_local']:.3f}, p={lat['p_local']:.4f}")
    console.print(table)

    if r["delay_distribution"]:
        dist = Table(title="Delay after the first signal (messages)")
        for bucket in r["delay_distribution"]:
            dist.add_column(bucket, justify="right")
        dist.add_row(*(str(v) for v in r["delay_distribution"].values()))
        console.print(dist)

    if r.get("per_language"):
        langs = Table(title="Per language")
        for col in ("language", "grooming", "benign", "detection", "false alarms", "median delay"):
            langs.add_column(col, justify="right" if col != "language" else "left")
        for lang, f in r["per_language"].items():
            langs.add_row(lang, str(f["grooming"]), str(f["benign"]), pct(f["detection_rate"]),
                          pct(f["false_alarm_rate"]),
                          "-" if f["median_delay"] is None else f"{f['median_delay']:g}")
        console.print(langs)
