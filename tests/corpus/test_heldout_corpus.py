"""corpus/heldout: the independent held-out set keeps its schema, its independence and its ethics.

The set is for evaluation only (corpus/heldout/DATA_CARD.md). These tests fail when an edit breaks
the schema, uses a category outside the taxonomy, lets a label and its categories disagree, copies
or nearly copies a line of the training corpus (corpus/messages/*.jsonl, compared after
`classifiers.normalize.normalize`), puts a real-looking phone number or a URL other than
example.com into the text, or lets the data card's counts drift from the data.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pytest

from classifiers.categories import CATEGORIES, DIRECTIONS
from classifiers.normalize import normalize

ROOT = Path(__file__).resolve().parents[2]
HELDOUT = ROOT / "corpus" / "heldout"
MESSAGES = ROOT / "corpus" / "messages"
LANGS = {"id", "id-informal", "kupang", "jv", "en", "mixed"}
FIELDS = {"text", "label", "categories", "lang", "direction", "hard_negative"}
# Word-set Jaccard at or above which two messages of 4+ words count as near-duplicates.
NEAR_DUPLICATE = 0.8


def _load_check():
    spec = importlib.util.spec_from_file_location("heldout_check", HELDOUT / "check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check = _load_check()
LINES = (HELDOUT / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
RECORDS = [json.loads(line) for line in LINES]
NORMALIZED = [normalize(r["text"]).text for r in RECORDS]

# --- ethics: what counts as a phone number, an e-mail address or a URL -------------------------

PHONE = re.compile(r"(?<!\d)(?:\+?62|0)[\s.-]?8\d{1,2}(?:[\s.-]?\d){6,9}(?!\d)")
ALLOWED_PHONE = re.compile(r"^08\d\d-0000-0000$")
URL = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|net|org|id|io|me|ly|co)\b(?:/\S*)?")
ALLOWED_URL = re.compile(r"(?i)^(?:https?://)?(?:[a-z0-9-]+\.)*example\.com(?:[/?#]\S*)?$")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def ethics_problems(text: str) -> list[str]:
    out = [f"phone {m.group()!r}" for m in PHONE.finditer(text) if not ALLOWED_PHONE.match(m.group())]
    out += [f"url {m.group()!r}" for m in URL.finditer(text)
            if not ALLOWED_URL.match(m.group().rstrip(".,)"))]
    out += [f"email {m.group()!r}" for m in EMAIL.finditer(text) if not m.group().endswith("example.com")]
    return out


@pytest.mark.parametrize(("text", "bad"), [
    # invented numbers in the 0812-0000-0000 style pass; anything that could be a real line fails
    ("om pung nomor 0812-0000-0000", False),
    ("wa aku 0857-0000-0000 ya", False),
    ("wa aku 0812-3456-7890 ya", True),
    ("call +62 812 3456 7890", True),
    ("081234567890", True),
    # amounts, dates and game currency are not phone numbers
    ("pulsa 50.000 dan 1000 diamond tgl 12", False),
    # only example.com may be linked
    ("link: https://example.com/app", False),
    ("join di https://kelas.example.com/x", False),
    ("cek www.tokopulsa.co.id", True),
    ("klik bit.ly/abc", True),
    ("https://example.com.evil.net/x", True),
    ("mail budi@example.com", False),
    ("mail budi@gmail.com", True),
])
def test_ethics_patterns_tell_invented_contacts_from_real_looking_ones(text, bad):
    assert bool(ethics_problems(text)) is bad


def test_no_message_carries_a_real_looking_phone_number_url_or_email():
    found = [f"heldout.jsonl:{i}: {p}" for i, r in enumerate(RECORDS, 1) for p in ethics_problems(r["text"])]
    assert not found, found[:10]


# --- schema and labels -------------------------------------------------------------------------


def test_every_record_has_exactly_the_schema_fields_with_allowed_values():
    for i, r in enumerate(RECORDS, 1):
        where = f"heldout.jsonl:{i}"
        assert set(r) == FIELDS, where
        assert isinstance(r["text"], str) and r["text"].strip(), where
        assert r["label"] in (0, 1) and not isinstance(r["label"], bool), where
        assert r["lang"] in LANGS, where
        assert r["direction"] in DIRECTIONS, where
        assert isinstance(r["hard_negative"], bool), where


def test_categories_are_taxonomy_ids_without_repeats():
    for i, r in enumerate(RECORDS, 1):
        assert all(c in CATEGORIES for c in r["categories"]), f"heldout.jsonl:{i}"
        assert len(set(r["categories"])) == len(r["categories"]), f"heldout.jsonl:{i}"


def test_labels_agree_with_categories_and_hard_negatives_are_benign():
    for i, r in enumerate(RECORDS, 1):
        assert (r["label"] == 1) == bool(r["categories"]), f"heldout.jsonl:{i}"
        assert not (r["hard_negative"] and r["label"] == 1), f"heldout.jsonl:{i}"


def test_check_script_agrees_with_the_taxonomy_and_finds_no_problem():
    assert tuple(check.CATEGORIES) == CATEGORIES
    assert check.problems(RECORDS) == []


@pytest.mark.parametrize(("record", "complaint"), [
    ({"text": "x", "label": 1, "categories": [], "lang": "id", "direction": "to_child",
      "hard_negative": False}, "label 1 with categories"),
    ({"text": "x", "label": 1, "categories": ["grooming"], "lang": "id", "direction": "to_child",
      "hard_negative": False}, "categories"),
    ({"text": "x", "label": 1, "categories": ["meetup"], "lang": "id", "direction": "to_child",
      "hard_negative": True}, "hard_negative"),
    ({"text": "x", "label": 0, "categories": [], "lang": "fr", "direction": "to_child",
      "hard_negative": False}, "lang"),
])
def test_check_script_reports_a_broken_record_by_line(record, complaint):
    found = check.problems([record])
    assert len(found) == 1 and found[0].startswith("heldout.jsonl:1: " + complaint)


# --- coverage the data card promises ------------------------------------------------------------


def test_positive_share_and_hard_negative_share_are_as_documented():
    positives = sum(r["label"] for r in RECORDS)
    negatives = [r for r in RECORDS if r["label"] == 0]
    assert len(RECORDS) >= 700
    assert 0.40 <= positives / len(RECORDS) <= 0.55
    assert sum(r["hard_negative"] for r in negatives) >= len(negatives) / 2


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_has_positives_in_several_languages_alone_and_combined(category):
    rs = [r for r in RECORDS if category in r["categories"]]
    assert len({r["lang"] for r in rs}) == len(LANGS)
    assert any(len(r["categories"]) == 1 for r in rs)
    assert any(len(r["categories"]) > 1 for r in rs)


@pytest.mark.parametrize("lang", sorted(LANGS))
def test_each_language_has_both_labels_in_both_directions(lang):
    seen = Counter((r["label"], r["direction"]) for r in RECORDS if r["lang"] == lang)
    assert all(seen[(label, d)] > 0 for label in (0, 1) for d in DIRECTIONS), seen


def test_data_card_counts_are_the_ones_check_py_computes():
    assert check.card_tables() == check.tables(RECORDS)


# --- independence from the training corpus -------------------------------------------------------


def _word_sets(texts: list[str]) -> list[frozenset[str]]:
    return [frozenset(t.split()) for t in texts]


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b)


def test_no_two_heldout_messages_are_the_same_after_normalization():
    repeats = [t for t, n in Counter(NORMALIZED).items() if n > 1]
    assert not repeats, repeats


def test_no_heldout_message_copies_or_nearly_copies_a_training_corpus_line():
    training = [json.loads(line)["text"] for path in sorted(MESSAGES.glob("*.jsonl"))
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert training, "corpus/messages/*.jsonl is empty or missing"
    train_norm = [normalize(t).text for t in training]
    exact = set(train_norm)
    train_sets = [s for s in _word_sets(train_norm) if len(s) >= 4]
    clashes = []
    for i, (norm, words) in enumerate(zip(NORMALIZED, _word_sets(NORMALIZED), strict=True), 1):
        if norm in exact:
            clashes.append(f"heldout.jsonl:{i}: same as a training line")
        elif len(words) >= 4:
            best = max((_jaccard(words, s) for s in train_sets
                        if abs(len(s) - len(words)) <= len(words)), default=0.0)
            if best >= NEAR_DUPLICATE:
                clashes.append(f"heldout.jsonl:{i}: word overlap {best:.2f} with a training line")
    assert not clashes, clashes


@pytest.mark.parametrize(("a", "b", "near"), [
    ("nanti om isi pulsa kamu, jangan bilang mama", "Nanti om isi PULSA kamu!! jgn bilang mama", True),
    ("nanti om isi pulsa kamu, jangan bilang mama", "mama sudah isi pulsa kamu untuk sekolah", False),
])
def test_near_duplicate_measure_sees_through_spelling_but_not_shared_words(a, b, near):
    sa, sb = _word_sets([normalize(a).text, normalize(b).text])
    assert (_jaccard(sa, sb) >= NEAR_DUPLICATE) is near
