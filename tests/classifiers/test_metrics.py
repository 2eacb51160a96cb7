"""classifiers/metrics.py: counts, F-measures, PR-AUC, thresholds and seeded bootstrap intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classifiers import metrics

# --- count metrics ------------------------------------------------------------------------


@pytest.mark.parametrize("y, flagged, expected", [
    # tp=2 fp=1 fn=1 tn=2: precision 2/3, recall 2/3, fpr 1/3
    ([1, 1, 1, 0, 0, 0], [1, 1, 0, 1, 0, 0],
     {"tp": 2, "fp": 1, "fn": 1, "tn": 2, "precision": 0.6667, "recall": 0.6667, "f1": 0.6667,
      "fpr": 0.3333}),
    # everything right
    ([1, 0, 1, 0], [1, 0, 1, 0], {"precision": 1.0, "recall": 1.0, "f1": 1.0, "fpr": 0.0}),
    # nothing flagged: precision undefined (None), recall and every F are 0
    ([1, 0], [0, 0], {"precision": None, "recall": 0.0, "f1": 0.0, "f3": 0.0, "fpr": 0.0}),
    # no positives: recall and F undefined, false-positive rate still measured
    ([0, 0, 0, 0], [1, 0, 0, 0], {"recall": None, "f1": None, "fpr": 0.25}),
])
def test_binary_metrics_follow_their_definitions(y, flagged, expected):
    m = metrics.binary_metrics(y, flagged)
    assert {k: m[k] for k in expected} == expected


def test_f_half_favours_precision_and_f3_favours_recall():
    # precision 1.0, recall 0.5
    m = metrics.binary_metrics([1, 1, 0, 0], [1, 0, 0, 0])
    assert m["f0_5"] == pytest.approx(1.25 * 0.5 / (0.25 + 0.5), abs=1e-4)
    assert m["f3"] == pytest.approx(10 * 0.5 / (9 + 0.5), abs=1e-4)
    assert m["f0_5"] > m["f1"] > m["f3"]


# --- PR-AUC ---------------------------------------------------------------------------------


@pytest.mark.parametrize("y, scores, expected", [
    ([1, 1, 0, 0], [0.9, 0.8, 0.2, 0.1], 1.0),  # perfect ranking
    ([0, 0, 1, 1], [0.9, 0.8, 0.2, 0.1], 5 / 12),  # ranked last: mean of precisions 1/3, 2/4
    ([0, 0, 0], [0.9, 0.5, 0.1], None),  # no positive: undefined
])
def test_average_precision_ranks_positives(y, scores, expected):
    ap = metrics.average_precision(np.array(y), np.array(scores))
    if expected is None:
        assert math.isnan(ap)
    else:
        assert ap == pytest.approx(expected)


# --- threshold choice -------------------------------------------------------------------------


def test_threshold_maximises_f1_when_no_hard_negatives():
    y = np.array([1, 1, 1, 0, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    t = metrics.choose_threshold(y, s)
    assert 0.6 < t <= 0.7  # flags exactly the three positives, halfway to the next score


def test_threshold_keeps_hard_negative_false_positives_within_the_limit():
    # A hard negative scores above one positive: catching that positive would flag it.
    y = np.array([1, 1, 0, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    hard = np.array([False, False, True, False, True, False])
    unconstrained = metrics.choose_threshold(y, s, hard, max_hard_fpr=1.0)
    constrained = metrics.choose_threshold(y, s, hard, max_hard_fpr=0.05)
    assert unconstrained <= 0.6
    assert constrained > 0.7
    assert not ((s >= constrained) & hard).any()


def test_threshold_keeps_the_limit_on_each_subset_too():
    # 17 hard negatives, 2 of them in the subset: flagging the one at 0.7 is 1 in 17 (5.9%)
    # overall, but 1 in 2 of the subset's.
    y = np.array([1, 1, 0, 1] + [0] * 16)
    s = np.array([0.9, 0.8, 0.7, 0.6] + [0.1] * 16)
    hard = np.array([False, False, True, False] + [True] * 16)
    subset = np.zeros(20, bool)
    subset[[2, 19]] = True
    overall_only = metrics.choose_threshold(y, s, hard, max_hard_fpr=0.1)
    with_subset = metrics.choose_threshold(y, s, hard, max_hard_fpr=0.1, subsets=(subset,))
    assert overall_only <= 0.6
    assert with_subset > 0.7


def test_threshold_flags_nothing_when_no_point_keeps_the_limit():
    # The top score is a hard negative of a subset of one: any alert breaks its limit.
    y = np.array([0, 0, 1, 0])
    s = np.array([0.9, 0.5, 0.4, 0.1])
    hard = np.array([True, False, False, True])
    subset = np.array([True, False, False, False])
    t = metrics.choose_threshold(y, s, hard, max_hard_fpr=0.04, subsets=(subset,))
    assert not (s >= t).any()


# --- bootstrap ------------------------------------------------------------------------------

RNG_Y = np.random.default_rng(7).integers(0, 2, 300)
RNG_S = np.clip(RNG_Y * 0.3 + np.random.default_rng(8).random(300) * 0.7, 0, 1)


def test_bootstrap_is_reproducible_with_its_seed_and_varies_with_another():
    flagged = RNG_S >= 0.5
    a = metrics.bootstrap_intervals(RNG_Y, flagged, RNG_S, n_boot=200, seed=3)
    b = metrics.bootstrap_intervals(RNG_Y, flagged, RNG_S, n_boot=200, seed=3)
    c = metrics.bootstrap_intervals(RNG_Y, flagged, RNG_S, n_boot=200, seed=4)
    assert a == b
    assert a != c


@pytest.fixture(scope="module")
def intervals():
    return metrics.bootstrap_intervals(RNG_Y, RNG_S >= 0.5, RNG_S, n_boot=300, seed=0)


@pytest.mark.parametrize("name", ["precision", "recall", "f1", "f0_5", "f3", "fpr", "pr_auc"])
def test_bootstrap_interval_surrounds_the_point_estimate(intervals, name):
    point = metrics.binary_metrics(RNG_Y, RNG_S >= 0.5)
    point["pr_auc"] = metrics.average_precision(RNG_Y, RNG_S)
    low, high = intervals[name]
    assert low < point[name] < high


# --- the full report ------------------------------------------------------------------------


def test_evaluate_reports_hard_negatives_languages_and_categories():
    y = [1, 1, 0, 0, 1, 0]
    scores = [0.9, 0.4, 0.8, 0.1, 0.7, 0.2]
    report = metrics.evaluate(
        y, scores, 0.5, langs=["id", "id", "id", "en", "en", None],
        categories=[["offer_credit", "secrecy"], ["meetup"], [], [], ["secrecy"], []],
        predicted_categories=[["offer_credit"], [], ["offer_credit"], [], ["secrecy"], []],
        hard_negative=[False, False, True, True, False, False], n_boot=50)
    assert report["overall"]["tp"] == 2 and report["overall"]["fp"] == 1
    assert report["hard_negatives"] == {"n": 2, "fp": 1, "fpr": 0.5,
                                        "ci": report["hard_negatives"]["ci"]}
    assert set(report["per_language"]) == {"id", "en", "unknown"}
    assert report["per_language"]["en"]["recall"] == 1.0
    cats = report["per_category"]
    assert (cats["secrecy"]["positives"], cats["secrecy"]["recall"]) == (2, 1.0)
    assert (cats["meetup"]["positives"], cats["meetup"]["recall"]) == (1, 0.0)
    assert cats["offer_credit"]["naming"]["precision"] == 0.5  # named once wrongly (a negative)
    assert cats["flattery"] == {"positives": 0, "naming": cats["flattery"]["naming"]}


@pytest.mark.parametrize("decimals", [8, 1])  # 1: many tied scores
def test_vectorized_average_precision_equals_scikit_learns_with_weights(decimals):
    scores = np.round(RNG_S, decimals)
    weights = np.random.default_rng(1).multinomial(300, np.full(300, 1 / 300), size=5)
    fast = metrics.weighted_average_precision(RNG_Y, scores, weights)
    slow = [metrics.average_precision(RNG_Y, scores, w) for w in weights]
    assert fast == pytest.approx(slow)
