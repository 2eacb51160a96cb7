"""classifiers/model.py: the shipped model loads safely, predicts as its Pipeline does, and every
kind of bad model file is refused with a clear error, leaving the scorer on its rules."""

from __future__ import annotations

import json
import logging
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from agent.config import DetectionSection
from classifiers import model as model_module
from classifiers import wordpairs
from classifiers.categories import CATEGORIES
from classifiers.model import (
    DEFAULT_MODEL_PATH,
    OUTPUTS,
    ModelError,
    combined_score,
    get_model,
    load_model,
    save_model,
)
from classifiers.normalize import normalize
from classifiers.scorer import load_scorer


@pytest.fixture(scope="module")
def shipped():
    return load_model(DEFAULT_MODEL_PATH)


@pytest.fixture
def copy(tmp_path) -> Path:
    """A copy of the shipped model and its metadata, free to damage."""
    shutil.copy(DEFAULT_MODEL_PATH, tmp_path / DEFAULT_MODEL_PATH.name)
    shutil.copy(DEFAULT_MODEL_PATH.with_suffix(".json"), tmp_path / "jaga-model.json")
    return tmp_path / DEFAULT_MODEL_PATH.name


def edit_metadata(path: Path, **changes) -> None:
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text())
    meta.update(changes)
    meta_path.write_text(json.dumps(meta))


# --- the shipped model ----------------------------------------------------------------------


def test_shipped_model_is_small_and_matches_its_metadata(shipped):
    assert DEFAULT_MODEL_PATH.stat().st_size < 5_000_000
    assert shipped.metadata["sha256"] == model_module.file_sha256(DEFAULT_MODEL_PATH)
    assert shipped.metadata["outputs"] == list(OUTPUTS)


TEXTS = [
    ("nanti om kasih pulsa 50rb, jangan bilang mama ya", "to_child"),
    ("mama sudah transfer uang sekolah", "to_child"),
    ("iya aku sendirian di rumah", "from_child"),
    ("", "to_child"),  # nothing at all
    ("   \t ", "from_child"),
    ("a", "to_child"),  # shorter than every n-gram but the padded one
    ("P U L S A gratis 🎁 ḱirim fóto", "to_child"),
    ("kamu " * 300, "to_child"),  # long, repeated words
    ("besok ketemuan di cafe ya", "sideways"),  # unknown direction: no direction feature
]


def test_fast_prediction_equals_the_pipelines_own(shipped):
    texts = [normalize(t).text for t, _ in TEXTS]
    directions = [d for _, d in TEXTS]
    fast = shipped.predict(texts, directions)
    reference = shipped.predict_reference(texts, directions)
    assert fast.shape == (len(TEXTS), len(OUTPUTS))
    np.testing.assert_allclose(fast, reference, rtol=0, atol=1e-9)


# Texts the normalizer would not write: the batch path splits on spaces only where a text holds
# nothing but word characters and spaces, else it tokenizes as scikit-learn does.
RAW_TEXTS = ["om, kasih pulsa!! jangan bilang mama ya", "nanti\tom  jemput\n di sekolah",
             "snake_case kata_kata", "  spasi   di tepi  ", "٣ ٤ angka ² ½", "a\x00b \x00 c",
             "kamu kamu kamu", "jangan bilang"]


@pytest.mark.parametrize("batch", [RAW_TEXTS, RAW_TEXTS[-2:]], ids=["mixed", "words only"])
def test_fast_prediction_of_any_text_equals_the_pipelines_own(shipped, batch):
    directions = ["to_child"] * len(batch)
    reference = shipped.predict_reference(batch, directions)
    np.testing.assert_allclose(shipped.predict(batch, directions), reference, rtol=0, atol=1e-9)
    single = np.vstack([shipped.predict([t], ["to_child"]) for t in batch])
    np.testing.assert_allclose(single, reference, rtol=0, atol=1e-9)


def test_one_message_at_a_time_equals_the_batch(shipped):
    texts = [normalize(t).text for t, _ in TEXTS]
    directions = [d for _, d in TEXTS]
    batch = shipped.predict(texts, directions)
    single = np.vstack([shipped.predict([t], [d]) for t, d in zip(texts, directions, strict=True)])
    np.testing.assert_allclose(single, batch, atol=1e-12)


