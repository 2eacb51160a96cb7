"""Detection metrics for `jaga eval` and `jaga train`: pure functions over labels and scores.

Precision, recall, F1, F0.5 and F3 (the PAN 2012 sexual-predator task's measures: F0.5 favours
precision, F3 recall), PR-AUC as average precision, false-positive rate overall and on hard
negatives, per language and per category, each with a percentile bootstrap confidence interval
drawn with a fixed seed (the same data gives the same intervals). Only numpy and scikit-learn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

COUNT_METRICS = ("precision", "recall", "f1", "f0_5", "f3", "fpr")
DEFAULT_BOOTSTRAP = 1000
DEFAULT_MAX_HARD_FPR = 0.05


def _ratio(a: np.ndarray | float, b: np.ndarray | float) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.asarray(b) > 0, np.asarray(a) / np.where(np.asarray(b) > 0, b, 1),
                        np.nan)


def _from_counts(tp: Any, fp: Any, fn: Any, tn: Any) -> dict[str, Any]:
    """Every count metric from confusion counts (scalars or arrays of bootstrap counts)."""
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    out = {"precision": precision, "recall": recall, "fpr": _ratio(fp, fp + tn)}
    for name, beta in (("f1", 1.0), ("f0_5", 0.5), ("f3", 3.0)):
        b2 = beta * beta
        with np.errstate(divide="ignore", invalid="ignore"):
            denominator = b2 * precision + recall
            f = np.where(denominator > 0, (1 + b2) * precision * recall /
                         np.where(denominator > 0, denominator, 1), 0.0)
        # undefined precision (nothing flagged) with positives present: F is 0, as sklearn says
        out[name] = np.where(np.isnan(recall), np.nan, np.nan_to_num(f, nan=0.0))
    return out


def confusion(y_true: np.ndarray, flagged: np.ndarray) -> dict[str, int]:
    y, f = np.asarray(y_true, bool), np.asarray(flagged, bool)
    return {"tp": int((y & f).sum()), "fp": int((~y & f).sum()),
            "fn": int((y & ~f).sum()), "tn": int((~y & ~f).sum())}


def binary_metrics(y_true: Sequence[int] | np.ndarray, flagged: Sequence[bool] | np.ndarray
                   ) -> dict[str, Any]:
    """Counts and count metrics (nan where undefined: no positives, nothing flagged...)."""
    c = confusion(np.asarray(y_true), np.asarray(flagged))
    values = _from_counts(c["tp"], c["fp"], c["fn"], c["tn"])
    return {"n": sum(c.values()), "positives": c["tp"] + c["fn"], **c,
            **{k: _clean(float(v)) for k, v in values.items()}}


def average_precision(y_true: np.ndarray, scores: np.ndarray,
                      weights: np.ndarray | None = None) -> float:
    """PR-AUC as average precision (scikit-learn's step-wise definition); nan without both
    classes."""
    from sklearn.metrics import average_precision_score

    y = np.asarray(y_true, bool)
    if not (y if weights is None else y & (weights > 0)).any():
        return math.nan
    return float(average_precision_score(y, scores, sample_weight=weights))


def weighted_average_precision(y_true: np.ndarray, scores: np.ndarray, weights: np.ndarray
                               ) -> np.ndarray:
    """Average precision for each row of `weights` (row weights, e.g. bootstrap counts), all at
    once; the same step-wise definition as scikit-learn's (tied scores are one step)."""
    y = np.asarray(y_true, bool)
    order = np.argsort(-np.asarray(scores, float), kind="stable")
    s_sorted = np.asarray(scores, float)[order]
    last = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])
    w = np.atleast_2d(weights)[:, order].astype(float)
    tp = np.cumsum(w * y[order], axis=1)[:, last]
    fp = np.cumsum(w * ~y[order], axis=1)[:, last]
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.nan_to_num(tp / (tp + fp))
        recall = tp / tp[:, -1:]
    steps = np.diff(np.concatenate([np.zeros((len(w), 1)), recall], axis=1), axis=1)
    return np.where(tp[:, -1] > 0, np.nansum(steps * precision, axis=1), np.nan)


def bootstrap_intervals(y_true: np.ndarray, flagged: np.ndarray, scores: np.ndarray | None = None,
                        *, n_boot: int = DEFAULT_BOOTSTRAP, seed: int = 0, level: float = 0.95
                        ) -> dict[str, list[float]]:
    """Percentile bootstrap intervals [low, high] of every count metric (and PR-AUC when scores
    are given). Resamples are multinomial row weights from numpy's generator with `seed`."""
    y, f = np.asarray(y_true, bool), np.asarray(flagged, bool)
    n = len(y)
    if n == 0 or n_boot <= 0:
        return {}
    rng = np.random.default_rng(seed)
    columns = np.stack([y & f, ~y & f, y & ~f, ~y & ~f]).T.astype(np.int64)  # tp fp fn tn
    counts, aps = [], []
    for start in range(0, n_boot, 200):
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=min(200, n_boot - start))
        counts.append(w @ columns)
        if scores is not None:
            aps.append(weighted_average_precision(y, np.asarray(scores, float), w))
    c = np.concatenate(counts)
    samples = _from_counts(c[:, 0], c[:, 1], c[:, 2], c[:, 3])
    if scores is not None:
        samples["pr_auc"] = np.concatenate(aps)
    tail = (1 - level) / 2 * 100
    out = {}
    for name, values in samples.items():
        values = np.asarray(values, float)
        values = values[~np.isnan(values)]
        if len(values):
            low, high = np.percentile(values, [tail, 100 - tail])
            out[name] = [round(float(low), 4), round(float(high), 4)]
    return out


