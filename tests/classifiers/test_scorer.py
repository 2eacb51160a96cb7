"""classifiers/scorer.py: packs in, Verdicts out; bad packs left out (or refused when strict)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agent.config import DetectionSection
from classifiers.categories import CATEGORIES
from classifiers.model import combined_score
from classifiers.rulepack import PackError, builtin_pack_files, read_pack
from classifiers.scorer import Scorer, load_scorer, severity_for

PACKS = Path(__file__).parent / "packs"
SMALL = str(PACKS / "small.yaml")


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    return load_scorer(DetectionSection(builtin_rules=False, rule_packs=[SMALL]))


# --- severity from score ------------------------------------------------------------------------

SEVERITIES = [
    # (score, threshold, severity)
    (0.0, 0.5, "none"),
    (0.49, 0.5, "none"),
    (0.5, 0.5, "low"),
    (0.64, 0.5, "low"),
    (0.65, 0.5, "medium"),
    (0.84, 0.5, "medium"),
    (0.85, 0.5, "high"),
    (1.0, 0.5, "high"),
    (0.3, 0.2, "low"),
    (0.7, 0.8, "none"),  # below a high threshold: not flagged, whatever the band
]


@pytest.mark.parametrize("score, threshold, severity", SEVERITIES)
def test_severity_bands(score, threshold, severity):
    assert severity_for(score, threshold) == severity


# --- verdicts -----------------------------------------------------------------------------------


def test_risky_message_verdict(scorer):
    v = scorer.score("Om kasih pulsa, tapi jangan bilang ya")
    assert (v.flagged, v.score, v.severity) == (True, 1.0, "high")
    assert v.categories == ("offer_credit", "secrecy")  # by score: 0.7 then 0.6
    assert v.category_scores == {"offer_credit": 0.7, "secrecy": 0.6}
    assert [e.rule for e in v.evidence] == ["t.offer.pulsa", "t.secrecy.tell", "t.combo.offer_secrecy"]
    assert v.evidence[0].text == "kasih pulsa" and v.evidence[0].source == "rule"


def test_below_threshold_is_not_flagged_but_keeps_its_evidence(scorer):
    v = scorer.score("jangan bilang")
    assert (v.flagged, v.score, v.severity, v.categories) == (False, 0.3, "none", ("secrecy",))
    assert [e.rule for e in v.evidence] == ["t.secrecy.tell"]


@pytest.mark.parametrize("text", ["", "halo apa kabar", "🙂🙂", "a" * 1_000_000])
def test_benign_or_odd_text_is_not_flagged(scorer, text):
    v = scorer.score(text)
    assert (v.flagged, v.score, v.severity, v.categories, v.evidence) == (False, 0.0, "none", (), ())


def test_direction_is_passed_to_the_rules(scorer):
    assert scorer.score("aku sendirian di rumah", "from_child").categories == ("personal_info",)
    assert scorer.score("aku sendirian di rumah", "to_child").categories == ()


def test_score_many_keeps_order(scorer):
    verdicts = scorer.score_many([("halo", "to_child"), ("om kasih pulsa jangan bilang", "to_child"),
                                  ("aku sendirian di rumah", "from_child")])
    assert [v.flagged for v in verdicts] == [False, True, False]
    assert verdicts[2].categories == ("personal_info",)


def test_verdict_json_follows_the_contract(scorer):
    out = scorer.score("om kasih pulsa jangan bilang").to_json("m1")
    assert list(out) == ["id", "flagged", "score", "severity", "categories", "evidence"]
    assert out["evidence"][0] == {"source": "rule", "rule": "t.offer.pulsa", "text": "kasih pulsa",
                                  "span": [3, 14], "categories": ["offer_credit"], "weight": 0.4}


def test_threshold_comes_from_detection_or_the_override():
    detection = DetectionSection(builtin_rules=False, rule_packs=[SMALL], threshold=0.2)
    assert load_scorer(detection).score("jangan bilang").severity == "low"  # 0.3 >= 0.2
    assert load_scorer(detection, threshold=0.9).score("om kasih pulsa ya").severity == "none"  # 0.4


# --- loading packs ------------------------------------------------------------------------------


def test_extra_packs_add_to_the_configured_ones():
    scorer = load_scorer(DetectionSection(builtin_rules=False), extra_packs=[SMALL])
    assert scorer.describe()["rules"] == 5


def test_builtin_packs_load_by_default():
    scorer = load_scorer(use_model=False)
    usable = [f for f in builtin_pack_files() if not read_pack(f)[1]]
    assert usable and [Path(p["file"]) for p in scorer.describe()["packs"]] == usable


def test_bad_pack_is_left_out_and_the_others_load(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\npack: {id: bad, title: B, lang: id}\nrules: {oops: 1}\n", encoding="utf-8")
    scorer = load_scorer(DetectionSection(builtin_rules=False, rule_packs=[SMALL, str(bad)]))
    assert scorer.score("om kasih pulsa jangan bilang").flagged
    assert [p.code for p in scorer.problems] == ["schema"]
    assert scorer.describe()["problems"] == [f"{bad}:3: error pack: rules: expected a list "
                                             "(fix: write it as [a, b] or one '- item' per line)".replace(
                                                 "(fix", "[schema] (fix")]


def test_strict_loading_raises_with_every_problem(tmp_path):
    with pytest.raises(PackError) as e:
        load_scorer(DetectionSection(builtin_rules=False), extra_packs=[str(tmp_path / "nope.yaml")],
                    strict=True)
    assert [p.code for p in e.value.problems] == ["missing-pack"]
    assert "nope.yaml: error pack: no such rule pack" in str(e.value)


def test_describe_for_banners(scorer):
    info = scorer.describe()
    assert info["packs"] == [{"id": "test-small", "file": SMALL, "rules": 5}]
    assert info["threshold"] == 0.5 and info["model"]["loaded"] is False and info["model"]["reason"]


# --- where the model plugs in -------------------------------------------------------------------


class FixedModel:
    """A stand-in with the MessageModel interface: risk 0.5, and meetup 0.9 among the categories."""

    name, version = "fixed", "0"

    def predict(self, texts, directions):
        return np.array([[0.5] + [0.9 if c == "meetup" else 0.0 for c in CATEGORIES] for _ in texts])


def test_model_probability_and_categories_are_combined_with_the_rules():
    weights = {"model_weight": 1.0, "rule_weight": 2.0, "bias": -1.0}
    scorer = Scorer(load_scorer(DetectionSection(builtin_rules=False, rule_packs=[SMALL])).packs,
                    model=FixedModel(), combine=weights)
    for v in (scorer.score("jangan bilang"), scorer.score_many([("jangan bilang", "to_child")])[0]):
        assert v.score == pytest.approx(combined_score(0.3, 0.5, **weights))
        assert v.categories == ("meetup", "secrecy") and v.evidence[-1].source == "model"
    assert scorer.describe()["model"] == {"loaded": True, "name": "fixed", "version": "0"}


CORPUS = Path(__file__).resolve().parents[2] / "corpus"


def corpus_items() -> list[tuple[str, str]]:
    items = []
    for path in [*sorted((CORPUS / "messages").glob("*.jsonl")), CORPUS / "heldout" / "heldout.jsonl"]:
        for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else ():
            if line.strip():
                obj = json.loads(line)
                items.append((obj["text"], obj.get("direction", "to_child")))
    return items


@pytest.mark.parametrize("use_model", [True, False])
def test_score_many_equals_scoring_one_by_one_over_the_corpus(use_model):
    # The batch path (one model call, thresholds checked for the whole batch) must give exactly
    # the verdicts of Scorer.score: scores, severities, categories and evidence. (Not the raw
    # category_scores: the model's one-message path sums in another order, last bits may differ.)
    scorer = load_scorer(use_model=use_model)
    if use_model and scorer.model is None:
        pytest.skip(f"no model: {scorer.model_note}")
    items = corpus_items()
    if not items:
        pytest.skip("no corpus messages")
    batched = [v for i in range(0, len(items), 256) for v in scorer.score_many(items[i:i + 256])]
    for k, ((text, direction), many) in enumerate(zip(items, batched, strict=True)):
        one = scorer.score(text, direction)
        assert many.to_json(k) == one.to_json(k), text
