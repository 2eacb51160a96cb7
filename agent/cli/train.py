"""`jaga train`: rebuild the risk model from the labelled corpus, reproducibly.

Cross-fits on the development data of corpus/messages (train.jsonl, validation.jsonl and, when
present, blind.jsonl), chooses the alert point on the out-of-fold scores, fits the shipped model
on all of them and measures it on test.jsonl (see classifiers/train.py), writes
`jaga-model.skops` and `jaga-model.json` to the output folder, and prints the figures and the
most influential features of each output, so that a leak (a feature that gives the label away,
like a template's fixed words) can be seen.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from agent.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="rebuild the risk model from a labelled corpus",
        description="Train jaga's risk model (TF-IDF of character n-grams, words and word "
        "pairs, logistic regression, "
        "one output per category) on the development data CORPUS/train.jsonl, "
        "CORPUS/validation.jsonl and (if present) CORPUS/blind.jsonl: choose its thresholds and "
        "its combination with the rules on out-of-fold scores (up to 5 folds of whole scenario "
        "groups), "
        "fit it on all of them, measure it on CORPUS/test.jsonl, and write OUT/jaga-model.skops "
        "with its metadata OUT/jaga-model.json. The same corpus, rules and seed give the same "
        "file and the same figures.",
        epilog="Lines: {\"text\", \"label\": 0|1, \"categories\": [...], \"lang\", \"direction\", "
        "\"hard_negative\", \"group\"}. Example: jaga train --out /tmp/model",
    )
    parser.add_argument("--corpus", metavar="DIR",
                        help="folder with train/validation[/blind]/test.jsonl (default: corpus/messages)")
    parser.add_argument("--out", metavar="DIR",
                        help="where to write the model (default: the built-in models/ folder)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--bootstrap", type=int, default=1000, metavar="N",
                        help="bootstrap resamples for confidence intervals (default 1000)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from classifiers.model import DEFAULT_MODEL_PATH, save_model
    from classifiers.train import DEFAULT_CORPUS, train

    corpus = Path(args.corpus) if args.corpus else DEFAULT_CORPUS
    out_dir = Path(args.out) if args.out else DEFAULT_MODEL_PATH.parent
    if not corpus.is_dir():
        raise UsageError(f"{corpus}: no such corpus folder")
    console = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("training", total=1.0)

        def progress(what: str, done: float) -> None:
            bar.update(task, description=f"training: {what}", completed=done)

        try:
            result = train(corpus, seed=args.seed, progress=progress, n_boot=args.bootstrap)
        except ValueError as e:
            raise UsageError(str(e)) from None
    for problem in result.problems:
        print(problem, file=sys.stderr)
    path = save_model(result.pipeline, result.metadata, out_dir)
    show(Console(), result, path)
    return 1 if result.problems else 0


def show(console: Any, result: Any, path: Path) -> None:
    """Top features per output, then the figures per split and scorer."""
    from rich.table import Table

    from classifiers.model import file_sha256

    for output, sides in result.top_features.items():
        table = Table(title=f"{output}: most influential features", title_justify="left")
        table.add_column("towards", style="red")
        table.add_column("weight", justify="right")
        table.add_column("against", style="green")
        table.add_column("weight", justify="right")
        for (a, wa), (b, wb) in zip(sides["towards"], sides["against"], strict=True):
            table.add_row(a, f"{wa:+.2f}", b, f"{wb:+.2f}")
        console.print(table)
    meta = result.metadata
    table = Table(title="Figures at the alert thresholds (test is held out; the thresholds were "
                  "chosen on the cross-validated development scores)", title_justify="left")
    for col in ("split", "scorer", "threshold", "precision", "recall", "F1", "F0.5", "F3",
                "PR-AUC", "FPR", "FPR hard neg."):
        table.add_column(col, justify="right" if col not in ("split", "scorer") else "left")
    for split, by_scorer in meta["figures"].items():
        for name, f in by_scorer.items():
            table.add_row(split, name, f"{f['threshold']:.3f}", *(_fmt(f[k]) for k in (
                "precision", "recall", "f1", "f0_5", "f3", "pr_auc", "fpr",
                "hard_negative_fpr")))
    console.print(table)
    c = meta["combine"]
    console.print(f"combined score = sigmoid({c['model_weight']:.3f}·logit(model) + "
                  f"{c['rule_weight']:.3f}·rules + {c['bias']:.3f}), alert at 0.5; "
                  f"C={meta['params']['C']:g}, {meta['params']['folds']} folds, seed {meta['seed']}")
    console.print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB, sha256 "
                  f"{file_sha256(path)[:16]}…) and {path.with_suffix('.json').name}")


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"
