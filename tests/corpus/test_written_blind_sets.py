"""corpus/blind/ and corpus/test/: the sets written blind, without reading the corpus, rules or errors.

The blind set is development data; the test split is what the shipped model is measured on.
Both must rebuild from their sources, pass the corpus's checks, and stay apart from each other,
from the message corpus and from the independent held-out set.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LANGS = {"id", "id-informal", "kupang", "jv", "en", "mixed"}


sys.path.insert(0, str(ROOT / "corpus" / "messages"))
import build as _corpus_build  # noqa: E402  (corpus/messages/build.py)

BLIND_BUILD = _corpus_build.load_build("blind")
TEST_BUILD = _corpus_build.load_build("test")
CORPUS_BUILD = BLIND_BUILD.corpus_build
SETS = {"blind": (BLIND_BUILD, ROOT / "corpus" / "blind"),
        "test": (TEST_BUILD, ROOT / "corpus" / "test")}


def _records(name: str) -> list[dict]:
    path = ROOT / "corpus" / "messages" / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _messages(name: str) -> list:
    return CORPUS_BUILD.load_all(SETS[name][1] / "src")


@pytest.fixture(scope="module", params=list(SETS))
def written(request):
    name = request.param
    build, folder = SETS[name]
    return name, build, folder, _messages(name), _records(name)


def test_sources_rebuild_to_exactly_the_committed_file(written):
    _, build, _, messages, records = written
    assert [m.record() for m in messages] == records
    assert build.OUT.name == f"{written[0]}.jsonl"


def test_sources_pass_every_check_of_their_build(written):
    _, build, _, messages, _ = written
    assert build.problems(messages) == []


def test_data_card_counts_are_the_ones_build_computes(written):
    _, _, folder, messages, _ = written
    card = (folder / "DATA_CARD.md").read_text(encoding="utf-8")
    counts = card.split(_corpus_build.COUNTS_START, 1)[1].split(_corpus_build.COUNTS_END, 1)[0].strip()
    assert counts == BLIND_BUILD.table(messages)


def test_it_holds_both_labels_hard_negatives_and_every_language(written):
    _, _, _, _, records = written
    hard = sum(r["hard_negative"] for r in records)
    risky = sum(r["label"] for r in records)
    assert len(records) >= 800 and hard >= 250 and 0.3 <= risky / len(records) <= 0.6
    assert {r["lang"] for r in records} == LANGS


def test_no_message_nearly_copies_a_heldout_message(written):
    _, _, _, messages, _ = written
    assert BLIND_BUILD.overlaps_with_heldout(messages) == []


def test_the_test_split_nearly_copies_no_development_line_as_written_or_as_read():
    development = TEST_BUILD.development()
    assert {m.group for m in development} & {m.group for m in _messages("test")} == set()
    assert BLIND_BUILD.overlaps_with_corpus(_messages("test"), development,
                                            BLIND_BUILD.AS_WRITTEN_AND_READ) == []


def test_the_blind_set_nearly_copies_no_line_of_the_corpus_or_the_test_split():
    assert BLIND_BUILD.overlaps_with_corpus(_messages("blind")) == []
    assert BLIND_BUILD.overlaps_with_corpus(_messages("blind"), _messages("test"),
                                            BLIND_BUILD.AS_WRITTEN_AND_READ) == []


def test_a_copy_that_only_the_model_reading_shows_is_caught_where_the_test_split_is_a_side():
    # slang spelled out differently: the same words once normalized ("son"/"sonde", "yg"/"yang")
    line = CORPUS_BUILD.Message("makasi om, beta son kasi tau sapa2 yg kirim", 1, ["secrecy"],
                                "kupang", "from_child", False, "a", "dev.txt:1")
    copy = CORPUS_BUILD.Message("makasi om, beta sonde kasi tau sapa2 yang kirim", 1,
                                ["secrecy"], "kupang", "from_child", False, "b", "t.txt:1")
    assert BLIND_BUILD.overlaps_with_corpus([copy], [line]) == []
    assert BLIND_BUILD.overlaps_with_corpus([copy], [line], BLIND_BUILD.AS_WRITTEN_AND_READ) == [
        "t.txt:1: same as corpus line dev.txt:1"]


def test_every_category_is_in_the_test_split():
    from classifiers.categories import CATEGORIES

    records = _records("test")
    for category in CATEGORIES:
        assert sum(category in r["categories"] for r in records) >= 20, category


def test_overlap_check_catches_a_lightly_edited_line_of_either_side():
    for line in (CORPUS_BUILD.load_all()[0], _messages("test")[0]):
        edited = CORPUS_BUILD.Message(line.text + " ya", line.label, line.categories, line.lang,
                                      line.direction, line.hard_negative, "copy", "x.txt:1")
        assert BLIND_BUILD.problems([edited]) == [
            f"x.txt:1: nearly copies corpus line {line.where}"]
    blind_line = _messages("blind")[0]
    edited = CORPUS_BUILD.Message(blind_line.text + " ya", 0, [], "id", "to_child", False,
                                  "copy", "t.txt:1")
    assert TEST_BUILD.problems([edited]) == [
        f"t.txt:1: nearly copies corpus line {blind_line.where}"]


def test_training_develops_on_the_blind_set_and_measures_on_the_test_split():
    from classifiers.train import DEVELOPMENT, SPLITS

    assert "blind" in DEVELOPMENT and "test" not in DEVELOPMENT and "test" in SPLITS