def test_get_model_loads_once_in_a_child_and_predicts_the_same(copy, shipped):
    model_module.clear_cache()
    isolated = get_model(copy)
    assert get_model(copy) is isolated
    assert isolated.pipeline is None  # only the arrays came back
    assert isolated.metadata == shipped.metadata
    texts = [normalize(t).text for t, _ in TEXTS]
    directions = [d for _, d in TEXTS]
    np.testing.assert_array_equal(isolated.predict(texts, directions),
                                  shipped.predict(texts, directions))
    model_module.clear_cache()


# --- bad model files: each refused with its kind and what to do -----------------------------


def corrupt_zip(path: Path) -> None:
    path.write_bytes(b"PK\x03\x04 this is not a zip file at all")
    edit_metadata(path, sha256=model_module.file_sha256(path))


def flip_a_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("damage, kind, says", [
    (lambda p: p.unlink(), "missing", "jaga train"),
    (lambda p: p.with_suffix(".json").unlink(), "metadata", "metadata"),
    (lambda p: p.with_suffix(".json").write_text("{oops"), "metadata", "unreadable"),
    (lambda p: edit_metadata(p, corpus={}), "metadata", "corpus hash"),
    (flip_a_byte, "tampered", "does not match its metadata"),
    (corrupt_zip, "corrupted", "not a readable skops file"),
    (lambda p: edit_metadata(p, sklearn_version="0.24.2"), "version", "scikit-learn 0.24.2"),
])
def test_bad_model_file_is_refused_with_a_clear_error(copy, damage, kind, says):
    damage(copy)
    with pytest.raises(ModelError, match=says) as e:
        load_model(copy)
    assert e.value.kind == kind


def test_without_a_usable_interpreter_the_model_loads_in_process(copy, monkeypatch):
    # e.g. a frozen mitmdump as sys.executable: the same checks then run in this process
    monkeypatch.setattr("sys.executable", str(copy.parent / "no-such-python"))
    model_module.clear_cache()
    model = get_model(copy)
    assert model.pipeline is not None and model.linear is not None
    model_module.clear_cache()


def test_the_child_loader_refuses_a_bad_file_with_the_same_kind(copy):
    flip_a_byte(copy)
    model_module.clear_cache()
    with pytest.raises(ModelError, match="does not match its metadata") as e:
        get_model(copy)
    assert e.value.kind == "tampered"
    model_module.clear_cache()


def _save_with_metadata(pipeline, folder: Path) -> Path:
    """A file saved the jaga way (hashes right), holding whatever `pipeline` holds."""
    meta = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text())
    keep = {k: meta[k] for k in ("corpus", "combine", "thresholds")}
    return save_model(pipeline, keep, folder)


@pytest.mark.parametrize("extra_step, refused_type", [
    # trusted by skops' defaults, but not on jaga's reviewed list
    ("scaler", "sklearn.preprocessing._data.StandardScaler"),
    # not trusted by skops at all: a type that could run code when built
    ("counter", "collections.Counter"),
])
def test_model_holding_unreviewed_types_is_refused(tmp_path, shipped, extra_step, refused_type):
    import collections

    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    steps = list(shipped.pipeline.steps)
    step = StandardScaler(with_mean=False) if extra_step == "scaler" else None
    pipeline = Pipeline([*steps[:1], (extra_step, step), *steps[1:]])
    if extra_step == "counter":
        pipeline.extra = collections.Counter(a=1)
    path = _save_with_metadata(pipeline, tmp_path)
    with pytest.raises(ModelError, match="does not trust") as e:
        load_model(path)
    assert e.value.kind == "untrusted"
    assert refused_type in str(e.value)


def test_trusted_types_are_exactly_what_the_shipped_model_needs():
    import skops.io

    assert skops.io.get_untrusted_types(file=DEFAULT_MODEL_PATH) == model_module.TRUSTED_TYPES
    assert model_module.artifact_types(DEFAULT_MODEL_PATH) == model_module.ALLOWED_TYPES


