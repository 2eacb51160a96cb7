"""classifiers/wordpairs.py: which word pairs a message has, the same at training and at run time."""

from __future__ import annotations

import numpy as np

from classifiers import wordpairs
from classifiers.wordpairs import PairBlock, pair_text, pairs


def test_pairs_are_two_different_words_within_the_window_in_sorted_order():
    words = ["om", *[f"w{i}" for i in range(1, 8)], "pulsa", "mama"]
    found = pairs(words)
    assert "om|pulsa" in found  # 8 words apart: inside the window
    assert "mama|om" not in found  # 9 apart: outside
    assert "mama|pulsa" in found and "pulsa|mama" not in found
    assert pairs(["kamu", "kamu", "kamu"]) == set()


def test_pair_text_lists_each_pair_once_and_reads_punctuated_text_by_its_words():
    assert pair_text("om kasih pulsa om kasih pulsa") == "kasih|om kasih|pulsa om|pulsa"
    assert pair_text("om, kasih pulsa!!") == "kasih|om kasih|pulsa om|pulsa"
    assert pair_text("") == ""


def test_block_finds_the_learnt_pairs_of_a_batch_and_of_one_text_alike():
    vocabulary = {"kasih|om": 0, "om|pulsa": 1, "jangan|mama": 2}
    block = PairBlock(vocabulary, np.ones(3), offset=0)
    texts = ["om kasih pulsa ya", "jangan bilang mama", "mama jangan", "pulsa", "om, pulsa!"]
    rows, cols = block.batch_ids(texts, [t.split() for t in texts])
    batch = {(int(r), int(c)) for r, c in zip(rows, cols, strict=True)}
    assert batch == {(0, 0), (0, 1), (1, 2), (2, 2), (4, 1)}
    for i, text in enumerate(texts):
        assert sorted(block.ids(text)) == sorted(c for r, c in batch if r == i)


def test_the_window_is_the_one_the_pipeline_input_is_written_with():
    block = PairBlock({"om|pulsa": 0}, np.ones(1), offset=0)
    for gap, found in ((wordpairs.WINDOW - 1, True), (wordpairs.WINDOW, False)):
        text = " ".join(["om", *["x"] * gap, "pulsa"])  # gap + 1 words apart
        assert ("om|pulsa" in pair_text(text)) is found
        assert (block.ids(text) == [0]) is found
        rows, _ = block.batch_ids([text], [text.split()])
        assert (len(rows) == 1) is found
