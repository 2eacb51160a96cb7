"""`jaga eval DATA.jsonl`: how well jaga detects risk on labelled data (contracts.md).

Message data (one labelled message per line) is scored by the combined scorer, the rules alone
(`--rules-only`) or the model alone (`--model-only`), and measured with classifiers/metrics.py:
precision, recall, F1, F0.5, F3, PR-AUC, false-positive rate overall and on hard negatives, per
language and per category, with bootstrap intervals. Conversation data (one conversation per line,
with `messages`) is recognised by its shape and handed to agent/evaluate_conversations.py. A bad
line is reported with its line number on standard error, the rest is still evaluated, and the
exit status is then 1. `--report DIR` also writes the figures as JSON and, for message data, the
precision-recall curve as a PNG (matplotlib, the `eval` extra).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from agent.errors import UsageError

BATCH = 512
PROGRESS_MIN = 2000  # messages; fewer are scored without a progress bar

EPILOG = """\
Message data: {"text": "...", "label": 0|1, "categories": [...], "lang": "id",
"direction": "to_child"|"from_child", "hard_negative": true|false} per line (only text and label
are required). Conversation data: {"messages": [{"sender": "...", "text": "..."}, ...],
"label": 0|1, "first_signal": INDEX} per line.

Exit status: 0 ok, 1 some line was bad (reported with its number; the rest was evaluated),
2 usage or configuration error.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        help="measure detection on labelled messages or conversations",
        description="Evaluate jaga on labelled JSONL data: precision, recall, F1, F0.5, F3, "
        "PR-AUC and false-positive rates (overall, on hard negatives, per language, per "
        "category) with bootstrap 95% intervals; for conversations, detection rate and how "
        "many messages after the first signal the alert came.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("data", metavar="DATA.jsonl", help="labelled messages or conversations")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--rules-only", action="store_true", help="score with the rules alone")
    which.add_argument("--model-only", action="store_true",
                       help="score with the model alone (message data)")
    parser.add_argument("--report", metavar="DIR",
                        help="also write metrics.json and the precision-recall curve "
                        "pr_curve.png to DIR")
    parser.add_argument("--threshold", type=float, metavar="X",
                        help="flag at score >= X (default: the configuration's for the combined "
                        "and rules scorers, the model's own tuned one with --model-only)")
    parser.add_argument("--config", metavar="FILE", help="configuration file")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap resamples for the intervals (default 1000; 0: none)")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from agent.config import load_config

    path = Path(args.data)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if args.threshold is not None and not 0.0 <= args.threshold <= 1.0:
        raise UsageError(f"--threshold {args.threshold}: must be between 0 and 1")
    if args.report:
        _require_matplotlib()
    config = load_config(args.config)
    if _is_conversation_data(path):
        return _run_conversations(args, path, config)
    return _run_messages(args, path, config)


def _require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UsageError("--report draws its curve with matplotlib, which is not installed: "
                         "pip install 'jaga[eval]'") from None


def _is_conversation_data(path: Path) -> bool:
    """The shape of the first line that is a JSON object decides."""
    from classifiers.train import read_jsonl

    for _, obj, _ in read_jsonl(path):
        if isinstance(obj, dict):
            return isinstance(obj.get("messages"), list)
    return False


# --- conversations ------------------------------------------------------------------------


def _run_conversations(args: argparse.Namespace, path: Path, config: Any) -> int:
    if args.model_only:
        raise UsageError("--model-only applies to message data; conversations are scored by "
                         "the tracker with the combined or the rules-only scorer")
    try:
        from agent.evaluate_conversations import evaluate, load_records, render_report
    except ImportError as e:
        raise UsageError(f"{path} holds conversations, but conversation evaluation is not "
                         f"available in this jaga ({e})") from None
    from agent.conversation import TrackerSettings

    records, problems = load_records(path)
    for p in problems:
        print(f"{path}:{p.line}: {p.message}", file=sys.stderr)
    if not records:
        raise UsageError(f"{path}: no usable conversation")
    scorer = _scorer(config, rules_only=args.rules_only)
    report = evaluate(records, scorer, TrackerSettings.from_config(config))
    render_report(report)
    if args.report:
        out = Path(args.report)
        out.mkdir(parents=True, exist_ok=True)
        report = {"data": str(path), "kind": "conversations", "scorer": scorer.describe(),
                  "bad_lines": len(problems), **report}
        (out / "metrics.json").write_text(json.dumps(report, indent=2, default=str) + "\n",
                                          encoding="utf-8")
        print(f"wrote {out / 'metrics.json'}", file=sys.stderr)
    return 1 if problems else 0


