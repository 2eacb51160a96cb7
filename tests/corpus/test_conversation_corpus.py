"""corpus/conversations: the tune/test splits keep their shape, size, separation and ethics promises.

These read the committed tune.jsonl and test.jsonl and the pools they are built from, and fail when
an edit breaks one of the promises of corpus/conversations/DATA_CARD.md.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from agent.evaluate_conversations import record_problem
from classifiers.categories import CATEGORIES

CORPUS = Path(__file__).resolve().parents[2] / "corpus" / "conversations"
sys.path.insert(0, str(CORPUS))

import benign_scripts  # noqa: E402
import pools  # noqa: E402


def load(split: str) -> list[dict]:
    with (CORPUS / f"{split}.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module", params=["tune", "test"])
def split(request):
    return request.param, load(request.param)


# --- shape and size ---------------------------------------------------------------------------


def test_files_are_what_build_py_makes():
    result = subprocess.run([sys.executable, str(CORPUS / "build.py"), "--check"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


def test_every_record_is_a_valid_conversation(split):
    _, records = split
    for r in records:
        assert record_problem(r) is None, r["id"]
        assert 10 <= len(r["messages"]) <= 40, r["id"]
        assert {m["sender"] for m in r["messages"]} <= {"child", "other"}


def test_each_split_has_enough_of_both_kinds(split):
    _, records = split
    counts = Counter(r["label"] for r in records)
    assert counts[1] >= 30 and counts[0] >= 30
    assert sum(counts.values()) == len({r["id"] for r in records}), "ids are unique"


def test_grooming_first_signal_is_a_signal_line_and_stages_vary(split):
    _, records = split
    signal_lines = {t for lang in pools.GROOMING.values() for lines in lang.values() for t in lines}
    orders = set()
    for r in (r for r in records if r["label"] == 1):
        first = r["messages"][r["first_signal"]]
        assert first["sender"] == "other" and first["text"] in signal_lines, r["id"]
        assert not any(m["text"] in signal_lines for m in r["messages"][: r["first_signal"]])
        assert set(r["stages"]) <= set(CATEGORIES)
        orders.add(tuple(r["stages"][:3]))
    assert len(orders) > 20, "stages come in many different orders"


def test_benign_chats_use_the_words_of_grooming(split):
    _, records = split
    concepts = {  # the same idea in the corpus' languages
        "school fees": ("uang sekolah", "doi sekolah", "spp", "school fees"),
        "cafe": ("cafe",),
        "beach": ("pantai", "beach"),
        "secrecy": ("jangan bilang", "ojo kandha", "don't tell", "rahasia", "secret"),
        "game currency": ("diamond",),
        "credit": ("pulsa",),
        "photo": ("foto", "photo"),
        "pick up": ("jemput", "pick you up"),
    }
    text = " ".join(m["text"].lower() for r in records if r["label"] == 0 for m in r["messages"])
    missing = [c for c, words in concepts.items() if not any(w in text for w in words)]
    assert not missing


# --- separation: nothing of test was seen while tuning ----------------------------------------


def test_no_grooming_line_of_test_appears_in_tune():
    signal_lines = {t for lang in pools.GROOMING.values() for lines in lang.values() for t in lines}

    def used(records):
        return {m["text"] for r in records for m in r["messages"] if m["text"] in signal_lines}

    assert not used(load("tune")) & used(load("test"))


def test_benign_scripts_belong_to_one_split_each():
    def scripts(records):
        return {(r["scenario"], r["lang"], r["messages"][0]["text"][:12]) for r in records if r["label"] == 0}

    assert not scripts(load("tune")) & scripts(load("test"))


# --- ethics ---------------------------------------------------------------------------------------


def test_no_phone_numbers_links_or_addresses():
    lines = [m["text"] for split in ("tune", "test") for r in load(split) for m in r["messages"]]
    lines += [t for _, _, script in benign_scripts.SCRIPTS for _, t in script]
    for text in lines:
        assert not re.search(r"\d{4}[- ]?\d{4}", text), text
        assert not re.search(r"https?://|www\.|@\w+\.\w+", text), text
