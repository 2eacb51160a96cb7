"""classifiers/ruletest.py: each example asks whether ITS rule fires; todos never fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.rulepack import read_pack
from classifiers.ruletest import FAIL, PASS, SKIPPED, TODO, TODO_PASSES, run_examples

PACKS = Path(__file__).parent / "packs"

HEADER = "version: 1\npack: {id: p, title: P, lang: id}\nrules:\n"
RULE = """\
  - id: r.one
    title: One
    status: test
    level: low
    categories: [offer_credit]
    falsepositives: [x]
    selections:
      s: {phrases: [kasih pulsa]}
    weight: 0.4
    examples:
"""


def outcomes(tmp_path, examples: str, rule: str = RULE) -> list[tuple[str, int]]:
    path = tmp_path / "p.yaml"
    path.write_text(HEADER + rule + examples, encoding="utf-8")
    pack, problems = read_pack(path)
    assert problems == []
    return [(r.outcome, r.example.line) for r in run_examples([pack]).results]


OUTCOMES = [
    # (expect, text, outcome)
    ("match", "om kasih pulsa", PASS),
    ("match", "halo", FAIL),
    ("no-match", "halo", PASS),
    ("no-match", "om kasih pulsa", FAIL),
    ("todo-match", "halo", TODO),
    ("todo-match", "om kasih pulsa", TODO_PASSES),
    ("todo-no-match", "om kasih pulsa", TODO),
    ("todo-no-match", "halo", TODO_PASSES),
]


@pytest.mark.parametrize("expect, text, outcome", OUTCOMES)
def test_example_outcome(tmp_path, expect, text, outcome):
    assert outcomes(tmp_path, f"      - {{text: {text}, expect: {expect}}}\n") == [(outcome, 14)]


def test_example_direction_is_used(tmp_path):
    rule = RULE.replace("    weight: 0.4", "    direction: from_child\n    weight: 0.4")
    examples = ("      - {text: kasih pulsa, expect: match, direction: from_child}\n"
                "      - {text: kasih pulsa, expect: no-match}\n")
    assert outcomes(tmp_path, examples, rule) == [(PASS, 15), (PASS, 16)]


def test_examples_of_deprecated_rules_are_skipped(tmp_path):
    rule = RULE.replace("status: test", "status: deprecated")
    assert outcomes(tmp_path, "      - {text: kasih pulsa, expect: match}\n", rule) == [(SKIPPED, 14)]


def test_failure_names_the_other_rules_that_fired():
    pack, _ = read_pack(PACKS / "small.yaml")
    example = pack.rules[1].examples[0]  # t.secrecy.tell, expect: match
    example.text = "om kasih pulsa ya"
    result = next(r for r in run_examples([pack]).results if r.example is example)
    assert (result.outcome, result.fired, result.others) == (FAIL, False, ("t.offer.pulsa",))


def test_small_pack_summary():
    pack, _ = read_pack(PACKS / "small.yaml")
    report = run_examples([pack])
    assert report.summary() == "12 passed, 0 failed, 2 todo"
    assert report.failed == 0 and report.count(TODO) == 2
    assert list(report.by_rule()) == [r.id for r in pack.rules]


def test_combination_examples_see_the_other_rules_of_the_packs(tmp_path):
    # The combination rule of small.yaml only fires because the offer and secrecy rules load with it.
    pack, _ = read_pack(PACKS / "small.yaml")
    combo_only = [r for r in pack.rules if r.combine is not None]
    pack.rules = combo_only
    report = run_examples([pack])
    assert [r.outcome for r in report.results] == [FAIL, PASS]