def test_the_artifact_is_a_zip_of_arrays_and_json_never_a_pickle():
    with zipfile.ZipFile(DEFAULT_MODEL_PATH) as z:
        names = z.namelist()
        assert "schema.json" in names
        assert all(n == "schema.json" or n.endswith(".npy") for n in names)
        assert all(not z.read(n).startswith(b"\x80") for n in names)  # no pickle protocol


# --- the scorer with the model --------------------------------------------------------------


def test_scorer_uses_the_model_and_shows_its_probability(shipped):
    scorer = load_scorer()
    assert scorer.describe()["model"]["loaded"] is True
    verdict = scorer.score("nanti om kasih pulsa 50rb, jangan bilang mama ya")
    model_evidence = [e for e in verdict.evidence if e.source == "model"]
    assert len(model_evidence) == 1 and 0.0 <= model_evidence[0].score <= 1.0
    assert set(verdict.categories) <= set(CATEGORIES)


def test_score_many_equals_score_one_by_one():
    scorer = load_scorer()
    batch = scorer.score_many(TEXTS)
    for (text, direction), verdict in zip(TEXTS, batch, strict=True):
        one = scorer.score(text, direction)
        # the same verdict; probabilities equal up to the order of floating-point sums
        assert (one.flagged, one.severity, one.categories) == (
            verdict.flagged, verdict.severity, verdict.categories)
        assert one.score == pytest.approx(verdict.score, abs=1e-12)
        assert one.category_scores == pytest.approx(verdict.category_scores, abs=1e-12)
        assert [e.to_json() for e in one.evidence] == [e.to_json() for e in verdict.evidence]


def test_direction_reaches_the_model(shipped):
    text = normalize("iya aku sendirian di rumah").text
    p = shipped.predict([text, text], ["to_child", "from_child"])
    assert p[0, 0] != p[1, 0]


def test_broken_model_leaves_the_rules_and_says_so_once(copy, caplog):
    flip_a_byte(copy)
    model_module.clear_cache()
    with caplog.at_level(logging.WARNING):
        first = load_scorer(DetectionSection(model=str(copy)))
        second = load_scorer(DetectionSection(model=str(copy)))
    warnings = [r for r in caplog.records if "model not loaded" in r.getMessage()]
    assert len(warnings) == 1
    assert "does not match its metadata" in warnings[0].getMessage()
    for scorer in (first, second):
        assert scorer.model is None
        assert "tampered" in scorer.describe()["model"]["reason"]
        assert scorer.score("nanti om kasih pulsa 50rb").score >= 0  # still scores, by rules
    model_module.clear_cache()


@pytest.mark.parametrize("detection, reason", [
    (DetectionSection(use_model=False), "turned off"),
    (DetectionSection(builtin_rules=False), "built-in rules are off"),
])
def test_scorer_without_the_model_says_why(detection, reason):
    scorer = load_scorer(detection)
    assert scorer.model is None
    assert reason in scorer.describe()["model"]["reason"]


def test_configured_weights_override_the_tuned_ones():
    scorer = load_scorer(DetectionSection(model_weight=0.0, rule_weight=0.0, combine_bias=3.0))
    # with both weights zero the score is sigmoid(bias) whatever the message
    assert scorer.score("lagi apa").score == pytest.approx(1 / (1 + np.exp(-3.0)))


# --- the combination ------------------------------------------------------------------------


@pytest.mark.parametrize("low, high", [((0.0, 0.2), (0.0, 0.8)), ((0.1, 0.5), (0.9, 0.5))])
def test_combined_score_rises_with_either_signal(low, high):
    weights = {"model_weight": 1.5, "rule_weight": 2.0, "bias": -1.0}
    assert combined_score(*low, **weights) < combined_score(*high, **weights)


def test_combined_score_stays_a_probability_at_the_extremes():
    weights = {"model_weight": 1.5, "rule_weight": 2.0, "bias": -1.0}
    for r, m in ((0.0, 0.0), (1.0, 1.0), (0.0, 1.0)):
        assert 0.0 <= combined_score(r, m, **weights) <= 1.0


# --- the run-time arrays reproduce any Pipeline of this shape exactly ------------------------

TRAIN_TEXTS = ["om kasih pulsa", "jangan bilang mama", "lagi apa", "a b c", "kirim foto dong",
               "besok ada pr", "kamu cantik sekali", "ok", "ketemuan di cafe", "mama jemput"]


