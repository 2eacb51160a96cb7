"""corpus/messages: the labelled message splits keep their schema, separation and ethics rules.

These read the committed train/validation.jsonl (development data the model is trained on) and the
hand-written sources they are built from, and fail when an edit breaks one of the corpus promises
made in corpus/messages/DATA_CARD.md.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from classifiers.categories import CATEGORIES, DIRECTIONS

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "messages"
SPLITS = ("train", "validation")  # the test split is written apart: test_written_blind_sets.py
LANGS = {"id", "id-informal", "kupang", "jv", "en", "mixed"}
FIELDS = {"text", "label", "categories", "lang", "direction", "hard_negative", "group"}


def _load_build():
    spec = importlib.util.spec_from_file_location("corpus_build", CORPUS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


build = _load_build()


def _read(split: str) -> list[dict]:
    lines = (CORPUS / f"{split}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


DATA = {s: _read(s) for s in SPLITS}
ALL = [r for s in SPLITS for r in DATA[s]]


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


# --- schema -------------------------------------------------------------------------------


@pytest.mark.parametrize("split", SPLITS)
def test_every_record_has_exactly_the_schema_fields_with_allowed_values(split):
    for i, r in enumerate(DATA[split], 1):
        where = f"{split}.jsonl:{i}"
        assert set(r) == FIELDS, where
        assert isinstance(r["text"], str) and r["text"].strip(), where
        assert r["label"] in (0, 1), where
        assert r["lang"] in LANGS, where
        assert r["direction"] in DIRECTIONS, where
        assert isinstance(r["hard_negative"], bool), where
        assert isinstance(r["group"], str) and r["group"], where
        assert all(c in CATEGORIES for c in r["categories"]), where
        assert len(set(r["categories"])) == len(r["categories"]), where


@pytest.mark.parametrize("split", SPLITS)
def test_label_agrees_with_categories_and_hard_negatives_are_benign(split):
    for i, r in enumerate(DATA[split], 1):
        assert r["label"] == (1 if r["categories"] else 0), f"{split}.jsonl:{i}"
        if r["hard_negative"]:
            assert r["label"] == 0, f"{split}.jsonl:{i}"


# --- separation between splits ------------------------------------------------------------


def test_no_group_crosses_a_split():
    owner: dict[str, str] = {}
    for s in SPLITS:
        for r in DATA[s]:
            assert owner.setdefault(r["group"], s) == s, r["group"]


def test_no_normalized_text_appears_twice_anywhere():
    counts = Counter(_norm(r["text"]) for r in ALL)
    assert [t for t, n in counts.items() if n > 1] == []


def test_no_near_duplicate_between_train_and_validation():
    held_out = "validation"
    train = [(r["text"], build.shingles(r["text"])) for r in DATA["train"]]
    index: dict[str, list[int]] = {}
    for i, (_, sh) in enumerate(train):
        for x in sh:
            index.setdefault(x, []).append(i)
    for r in DATA[held_out]:
        sh = build.shingles(r["text"])
        shared = Counter(j for x in sh for j in index.get(x, ()))
        for j, inter in shared.items():
            sim = inter / (len(sh) + len(train[j][1]) - inter)
            assert sim <= build.NEAR_DUP, (r["text"], train[j][0], sim)


def test_near_duplicate_check_catches_a_light_edit():
    a = build.shingles("nanti om bayarin uang sekolah kamu, asal jangan bilang mama")
    b = build.shingles("nanti om bayarin uang sekolah kamu asal jangan bilang mama ya")
    c = build.shingles("mama sudah transfer uang sekolah ke rekening sekolah")
    assert build.jaccard(a, b) > build.NEAR_DUP
    assert build.jaccard(a, c) < build.NEAR_DUP


def test_splits_are_roughly_85_15():
    n = len(ALL)
    assert 0.80 <= len(DATA["train"]) / n <= 0.90
    assert 0.10 <= len(DATA["validation"]) / n <= 0.20


# --- balance and coverage -----------------------------------------------------------------


def test_corpus_is_large_and_roughly_45_percent_positive():
    assert len(ALL) >= 2400
    share = sum(r["label"] for r in ALL) / len(ALL)
    assert 0.38 <= share <= 0.52, share


@pytest.mark.parametrize("split", SPLITS)
def test_each_split_has_both_labels_in_similar_proportion(split):
    share = sum(r["label"] for r in DATA[split]) / len(DATA[split])
    assert 0.33 <= share <= 0.57, share


@pytest.mark.parametrize("split", SPLITS)
def test_at_least_half_of_the_negatives_are_hard(split):
    negatives = [r for r in DATA[split] if r["label"] == 0]
    assert sum(r["hard_negative"] for r in negatives) >= len(negatives) / 2


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_is_represented_in_every_split(category):
    for s in SPLITS:
        assert sum(category in r["categories"] for r in DATA[s]) >= 5, (category, s)


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_every_language_has_positives_and_negatives(lang):
    labels = Counter(r["label"] for r in ALL if r["lang"] == lang)
    assert labels[0] >= 20 and labels[1] >= 20, labels


def test_both_directions_carry_risk():
    assert sum(r["label"] for r in ALL if r["direction"] == "from_child") >= 50
    assert sum(1 - r["label"] for r in ALL if r["direction"] == "from_child") >= 50


def test_combinations_of_categories_are_present():
    assert sum(len(r["categories"]) >= 2 for r in ALL) >= 200


# --- data ethics (spec/taxonomy.md) ------------------------------------------------------


PHONE = re.compile(r"\+?\d[\d\s.-]{7,}\d")


@pytest.mark.parametrize(
    "text, ok",
    [
        # the invented number pattern and example.com are the only ones allowed
        ("nomor aku 0812-0000-0000 om", True),
        ("nomor aku 081234567890 om", False),
        ("kirim ke +62 812 3456 7890", False),
        ("email panitia@example.com", True),
        ("cek https://example.com/promo", True),
        ("klik https://hadiah-pulsa.net", False),
        ("www.tokopulsa.co.id", False),
        # prices and quantities are not phone numbers
        ("pulsa 50rb, kuota 10gb, Rp1.500.000", True),
        # nothing graphic
        ("temenin om semalam, dibayar", True),
        ("foto bugil", False),
    ],
)
def test_ethics_checker_accepts_and_rejects(text, ok):
    assert (build.ethics_problems(text) == []) is ok


def test_no_record_breaks_the_ethics_rules():
    bad = [(r["text"], build.ethics_problems(r["text"])) for r in ALL]
    assert [b for b in bad if b[1]] == []


def test_only_the_invented_phone_number_pattern_appears():
    for r in ALL:
        for m in PHONE.finditer(r["text"]):
            if len(re.sub(r"\D", "", m.group())) >= 9:
                assert re.fullmatch(r"08\d\d-0000-0000", m.group()), r["text"]


# --- the build is reproducible and matches the committed files ---------------------------


def test_sources_rebuild_to_exactly_the_committed_splits():
    messages = build.load_all()
    assert build.check(messages) == []
    parts = build.split(messages)
    for s in SPLITS:
        assert [m.record() for m in parts[s]] == DATA[s], s


def test_data_card_counts_are_the_ones_build_computes():
    card = (CORPUS / "DATA_CARD.md").read_text(encoding="utf-8")
    parts = build.split(build.load_all())
    assert build.tables(parts) in card


@pytest.mark.parametrize(
    "source, error",
    [
        ("hello\n", "before any '@' group header"),
        ("@ g1 xx tc -\nhi\n", "header must be"),
        ("@ g1 id tc zz\nhi\n", "unknown category code"),
        ("@ g1 id tc pc\n[pc\n", "unclosed"),
    ],
)
def test_malformed_source_names_file_and_line(tmp_path, source, error):
    path = tmp_path / "bad.txt"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(ValueError, match=error) as info:
        build.parse_source(path)
    assert "bad.txt:" in str(info.value)