# --- messages -----------------------------------------------------------------------------


def _scorer(config: Any, *, rules_only: bool) -> Any:
    from classifiers.rulepack import PackError
    from classifiers.scorer import load_scorer

    try:
        return load_scorer(config.detection, use_model=False if rules_only else None,
                           strict=True)
    except PackError as e:
        raise UsageError(str(e)) from None


def _run_messages(args: argparse.Namespace, path: Path, config: Any) -> int:
    from rich.console import Console

    from classifiers import metrics
    from classifiers.train import read_examples

    examples, problems = read_examples(path)
    for p in problems:
        print(p, file=sys.stderr)
    if not examples:
        raise UsageError(f"{path}: no usable labelled message")
    err = Console(stderr=True)
    if args.model_only:
        scores, predicted, threshold, about = _model_scores(examples, config, err)
    else:
        scores, predicted, threshold, about = _scorer_scores(examples, config, args, err)
    if args.threshold is not None:
        threshold = args.threshold
    has_hard = any(e.hard_negative for e in examples)
    report = metrics.evaluate(
        [e.label for e in examples], scores, threshold, langs=[e.lang for e in examples],
        categories=[e.categories for e in examples], predicted_categories=predicted,
        hard_negative=[e.hard_negative for e in examples] if has_hard else None,
        n_boot=args.bootstrap, seed=args.seed)
    report = {"data": str(path), "kind": "messages", "scorer": about,
              "bad_lines": len(problems), **report}
    show(Console(), report)
    if args.report:
        write_report(Path(args.report), report, [e.label for e in examples], scores, threshold)
        err.print(f"wrote {Path(args.report) / 'metrics.json'} and "
                  f"{Path(args.report) / 'pr_curve.png'}")
    return 1 if problems else 0


def _progress(n: int, console: Any) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), console=console,
                    transient=True, disable=n < PROGRESS_MIN)


def _scorer_scores(examples: list[Any], config: Any, args: argparse.Namespace, err: Any
                   ) -> tuple[list[float], list[tuple[str, ...]], float, dict[str, Any]]:
    scorer = _scorer(config, rules_only=args.rules_only)
    scores: list[float] = []
    predicted: list[tuple[str, ...]] = []
    with _progress(len(examples), err) as bar:
        task = bar.add_task("scoring", total=len(examples))
        for start in range(0, len(examples), BATCH):
            chunk = examples[start:start + BATCH]
            for v in scorer.score_many((e.text, e.direction) for e in chunk):
                scores.append(v.score)
                predicted.append(v.categories)
            bar.advance(task, len(chunk))
    mode = "rules" if scorer.model is None else "combined"
    about = {"mode": mode, **scorer.describe()}
    if mode == "rules" and not args.rules_only:
        err.print(f"[yellow]the model is {scorer.model_note}: these are the rules' figures")
    return scores, predicted, scorer.threshold, about


def _model_scores(examples: list[Any], config: Any, err: Any
                  ) -> tuple[list[float], list[tuple[str, ...]], float, dict[str, Any]]:
    from classifiers.categories import CATEGORIES
    from classifiers.model import ModelError, get_model
    from classifiers.normalize import normalize

    try:
        model = get_model(config.detection.model)
    except ModelError as e:
        raise UsageError(f"--model-only: {e}") from None
    cuts = model.category_thresholds
    scores: list[float] = []
    predicted: list[tuple[str, ...]] = []
    with _progress(len(examples), err) as bar:
        task = bar.add_task("scoring", total=len(examples))
        for start in range(0, len(examples), BATCH):
            chunk = examples[start:start + BATCH]
            probs = model.predict([normalize(e.text).text for e in chunk],
                                  [e.direction for e in chunk])
            for row in probs:
                scores.append(float(row[0]))
                predicted.append(tuple(c for c, p in zip(CATEGORIES, row[1:], strict=True)
                                       if p >= cuts.get(c, 0.5)))
            bar.advance(task, len(chunk))
    about = {"mode": "model", "model": {"name": model.name, "version": model.version,
                                        "path": str(model.path)}}
    return scores, predicted, model.threshold, about