@pytest.mark.parametrize("char_range, word_range, exact", [
    ((1, 3), (1, 2), True), ((2, 5), (1, 3), True), ((3, 5), (2, 3), True),
    ((4, 6), (1, 2), False),  # words shorter than 4 with padding are kept whole by scikit-learn
])
def test_run_time_arrays_equal_the_pipeline_or_decline(char_range, word_range, exact):
    from classifiers.model_runtime import LinearModel

    pipeline = model_module.build_pipeline(C=1.0)
    pipeline.set_params(features__chars__ngram_range=char_range, features__chars__min_df=1,
                        features__words__ngram_range=word_range, features__words__min_df=1,
                        features__pairs__min_df=1)
    y = np.array([[i % 2] + [int((i + k) % 3 == 0) for k in range(9)] for i in range(10)])
    directions = ["to_child", "from_child"] * 5
    pipeline.fit(model_module.model_inputs(TRAIN_TEXTS, directions), y)
    linear = LinearModel.from_pipeline(pipeline)
    if not exact:
        assert linear is None
        return
    assert [b.analyzer for b in linear.blocks] == ["char_wb", "word", "pairs"]
    # pairs repeated unevenly in one message (each counted once: with counts, "kasih|om" would
    # weigh more than "kasih|pulsa"), and pairs further apart than the window
    repeated = ["om kasih om kasih pulsa", " ".join(["om"] + ["x"] * 9 + ["pulsa"])]
    texts = [normalize(t).text for t, _ in TEXTS] + RAW_TEXTS + repeated
    dirs = [d for _, d in TEXTS] + ["from_child"] * (len(RAW_TEXTS) + len(repeated))
    reference = pipeline.predict_proba(model_module.model_inputs(texts, dirs))
    np.testing.assert_allclose(linear.predict(texts, dirs), reference, rtol=0, atol=1e-9)
    one_by_one = np.vstack([linear.predict([t], [d]) for t, d in zip(texts, dirs, strict=True)])
    np.testing.assert_allclose(one_by_one, reference, rtol=0, atol=1e-9)


def _fit(pipeline, columns: int = 3):
    y = np.array([[i % 2] + [int((i + k) % 3 == 0) for k in range(9)] for i in range(10)])
    inputs = model_module.model_inputs(TRAIN_TEXTS, ["to_child", "from_child"] * 5)
    return pipeline.fit(inputs[:, :columns], y)


def test_run_time_arrays_decline_pairs_counted_rather_than_once():
    from classifiers.model_runtime import LinearModel

    pipeline = model_module.build_pipeline(C=1.0)
    pipeline.set_params(features__chars__min_df=1, features__words__min_df=1,
                        features__pairs__min_df=1, features__pairs__binary=False)
    assert LinearModel.from_pipeline(_fit(pipeline)) is None


def test_a_model_from_before_word_pairs_still_predicts_exactly(tmp_path):
    pipeline = model_module.build_pipeline(C=1.0)
    features = pipeline.named_steps["features"]
    features.set_params(transformers=[t for t in features.transformers if t[0] != "pairs"])
    pipeline.set_params(features__chars__min_df=1, features__words__min_df=1)
    old = model_module.RiskModel(_fit(pipeline, columns=2), {}, tmp_path / "old.skops")
    old.check()
    assert [b.analyzer for b in old.linear.blocks] == ["char_wb", "word"]
    texts = [normalize(t).text for t, _ in TEXTS]
    dirs = [d for _, d in TEXTS]
    reference = old.predict_reference(texts, dirs)
    assert reference.shape == (len(texts), len(OUTPUTS))
    np.testing.assert_allclose(old.predict(texts, dirs), reference, rtol=0, atol=1e-9)


def test_a_model_trained_with_another_pair_window_is_refused(tmp_path):
    pipeline = model_module.build_pipeline(C=1.0)
    pipeline.set_params(features__chars__min_df=1, features__words__min_df=1,
                        features__pairs__min_df=1)
    meta = {"params": {"pair_window": wordpairs.WINDOW + 1}}
    model = model_module.RiskModel(_fit(pipeline), meta, tmp_path / "m.skops")
    with pytest.raises(ModelError, match="word pairs at most 9 words apart"):
        model.check()