def choose_threshold(y_true: np.ndarray, scores: np.ndarray, hard_negative: np.ndarray | None = None,
                     *, max_hard_fpr: float = DEFAULT_MAX_HARD_FPR, beta: float = 1.0,
                     subsets: Sequence[np.ndarray] = ()) -> float:
    """The score threshold with the best F-beta among those whose false-positive rate on hard
    negatives stays within `max_hard_fpr` (ties: the higher threshold, fewer alerts), on all
    rows and also on each of `subsets` (boolean masks of rows) that holds hard negatives. When
    no threshold flagging anything keeps every limit, one above the top score (flag nothing)."""
    y = np.asarray(y_true, bool)
    s = np.asarray(scores, float)
    hard = np.zeros(len(y), bool) if hard_negative is None else np.asarray(hard_negative, bool)
    hard = hard & ~y
    limited = [hard] + [hard & np.asarray(m, bool) for m in subsets]
    if len(s) == 0:
        return 0.5
    order = np.argsort(-s, kind="stable")
    s_sorted = s[order]
    tp = np.cumsum(y[order])
    fp = np.cumsum(~y[order])
    # Flagging at threshold s_sorted[i] flags every row up to the last one with that score.
    last = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])
    tp, fp = tp[last], fp[last]
    precision = tp / (tp + fp)
    recall = tp / max(int(y.sum()), 1)
    b2 = beta * beta
    with np.errstate(divide="ignore", invalid="ignore"):
        fb = np.nan_to_num((1 + b2) * precision * recall / (b2 * precision + recall))
    for rows in limited:
        if rows.any():
            hard_fp = np.cumsum(rows[order])[last]
            fb = np.where(hard_fp / rows.sum() <= max_hard_fpr, fb, -1.0)
    if fb.max() < 0:
        # No threshold keeps every limit (e.g. a subset's top score is a hard negative): flag
        # nothing, rather than a point that breaks the limit.
        return float(s_sorted[0]) + 1.0
    best = int(np.argmax(fb))  # first maximum: the highest such threshold
    # Halfway to the next lower score flags the same rows here, with a margin for new data.
    if best + 1 < len(last):
        return float((s_sorted[last[best]] + s_sorted[last[best + 1]]) / 2)
    return float(s_sorted[last[best]])


def evaluate(y_true: Sequence[int], scores: Sequence[float], threshold: float, *,
             langs: Sequence[str | None] | None = None,
             categories: Sequence[Sequence[str]] | None = None,
             predicted_categories: Sequence[Sequence[str]] | None = None,
             hard_negative: Sequence[bool] | None = None,
             n_boot: int = DEFAULT_BOOTSTRAP, seed: int = 0) -> dict[str, Any]:
    """The full report of `jaga eval`: overall, hard negatives, per language, per category."""
    y = np.asarray(y_true, bool)
    s = np.asarray(scores, float)
    flagged = s >= threshold
    overall = binary_metrics(y, flagged)
    overall["pr_auc"] = _clean(average_precision(y, s))
    overall["ci"] = bootstrap_intervals(y, flagged, s, n_boot=n_boot, seed=seed)
    report: dict[str, Any] = {"threshold": threshold, "overall": overall}
    if hard_negative is not None:
        hard = np.asarray(hard_negative, bool) & ~y
        m = binary_metrics(y[hard], flagged[hard])
        report["hard_negatives"] = {
            "n": m["n"], "fp": m["fp"], "fpr": m["fpr"],
            "ci": {k: v for k, v in bootstrap_intervals(
                y[hard], flagged[hard], n_boot=n_boot, seed=seed).items() if k == "fpr"}}
    if langs is not None:
        per_lang = {}
        lang_arr = np.array([lang or "unknown" for lang in langs], dtype=object)
        for lang in sorted(set(lang_arr)):
            rows = lang_arr == lang
            m = binary_metrics(y[rows], flagged[rows])
            m["pr_auc"] = _clean(average_precision(y[rows], s[rows]))
            m["ci"] = bootstrap_intervals(y[rows], flagged[rows], n_boot=n_boot, seed=seed)
            per_lang[lang] = m
        report["per_language"] = per_lang
    if categories is not None:
        report["per_category"] = _per_category(y, flagged, categories, predicted_categories,
                                               n_boot=n_boot, seed=seed)
    return report


def _per_category(y: np.ndarray, flagged: np.ndarray, categories: Sequence[Sequence[str]],
                  predicted: Sequence[Sequence[str]] | None, *, n_boot: int, seed: int
                  ) -> dict[str, Any]:
    """Per category: recall of flagging on the positives that carry it; with predicted
    categories, precision/recall/F1 of naming that category (over all rows)."""
    from classifiers.categories import CATEGORIES

    out: dict[str, Any] = {}
    for c in CATEGORIES:
        has = np.array([c in cats for cats in categories], bool)
        rows = has & y
        entry: dict[str, Any] = {"positives": int(rows.sum())}
        if rows.any():
            entry["detected"] = int(flagged[rows].sum())
            entry["recall"] = round(float(flagged[rows].mean()), 4)
            ci = bootstrap_intervals(y[rows], flagged[rows], n_boot=n_boot, seed=seed)
            entry["ci"] = {k: v for k, v in ci.items() if k == "recall"}
        if predicted is not None:
            named = np.array([c in cats for cats in predicted], bool) & flagged
            m = binary_metrics(has, named)
            entry["naming"] = {k: m[k] for k in ("precision", "recall", "f1")}
        out[c] = entry
    return out


def _clean(x: float) -> float | None:
    """JSON-friendly: nan (undefined) becomes None; others rounded for reports."""
    return None if x is None or math.isnan(x) else round(float(x), 4)