# --- output -------------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def _ci(pair: list[float] | None) -> str:
    return "" if not pair else f"[{_pct(pair[0])}, {_pct(pair[1])}]"


def show(console: Any, report: dict[str, Any]) -> None:
    """The figures as rich tables."""
    from rich.table import Table

    o = report["overall"]
    title = (f"{report['data']}: {o['n']} messages, {o['positives']} risky; "
             f"{report['scorer']['mode']} scorer, flagged at score >= {report['threshold']:.3g}")
    table = Table(title=title, title_justify="left")
    for col in ("figure", "value", "95% interval"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    names = {"precision": "precision", "recall": "recall", "f1": "F1", "f0_5": "F0.5",
             "f3": "F3", "pr_auc": "PR-AUC (average precision)", "fpr": "false-positive rate"}
    for key, name in names.items():
        table.add_row(name, _pct(o[key]), _ci(o["ci"].get(key)))
    hard = report.get("hard_negatives")
    if hard:
        table.add_row(f"false-positive rate on {hard['n']} hard negatives", _pct(hard["fpr"]),
                      _ci(hard["ci"].get("fpr")))
    table.add_row("confusion (tp fp fn tn)", f"{o['tp']} {o['fp']} {o['fn']} {o['tn']}", "")
    console.print(table)

    table = Table(title="Per language", title_justify="left")
    for col in ("language", "n", "risky", "precision", "recall", "F1", "F1 95% interval",
                "FPR", "PR-AUC"):
        table.add_column(col, justify="left" if col == "language" else "right")
    for lang, m in report.get("per_language", {}).items():
        table.add_row(lang, str(m["n"]), str(m["positives"]), _pct(m["precision"]),
                      _pct(m["recall"]), _pct(m["f1"]), _ci(m["ci"].get("f1")), _pct(m["fpr"]),
                      _pct(m["pr_auc"]))
    console.print(table)

    table = Table(title="Per category (detected: risky messages of that category that were "
                  "flagged; naming: the category among those reported)", title_justify="left")
    for col in ("category", "risky", "detected", "95% interval", "naming P", "naming R",
                "naming F1"):
        table.add_column(col, justify="left" if col == "category" else "right")
    for cat, m in report.get("per_category", {}).items():
        naming = m.get("naming", {})
        table.add_row(cat, str(m["positives"]), _pct(m.get("recall")),
                      _ci(m.get("ci", {}).get("recall")), _pct(naming.get("precision")),
                      _pct(naming.get("recall")), _pct(naming.get("f1")))
    console.print(table)


def write_report(out: Path, report: dict[str, Any], labels: list[int], scores: list[float],
                 threshold: float) -> None:
    """metrics.json and pr_curve.png (the curve, with the alert threshold's point marked)."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a router or in CI
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import precision_recall_curve

    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=100)
    y = np.asarray(labels)
    if y.any():
        precision, recall, _ = precision_recall_curve(y, np.asarray(scores))
        ax.step(recall, precision, where="post",
                label=f"{report['scorer']['mode']} (PR-AUC {_pct(report['overall']['pr_auc'])})")
        o = report["overall"]
        if o["precision"] is not None and o["recall"] is not None:
            ax.plot([o["recall"]], [o["precision"]], "o",
                    label=f"alert threshold {threshold:.3g}")
    ax.set(xlabel="recall", ylabel="precision", xlim=(0, 1.01), ylim=(0, 1.01),
           title=f"Precision-recall: {Path(report['data']).name}")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left")
    fig.tight_layout()
    fig.savefig(out / "pr_curve.png")
    plt.close(fig)
