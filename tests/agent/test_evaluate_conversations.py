"""agent/evaluate_conversations.py: detection, false alarms, delay and latency-weighted F1.

Conversations run through the real tracker and the real scorer, loaded with the marker-word pack
tests/agent/data/tracker-pack.yaml; F-scores are cross-checked against scikit-learn's.
"""

from __future__ import annotations

import json
import math

import pytest
from rich.console import Console
from sklearn.metrics import f1_score, fbeta_score, precision_score, recall_score

from agent.config import DetectionSection
from agent.conversation import TrackerSettings
from agent.evaluate_conversations import (
    PAPER_P,
    evaluate,
    first_alerts,
    fitted_p,
    is_conversation_record,
    load_records,
    penalty,
    record_problem,
    render_report,
    wilson,
)
from classifiers.scorer import load_scorer
from tests.agent.test_conversation import PACK


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(DetectionSection(builtin_rules=False), extra_packs=[str(PACK)], strict=True)


def conversation(texts: list[str], label: int, first_signal: int | None = None, lang: str = "en",
                 cid: str | None = None) -> dict:
    messages = [{"sender": "child" if t.startswith("child:") else "other", "text": t.removeprefix("child:")}
                for t in texts]
    return {"id": cid or "|".join(texts), "messages": messages, "label": label,
            "first_signal": first_signal, "lang": lang}


RECORDS = [
    # caught 2 messages after its first signal (index 1): alert at the secrecy request, index 3
    conversation(["hello", "offerword", "child:ok", "secretword", "meetword"], 1, 1, cid="g-late"),
    # caught at once: a strong message
    conversation(["hi", "solicitword", "ok"], 1, 1, lang="id", cid="g-now"),
    # missed: only a compliment
    conversation(["flatterword", "hello", "bye"], 1, 0, cid="g-missed"),
    # benign: the same words with benign context
    conversation(["offerword benignword", "secretword benignword", "meetword benignword"], 0, cid="b-ok"),
    # benign but alerted (a false alarm)
    conversation(["solicitword"], 0, lang="id", cid="b-false"),
    conversation(["hello", "ok"], 0, lang="id", cid="b-quiet"),
]


# --- the latency penalty -------------------------------------------------------------------------


@pytest.mark.parametrize("p", [PAPER_P, 0.1, 0.5])
def test_penalty_is_zero_at_the_first_message_and_grows_towards_one(p):
    values = [penalty(k, p) for k in (1, 2, 10, 100, 10_000)]
    assert values[0] == 0 < values[1] < values[2]
    assert values == sorted(values) and values[-1] <= 1
    assert penalty(10**6, p) == pytest.approx(1, abs=1e-3)


@pytest.mark.parametrize("median_length", [12, 40, 632])
def test_fitted_p_puts_half_the_penalty_at_the_median_length(median_length):
    assert penalty(median_length, fitted_p(median_length)) == pytest.approx(0.5)


def test_the_papers_p_halves_speed_after_about_632_messages():
    assert penalty(632, PAPER_P) == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("k, n", [(0, 10), (10, 10), (3, 40), (0, 0)])
def test_wilson_interval_holds_the_proportion(k, n):
    low, high = wilson(k, n)
    assert 0 <= low <= (k / n if n else 0) <= high <= 1


# --- figures -----------------------------------------------------------------------------------


def test_outcomes_record_the_first_alert(scorer):
    outcomes = {o["id"]: o for o in first_alerts(RECORDS, scorer)}
    assert outcomes["g-now"]["alert_index"] == 1
    assert outcomes["g-missed"]["alert_index"] is None
    assert outcomes["b-ok"]["alert_index"] is None
    assert outcomes["b-false"]["alert_index"] == 0
    assert 1 < outcomes["g-late"]["alert_index"] <= 4


