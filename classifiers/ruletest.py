"""`jaga rules test`: every rule's embedded examples, run through the scorer's own matching path.

Each example asks one question of its own rule (as Semgrep's and capa's rule tests do): does
THIS rule fire on this message, in this direction, with all the given packs loaded (so that a
combination rule sees the categories the other rules find)?

- `match`: it must fire; `no-match`: it must not. Otherwise the example fails.
- `todo-match` / `todo-no-match`: a known miss or false alarm, reported as "todo", never a failure;
  when the rule starts getting it right it is reported as "todo now passes", so the example can
  be promoted.
- Examples of deprecated rules are skipped (those rules are not matched).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from classifiers.matcher import Matcher
from classifiers.normalize import normalize
from classifiers.rulepack import Example, Pack, Rule

PASS, FAIL, TODO, TODO_PASSES, SKIPPED = "pass", "fail", "todo", "todo now passes", "skipped"


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule: Rule
    example: Example
    outcome: str  # one of PASS, FAIL, TODO, TODO_PASSES, SKIPPED
    fired: bool  # whether the rule fired on the example
    others: tuple[str, ...] = ()  # the other rules that fired, to help explain a failure


@dataclass
class RuleTestReport:
    results: list[ExampleResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.results)

    @property
    def failed(self) -> int:
        return self.count(FAIL)

    def by_rule(self) -> dict[str, list[ExampleResult]]:
        out: dict[str, list[ExampleResult]] = {}
        for r in self.results:
            out.setdefault(r.rule.id, []).append(r)
        return out

    def summary(self) -> str:
        parts = [f"{self.count(PASS)} passed", f"{self.failed} failed", f"{self.count(TODO)} todo"]
        if self.count(TODO_PASSES):
            parts.append(f"{self.count(TODO_PASSES)} todo now pass")
        if self.count(SKIPPED):
            parts.append(f"{self.count(SKIPPED)} skipped")
        return ", ".join(parts)


def _outcome(expect: str, fired: bool) -> str:
    if expect == "match":
        return PASS if fired else FAIL
    if expect == "no-match":
        return FAIL if fired else PASS
    if expect == "todo-match":
        return TODO_PASSES if fired else TODO
    return TODO if fired else TODO_PASSES  # todo-no-match


def run_examples(packs: Iterable[Pack]) -> RuleTestReport:
    """Run every example of every rule in `packs`, with all of `packs` loaded together."""
    packs = list(packs)
    matcher = Matcher(packs)
    report = RuleTestReport()
    for pack in packs:
        for rule in pack.rules:
            for example in rule.examples:
                if rule.status == "deprecated":
                    report.results.append(ExampleResult(rule, example, SKIPPED, False))
                    continue
                ids = matcher.match(normalize(example.text), example.direction).rule_ids
                fired = rule.id in ids
                others = tuple(sorted(ids - {rule.id}))
                outcome = _outcome(example.expect, fired)
                report.results.append(ExampleResult(rule, example, outcome, fired, others))
    return report
