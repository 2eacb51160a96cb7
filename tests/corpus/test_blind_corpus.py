"""corpus/blind/: the blind set, development data written without reading the corpus, rules or errors."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BLIND = ROOT / "corpus" / "blind"


def _module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUILD = _module("blind_build", BLIND / "build.py")
CORPUS_BUILD = BUILD.corpus_build
RECORDS = [json.loads(line) for line in
           (ROOT / "corpus" / "messages" / "blind.jsonl").read_text(encoding="utf-8").splitlines()]
MESSAGES = CORPUS_BUILD.load_all(BLIND / "src")


def test_sources_rebuild_to_exactly_the_committed_file():
    assert [m.record() for m in MESSAGES] == RECORDS


def test_sources_pass_the_corpus_checks():
    assert CORPUS_BUILD.check(MESSAGES) == []


def test_data_card_counts_are_the_ones_build_computes():
    card = (BLIND / "DATA_CARD.md").read_text(encoding="utf-8")
    counts = card.split(BUILD.START, 1)[1].split(BUILD.END, 1)[0].strip()
    assert counts == BUILD.table(MESSAGES)


def test_it_holds_both_labels_hard_negatives_and_every_language():
    hard = sum(r["hard_negative"] for r in RECORDS)
    risky = sum(r["label"] for r in RECORDS)
    assert len(RECORDS) >= 800 and hard >= 250 and 0.3 <= risky / len(RECORDS) <= 0.6
    assert {r["lang"] for r in RECORDS} == {"id", "id-informal", "kupang", "jv", "en", "mixed"}


def test_no_message_copies_or_nearly_copies_a_corpus_line():
    assert BUILD.overlaps_with_corpus(MESSAGES) == []


def test_no_message_nearly_copies_a_heldout_message():
    assert BUILD.overlaps_with_heldout(MESSAGES) == []


def test_overlap_check_catches_a_lightly_edited_corpus_line():
    line = CORPUS_BUILD.load_all()[0]
    edited = CORPUS_BUILD.Message(line.text + " ya", line.label, line.categories, line.lang,
                                  line.direction, line.hard_negative, "cal-copy", "x.txt:1")
    assert BUILD.overlaps_with_corpus([edited]) == [f"x.txt:1: nearly copies corpus line {line.where}"]


def test_training_reads_it_as_development_data():
    from classifiers.train import DEVELOPMENT

    assert "blind" in DEVELOPMENT
    assert (ROOT / "corpus" / "messages" / "blind.jsonl").exists()