def test_figures_agree_with_scikit_learn(scorer):
    report = evaluate(RECORDS, scorer, TrackerSettings())
    outcomes = report["conversations"]
    y_true = [o["label"] for o in outcomes]
    y_pred = [int(o["alert_index"] is not None) for o in outcomes]
    assert report["detection_rate"] == pytest.approx(recall_score(y_true, y_pred))
    assert report["precision"] == pytest.approx(precision_score(y_true, y_pred))
    assert report["f1"] == pytest.approx(f1_score(y_true, y_pred))
    assert report["f0_5"] == pytest.approx(fbeta_score(y_true, y_pred, beta=0.5))
    benign = [p for t, p in zip(y_true, y_pred, strict=True) if t == 0]
    assert report["false_alarm_rate"] == pytest.approx(sum(benign) / len(benign))
    assert (report["grooming"], report["benign"]) == (3, 3)


def test_delay_counts_messages_after_the_first_signal(scorer):
    report = evaluate(RECORDS, scorer)
    by_id = {o["id"]: o for o in report["conversations"]}
    delays = sorted(by_id[i]["alert_index"] - by_id[i]["first_signal"] for i in ("g-late", "g-now"))
    assert report["median_delay"] == pytest.approx((delays[0] + delays[1]) / 2)
    assert sum(report["delay_distribution"].values()) == report["true_positives"] == 2
    assert report["delay_distribution"].get("0") == 1


def test_latency_weighted_f1_is_f1_times_median_speed(scorer):
    report = evaluate(RECORDS, scorer)
    lat = report["latency"]
    read = sorted(o["alert_index"] + 1 for o in report["conversations"]
                  if o["label"] and o["alert_index"] is not None)
    median_penalty = (penalty(read[0], PAPER_P) + penalty(read[1], PAPER_P)) / 2
    assert lat["speed_paper"] == pytest.approx(1 - median_penalty)
    assert lat["latency_f1"] == pytest.approx(report["f1"] * lat["speed_paper"])
    assert lat["latency_f1_local"] <= lat["latency_f1"] <= report["f1"]


def test_figures_per_language(scorer):
    report = evaluate(RECORDS, scorer)
    per = report["per_language"]
    assert set(per) == {"en", "id"}
    assert per["id"]["false_alarm_rate"] == 0.5 and per["en"]["false_alarm_rate"] == 0.0


def test_nothing_detected_gives_zeros_not_errors(scorer):
    report = evaluate([conversation(["hello"], 1, 0), conversation(["bye"], 0)], scorer)
    figures = (report["detection_rate"], report["precision"], report["f1"], report["median_delay"])
    assert figures == (0, 0, 0, None)
    assert report["latency"]["latency_f1"] == 0


# --- records ---------------------------------------------------------------------------------


@pytest.mark.parametrize("record, problem", [
    ({"text": "x", "label": 1}, "expected an object with 'messages'"),
    ({"messages": [], "label": 2}, "'label' must be 0 or 1"),
    ({"messages": [{"sender": "other"}], "label": 0}, "needs a string 'text'"),
    ({"messages": [{"text": "x"}], "label": 1}, "needs 'first_signal'"),
    ({"messages": [{"text": "x"}], "label": 1, "first_signal": 3}, "needs 'first_signal'"),
    ({"messages": [{"text": "x"}], "label": 1, "first_signal": 0}, None),
    ({"messages": [{"text": "x"}], "label": 0}, None),
])
def test_record_shape_is_checked(record, problem):
    found = record_problem(record)
    assert (found is None) if problem is None else (problem in found)


def test_load_records_keeps_good_lines_and_reports_bad_ones(tmp_path):
    path = tmp_path / "conv.jsonl"
    path.write_text("\n".join([json.dumps(RECORDS[0]), "{oops", json.dumps({"messages": [], "label": 5}),
                               json.dumps({k: v for k, v in RECORDS[1].items() if k != "id"})]) + "\n")
    records, problems = load_records(path)
    assert [r["id"] for r in records] == ["g-late", "line4"]
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (2, "not valid JSON"), (3, "'label' must be 0 or 1")]
    assert all(is_conversation_record(r) for r in records) and not is_conversation_record({"text": "x"})


def test_render_report_prints_the_figures(scorer):
    console = Console(record=True, width=120)
    render_report(evaluate(RECORDS, scorer), console)
    out = console.export_text()
    for words in ("detection rate", "false alarms on benign", "F0.5", "median delay", "latency-weighted F1",
                  "Per language"):
        assert words in out
    assert not math.isnan(evaluate(RECORDS, scorer)["f0_5"])
