"""classifiers/lint.py: each check finds its problem, with its line, severity and a fix-it text."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.lint import CHECKS, LOADER_CHECKS, lint_paths

PACKS = Path(__file__).parent / "packs"

HEADER = "version: 1\npack: {id: p, title: P, lang: id}\nrules:\n"
RULE = """\
  - id: r.one
    title: One
    status: test
    description: A rule.
    level: low
    categories: [offer_credit]
    falsepositives: [x]
    selections:
      s: {phrases: [kasih pulsa]}
    condition: s
    weight: 0.4
    examples:
      - {text: kasih pulsa, expect: match}
      - {text: halo, expect: no-match}
"""


def lint_rule(tmp_path, rule: str, name: str = "p.yaml") -> list[tuple[str, str, int]]:
    path = tmp_path / name
    path.write_text(HEADER + rule, encoding="utf-8")
    return [(p.code, p.severity, p.line) for p in lint_paths([path]).problems]


def test_clean_rule_has_no_problem(tmp_path):
    assert lint_rule(tmp_path, RULE) == []


def test_test_pack_is_lint_clean():
    report = lint_paths([PACKS / "small.yaml"])
    assert report.problems == [] and report.rules == 5 and report.files == 1


# --- one case per check: (check id, replace, with, severity, line) ------------------------------

CASES = [
    ("empty-selection", "s: {phrases: [kasih pulsa]}", "s: {phrases: []}", "error", 12),
    ("empty-phrase", "[kasih pulsa]", "[kasih pulsa, '  ']", "error", 12),
    ("empty-phrase", "[kasih pulsa]", "[kasih pulsa, '!!']", "error", 12),
    ("duplicate-phrase", "[kasih pulsa]", "[kasih pulsa, kasih pulsa]", "warning", 12),
    ("overlapping-phrase", "[kasih pulsa]", "[kasih pulsa, pulsa]", "warning", 12),
    ("overlapping-phrase", "[kasih pulsa]", "[kasih pulsanya, pulsa*]", "warning", 12),
    ("phrase-not-normalized", "[kasih pulsa]", "[Kasih Pulsa]", "warning", 12),
    ("phrase-not-normalized", "[kasih pulsa]", "[kasih pul5a]", "warning", 12),
    ("pattern-matches-empty", "s: {phrases: [kasih pulsa]}", "s: {patterns: ['(pulsa)?']}", "error", 12),
    ("pattern-upper-case", "s: {phrases: [kasih pulsa]}", "s: {patterns: ['\\bPulsa\\b']}", "warning", 12),
    ("and-or-mixed", "      s: {phrases: [kasih pulsa]}\n    condition: s",
     "      s: {phrases: [kasih pulsa]}\n      t: {phrases: [om]}\n      u: {phrases: [rahasia]}\n"
     "    condition: s and t or u", "error", 15),
    ("unused-selection", "      s: {phrases: [kasih pulsa]}\n",
     "      s: {phrases: [kasih pulsa]}\n      t: {phrases: [om]}\n", "warning", 13),
    ("condition-always-true", "      s: {phrases: [kasih pulsa]}\n    condition: s",
     "      s: {phrases: [kasih pulsa]}\n    condition: not s", "error", 13),
    ("missing-examples", "      - {text: halo, expect: no-match}\n", "", "error", 15),
    ("missing-examples", "      - {text: kasih pulsa, expect: match}\n",
     "      - {text: kasih pulsa, expect: todo-match}\n", "error", 15),
    ("missing-falsepositives", "    falsepositives: [x]\n", "", "error", 4),
    ("missing-falsepositives", "falsepositives: [x]", "falsepositives: []", "error", 10),
    ("missing-description", "    description: A rule.\n", "", "warning", 4),
    ("weight-range", "weight: 0.4", "weight: 1.5", "error", 14),
    ("weight-range", "weight: 0.4", "weight: 0", "error", 14),
    ("missing-categories", "categories: [offer_credit]", "categories: []", "error", 9),
    ("deprecated", "status: test", "status: deprecated", "warning", 6),
]


@pytest.mark.parametrize("code, old, new, severity, line", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_check_reports_its_problem(tmp_path, code, old, new, severity, line):
    assert old in RULE
    assert lint_rule(tmp_path, RULE.replace(old, new)) == [(code, severity, line)]


def test_examples_in_a_direction_the_rule_never_sees(tmp_path):
    rule = RULE.replace("    weight: 0.4\n", "    weight: 0.4\n    direction: from_child\n")
    rule += "      - {text: aku kasih pulsa, expect: match, direction: from_child}\n"
    # The to_child match example can never pass; the to_child no-match one pins down the scope.
    assert lint_rule(tmp_path, rule) == [("example-direction", "error", 17)]


def test_context_on_a_combination_rule_is_reported(tmp_path):
    combo = RULE.replace("    selections:\n      s: {phrases: [kasih pulsa]}\n    condition: s\n",
                         "    combine: [[offer_credit], [secrecy]]\n"
                         "    context: {boost: {words: [om], weight: 0.1}}\n")
    assert lint_rule(tmp_path, combo) == [("context-ignored", "warning", 12)]


def test_duplicate_rule_ids_across_packs_are_reported(tmp_path):
    (tmp_path / "a.yaml").write_text(HEADER + RULE, encoding="utf-8")
    (tmp_path / "b.yaml").write_text(HEADER.replace("id: p,", "id: q,") + RULE, encoding="utf-8")
    problems = lint_paths([tmp_path]).problems
    found = [(Path(p.file).name, p.code, p.line, p.rule) for p in problems]
    assert found == [("b.yaml", "duplicate-id", 4, "r.one")]
    assert "a.yaml:4" in problems[0].message


def test_loader_problems_and_lint_problems_come_together_sorted_by_line(tmp_path):
    rule = RULE.replace("[offer_credit]", "[nope]").replace("weight: 0.4", "weight: 0.4\n    colour: red")
    rule = rule.replace("[kasih pulsa]", "[Kasih pulsa]")
    found = lint_rule(tmp_path, rule)
    assert sorted(found) == [("missing-categories", "error", 9), ("phrase-not-normalized", "warning", 12),
                             ("unknown-category", "error", 9), ("unknown-key", "error", 15)]
    assert [line for _, _, line in found] == [9, 9, 12, 15]  # one report, in file order


def test_every_check_has_an_id_severity_fix_and_description():
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids)) and not set(ids) & set(LOADER_CHECKS)
    for check in CHECKS:
        assert check.id and check.severity in ("error", "warning") and check.fix and check.description


def test_problem_line_format(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(HEADER + RULE.replace("weight: 0.4", "weight: 3"), encoding="utf-8")
    line = str(lint_paths([path]).problems[0])
    assert line == (f"{path}:14: error r.one: weight 3 is outside [-1, 0) and (0, 1] [weight-range] "
                    "(fix: use a weight between 0.05 and 1 (or -1 and -0.05 for a benign rule))")
