"""classifiers/train.py and `jaga train`: reproducible training on a tiny corpus written here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from classifiers import train as training
from classifiers.categories import CATEGORIES
from classifiers.model import (
    ALLOWED_TYPES,
    OUTPUTS,
    TRUSTED_TYPES,
    artifact_types,
    build_pipeline,
    file_sha256,
    load_model,
    model_inputs,
    save_model,
)

REPO = Path(__file__).resolve().parents[2]

# Invented messages: a few per category, each split with its own phrasings (no text repeats).
RISKY = {
    "offer_credit": ["om kasih pulsa {n}rb ya", "mau kuota gratis dari kakak", "tak isiin diamond ml",
                     "saldo dana kamu om tambahin", "beta kirim pulsa ko lu", "nanti om top up game"],
    "offer_money": ["om bayarin uang sekolah kamu", "om kasih duit jajan {n}rb", "om beliin hp baru",
                    "spp kamu om yang bayar", "om transfer uang ke kamu", "mau om kasih uang"],
    "meetup": ["ketemuan yuk di cafe", "om jemput pulang sekolah", "kita ke pantai malam ini",
               "datang ke hotel om", "main ke kos om ya", "om tunggu di mall"],
    "secrecy": ["jangan bilang mama ya", "hapus chat ini", "rahasia kita berdua",
                "jangan cerita ke guru", "sonde usah kasih tau mama", "ini rahasia kita"],
    "isolation": ["pindah ke wa aja", "bikin akun baru ya", "ortu kamu tidak ngerti kamu",
                  "chat di telegram aja", "teman kamu tidak peduli", "cuma om yang ngerti kamu"],
    "personal_info": ["umur kamu berapa", "sekolah dimana dek", "sendirian di rumah",
                      "ortu pulang jam berapa", "rumah kamu dimana", "kamu kelas berapa"],
    "photo_request": ["kirim foto dong", "vc yuk sekarang", "nyalain kamera",
                      "kirim selfie kamu", "foto kamu dong", "video call om ya"],
    "sexual": ["temenin om semalam dibayar", "jadi pacar rahasia om", "nginep sama om dibayar",
               "om bayar kalau kamu mau", "pacaran diam diam sama om", "temani om di kamar"],
    "flattery": ["kamu dewasa banget", "kamu beda dari yang lain", "kamu cantik sekali",
                 "kamu spesial buat om", "kamu pintar banget", "nona manis sekali"],
}
HARD = ["mama sudah transfer uang sekolah", "konter jual pulsa murah", "nongkrong di cafe sama teman",
        "jangan bilang adik ini kejutan", "bayar spp lewat sekolah", "kirim foto tugas kelompok",
        "umur nenek sudah tujuh puluh", "vc sama grup belajar", "papa jemput jam dua",
        "hapus chat grup spam", "mama beliin hp baru", "pulsa habis minta mama"]
ORDINARY = ["lagi apa", "udah makan belum", "besok ada pr", "haha lucu", "ok siap", "good morning",
            "nanti sore main bola", "lagi nonton", "wkwk", "mau tidur dulu", "hujan deras", "capek"]


def write_corpus(folder: Path) -> Path:
    """train: phrasings 0-3, validation: 4, test: 5 (so no message crosses a split)."""
    parts = {"train": range(4), "validation": [4], "test": [5]}
    folder.mkdir(parents=True, exist_ok=True)
    for split, indexes in parts.items():
        rows = []
        for i in indexes:
            for c in CATEGORIES:
                rows.append({"text": RISKY[c][i].format(n=10 * (i + 1)), "label": 1,
                             "categories": [c], "lang": "id", "direction": "to_child",
                             "hard_negative": False, "group": f"{c}{i}"})
            other = CATEGORIES[(CATEGORIES.index(c) + i) % len(CATEGORIES)]
            rows.append({"text": f"{RISKY['secrecy'][i]}, {RISKY[other][i].format(n=5)}",
                         "label": 1, "categories": sorted({"secrecy", other}), "lang": "id",
                         "group": f"combo{i}"})
            for j in (2 * i, 2 * i + 1):
                rows.append({"text": HARD[j], "label": 0, "categories": [], "lang": "id",
                             "direction": "to_child", "hard_negative": True, "group": f"h{j}"})
                rows.append({"text": ORDINARY[j], "label": 0, "categories": [], "lang": "en",
                             "direction": "from_child", "group": f"o{j}"})
        (folder / f"{split}.jsonl").write_text(
            "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    result = training.train(corpus, seed=0, n_boot=50)
    return result, save_model(result.pipeline, result.metadata, out)


# --- reproducibility ----------------------------------------------------------------------


def test_same_corpus_and_seed_give_the_same_artifact_and_figures(corpus, trained, tmp_path):
    first_result, first_path = trained
    again = training.train(corpus, seed=0, n_boot=50)
    path = save_model(again.pipeline, again.metadata, tmp_path)
    assert file_sha256(path) == file_sha256(first_path)
    assert again.metadata["figures"] == first_result.metadata["figures"]
    assert path.with_suffix(".json").read_bytes() == first_path.with_suffix(".json").read_bytes()


def test_a_changed_corpus_changes_the_recorded_corpus_hash(corpus, trained, tmp_path):
    changed = write_corpus(tmp_path / "c")
    with (changed / "train.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps({"text": "sampai jumpa besok", "label": 0}) + "\n")
    assert training.corpus_sha256(changed) != trained[0].metadata["corpus"]["sha256"]
    assert training.corpus_sha256(corpus) == trained[0].metadata["corpus"]["sha256"]


def test_a_blind_split_is_read_as_development_data(corpus, trained, tmp_path):
    with_blind = write_corpus(tmp_path / "c")
    rows = [{"text": text, "label": 0, "categories": [], "lang": "id", "hard_negative": True,
             "group": f"blind{i}"} for i, text in enumerate(
                 ["papa isi pulsa kamu tadi", "ibu guru minta foto tugas", "kakak jemput di les"])]
    (with_blind / "blind.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    meta = training.train(with_blind, seed=0, n_boot=10).metadata
    assert meta["corpus"]["counts"]["blind"] == 3
    cross_validated = meta["figures"]["cross_validated"]["combined"]
    assert cross_validated["n"] == trained[0].metadata["figures"]["cross_validated"]["combined"]["n"] + 3
    assert meta["corpus"]["sha256"] != trained[0].metadata["corpus"]["sha256"]


# --- cross-fitting -----------------------------------------------------------------------------


def test_folds_keep_each_group_whole_and_cover_every_message_once():
    examples = [training.Example(f"text {i}", i % 2, group=f"g{i // 4}") for i in range(80)]
    folds = training.cross_fitting_folds(examples, seed=0)
    assert len(folds) == training.FOLDS
    predicted = np.concatenate([rows for _, rows in folds])
    assert sorted(predicted.tolist()) == list(range(80))
    for fit_rows, predict_rows in folds:
        fitted_groups = {examples[i].group for i in fit_rows}
        assert not fitted_groups & {examples[i].group for i in predict_rows}
        assert not set(fit_rows.tolist()) & set(predict_rows.tolist())


def test_messages_without_a_group_are_each_their_own_and_few_groups_mean_fewer_folds():
    ungrouped = [training.Example(f"text {i}", i % 2) for i in range(20)]
    assert len(training.cross_fitting_folds(ungrouped, seed=0)) == training.FOLDS
    three_groups_per_label = [training.Example(f"t{i}", i % 2, group=f"g{i % 6}")
                              for i in range(30)]
    assert len(training.cross_fitting_folds(three_groups_per_label, seed=0)) == 3


def test_out_of_fold_scores_come_from_models_that_did_not_see_the_message():
    # Two contradictory groups: each alone would teach its own label for "pulsa".
    texts = ["om kasih pulsa", "pulsa dari om", "mama beli pulsa", "pulsa buat mama"] * 5
    examples = [training.Example(t, int(i % 4 < 2), group=f"g{i % 4}")
                for i, t in enumerate(texts)]
    inputs = model_inputs(texts, ["to_child"] * len(texts))
    y = np.array([[e.label] + [e.label] * len(CATEGORIES) for e in examples])
    folds = [(np.flatnonzero([e.group != g for e in examples]),
              np.flatnonzero([e.group == g for e in examples])) for g in ("g0", "g1", "g2", "g3")]
    oof = training.out_of_fold(inputs, y, folds, C=8.0, seed=0)
    fitted = build_pipeline(C=8.0).fit(inputs, y).predict_proba(inputs)
    assert oof.shape == y.shape
    # Seen in training, a message's own group pulls its score towards its label; out of fold
    # it cannot, so out-of-fold scores separate the labels less than in-sample scores do.
    gap = lambda p: p[y[:, 0] == 1, 0].mean() - p[y[:, 0] == 0, 0].mean()  # noqa: E731
    assert gap(oof) < gap(fitted)


# --- the artifact and its metadata ----------------------------------------------------------


def test_artifact_holds_only_reviewed_types(trained):
    import skops.io

    _, path = trained
    assert artifact_types(path) <= ALLOWED_TYPES
    assert skops.io.get_untrusted_types(file=path) == TRUSTED_TYPES


def test_metadata_records_versions_hashes_thresholds_and_held_out_figures(trained):
    import sklearn

    _, path = trained
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["sha256"] == file_sha256(path)
    assert meta["sklearn_version"] == sklearn.__version__
    assert meta["corpus"]["counts"] == {"train": 56, "validation": 14, "test": 14}
    assert set(meta["thresholds"]["categories"]) == set(CATEGORIES)
    assert set(meta["combine"]) == {"model_weight", "rule_weight", "bias"}
    assert meta["params"]["folds"] == training.FOLDS
    for split in ("cross_validated", "test"):
        assert set(meta["figures"][split]) == {"combined", "model", "rules"}
        combined = meta["figures"][split]["combined"]
        assert combined["threshold"] == 0.5
        assert {"precision", "recall", "f1", "pr_auc", "hard_negative_fpr", "ci"} <= set(combined)


def test_trained_model_loads_and_separates_its_own_kinds_of_message(trained):
    _, path = trained
    model = load_model(path)
    p = model.predict(["om kasih pulsa 20rb ya", "lagi apa"], ["to_child", "from_child"])
    assert p.shape == (2, len(OUTPUTS))
    assert p[0, 0] > p[1, 0]


def test_top_features_are_listed_for_every_output(trained):
    result, _ = trained
    assert set(result.top_features) == set(OUTPUTS)
    for sides in result.top_features.values():
        weights = [w for _, w in sides["towards"]]
        assert len(weights) == training.TOP_FEATURES and weights == sorted(weights, reverse=True)
        assert min(weights) > max(w for _, w in sides["against"])
    towards = [name for name, _ in result.top_features["offer_credit"]["towards"]]
    # the words that give offer_credit away in the small corpus, as words or in word pairs
    assert {"words__kuota", "words__pulsa"} & set(towards)
    assert any(name.startswith("pairs__") for name in towards)


# --- bad input ----------------------------------------------------------------------------


def test_bad_lines_are_reported_with_file_and_line_and_skipped(corpus, tmp_path):
    bad = write_corpus(tmp_path / "bad")
    with (bad / "train.jsonl").open("a", encoding="utf-8") as f:
        f.write("{not json\n")
        f.write(json.dumps({"text": "x", "label": 2}) + "\n")
        f.write(json.dumps({"text": "x", "label": 1, "categories": ["nope"]}) + "\n")
    examples, problems = training.read_examples(bad / "train.jsonl")
    assert len(examples) == 56
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{bad / 'train.jsonl'}:{n}" for n in (57, 58, 59)]


@pytest.mark.parametrize("damage, message", [
    ("remove validation", "validation.jsonl: missing"),
    ("only benign in train", "train.jsonl: needs both labels"),
    ("no flattery in train", "no message of category flattery"),
])
def test_a_corpus_that_cannot_train_is_a_clear_error(tmp_path, damage, message):
    folder = write_corpus(tmp_path / "c")
    if damage == "remove validation":
        (folder / "validation.jsonl").unlink()
    elif damage == "no flattery in train":
        rows = [json.loads(line) for line in (folder / "train.jsonl").read_text().splitlines()]
        kept = [r for r in rows if "flattery" not in r["categories"]]
        (folder / "train.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    else:
        rows = [json.dumps({"text": t, "label": 0}) for t in ORDINARY]
        (folder / "train.jsonl").write_text("\n".join(rows) + "\n")
    with pytest.raises(ValueError, match=message):
        training.train(folder, n_boot=10)


# --- the command ----------------------------------------------------------------------------


def test_jaga_train_writes_a_loadable_model_and_prints_figures(corpus, trained, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "agent", "train", "--corpus", str(corpus), "--out", str(tmp_path),
         "--bootstrap", "50"], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "most influential features" in result.stdout
    assert "F1" in result.stdout
    # The command builds exactly what the library call built.
    assert file_sha256(tmp_path / "jaga-model.skops") == file_sha256(trained[1])


def test_jaga_train_on_a_missing_folder_is_a_usage_error(tmp_path):
    result = subprocess.run([sys.executable, "-m", "agent", "train", "--corpus",
                             str(tmp_path / "absent"), "--out", str(tmp_path)],
                            capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.returncode == 2
    assert "no such corpus folder" in result.stderr


# --- the combination with the rules ---------------------------------------------------------


def _combined(weights, rule_scores, model_ps):
    from classifiers.model import combined_score

    return [combined_score(r, m, **weights) for r, m in zip(rule_scores, model_ps, strict=True)]


def test_combination_keeps_rules_low_when_they_fire_on_hard_negatives():
    import numpy as np

    # The model separates perfectly; the rules fire on every hard negative and on no positive.
    y = np.array([1] * 10 + [0] * 20)
    # From a rule weight of 1.8 the hard negatives would outscore the positives.
    model_p = np.array([0.6] * 10 + [0.2] * 20)
    rules = np.array([0.0] * 10 + [1.0] * 10 + [0.0] * 10)
    hard = np.array([False] * 10 + [True] * 10 + [False] * 10)
    weights = training.fit_combination(y, model_p, rules, hard)
    assert weights["rule_weight"] == 1.5  # the largest weight that keeps them out
    flagged = np.array(_combined(weights, rules, model_p)) >= 0.5
    assert flagged.tolist() == y.astype(bool).tolist()


def test_combination_weighs_rules_up_when_they_find_what_the_model_misses():
    import numpy as np

    # Half the positives score below every negative in the model, and only the rules see them:
    # they need a rule weight above logit(0.5) - logit(0.2) = 1.39.
    y = np.array([1] * 10 + [0] * 20)
    model_p = np.array([0.9] * 5 + [0.2] * 5 + [0.5] * 20)
    rules = np.array([0.0] * 5 + [1.0] * 5 + [0.0] * 20)
    hard = np.array([False] * 10 + [True] * 10 + [False] * 10)
    weights = training.fit_combination(y, model_p, rules, hard)
    assert weights["rule_weight"] >= 1.5
    flagged = np.array(_combined(weights, rules, model_p)) >= 0.5
    assert flagged.tolist() == y.astype(bool).tolist()


def test_combination_keeps_the_limit_on_blind_rows_where_rules_misfire():
    import numpy as np

    # Rules written on the non-blind rows fire on none of their hard negatives, but on two of
    # the ten blind ones: 2% of all hard negatives (within the limit), 20% of the blind ones.
    y = np.array([1] * 10 + [0] * 100)
    model_p = np.array([0.9] * 5 + [0.2] * 5 + [0.3] * 100)
    rules = np.array([0.0] * 5 + [1.0] * 5 + [0.0] * 98 + [1.0] * 2)
    hard = np.array([False] * 10 + [True] * 100)
    blind = np.array([False] * 100 + [True] * 10)
    free = training.fit_combination(y, model_p, rules, hard)
    honest = training.fit_combination(y, model_p, rules, hard, blind=blind)
    flagged = lambda w: np.array(_combined(w, rules, model_p)) >= 0.5  # noqa: E731
    assert flagged(free)[y == 1].all() and flagged(free)[hard & blind].sum() == 2
    assert not flagged(honest)[hard & blind].any()
    assert honest["rule_weight"] < free["rule_weight"]
