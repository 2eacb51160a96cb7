"""The rule-pack linter behind `jaga rules lint`: small checks, one class per problem.

Like pySigma's validators and capa's lint, each check is a class with an `id`, a `severity`
("error" fails the lint, "warning" is advice) and a fix-it text. The structural checks (YAML,
schema and types, unknown keys, unknown categories, invalid or unsafe patterns, condition
syntax, unknown selections, duplicate ids within a pack) run in the loader
(classifiers/rulepack.py), because a pack that fails them cannot be used at all; `LOADER_CHECKS`
lists them. The classes below add the quality checks on top, and `lint_paths` reports both, every
problem of every pack in one pass, sorted by file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classifiers.condition import compile_condition
from classifiers.normalize import normalize
from classifiers.rulepack import Pack, Problem, Rule, pack_files, read_pack

# The loader's checks: id -> what it means (their fix-it text comes with each problem).
LOADER_CHECKS: dict[str, str] = {
    "yaml": "the file is not valid YAML",
    "schema": "a required key is missing, a value has the wrong type, or is not one of the allowed values",
    "unknown-key": "a key that the format (version 1) does not know",
    "unknown-category": "a category that is not one of the taxonomy's nine ids",
    "invalid-pattern": "a pattern that is not a valid regular expression",
    "unsafe-pattern": "a pattern longer than 200 characters, or one that needs backtracking (not RE2)",
    "condition-syntax": "a condition that cannot be parsed",
    "unknown-selection": "a condition names a selection the rule does not have",
    "duplicate-id": "a rule or pack id used twice",
    "missing-pack": "a pack path that does not exist",
    "unreadable-pack": "a pack file that cannot be read as UTF-8 text",
}


class Check:
    """One lint check. Subclasses set id, severity, fix and description, and yield problems."""

    id = ""
    severity = "error"
    fix = ""
    description = ""

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        return iter(())

    def problem(self, rule: Rule, line: int, message: str, fix: str | None = None) -> Problem:
        return Problem(rule.file, line, rule.id, self.severity, self.id, message,
                       self.fix if fix is None else fix)


def _key(text: str, prefix: bool) -> str:
    """A phrase as the matcher sees it: normalized, padded so that containment is whole-word."""
    norm = normalize(text).text
    return f" {norm}" if prefix else f" {norm} "


class EmptySelection(Check):
    id = "empty-selection"
    description = "a selection with no phrases and no patterns never matches"
    fix = "add phrases or patterns to it, or delete it"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        for sel in rule.selections.values():
            if not sel.phrases and not sel.patterns:
                yield self.problem(rule, sel.line, f"selection {sel.name!r} has no phrases and no patterns")


class EmptyPhrase(Check):
    id = "empty-phrase"
    description = "a phrase that is empty (or only punctuation) matches nothing"
    fix = "delete it"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        for sel in rule.selections.values():
            for ph in sel.phrases:
                if not normalize(ph.text).text:
                    yield self.problem(rule, ph.line, f"selection {sel.name!r}: phrase {ph.text!r} is empty")


class DuplicatePhrase(Check):
    id = "duplicate-phrase"
    severity = "warning"
    description = "the same phrase (once normalized) twice in one rule"
    fix = "keep one of them"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        seen: dict[str, int] = {}
        for sel in rule.selections.values():
            for ph in sel.phrases:
                key = _key(ph.text, ph.prefix)
                if not key.strip():
                    continue
                if key in seen:
                    yield self.problem(rule, ph.line,
                                       f"phrase {ph.text!r} repeats the phrase on line {seen[key]}")
                else:
                    seen[key] = ph.line


class OverlappingPhrase(Check):
    id = "overlapping-phrase"
    severity = "warning"
    description = "a phrase that contains another phrase of the same rule, so it adds nothing"
    fix = "delete the longer phrase, or the shorter one if it is too broad"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        phrases = [(sel.name, ph, _key(ph.text, ph.prefix)) for sel in rule.selections.values()
                   for ph in sel.phrases]
        phrases = [p for p in phrases if p[2].strip()]
        for name, ph, key in phrases:
            for other_name, other, other_key in phrases:
                if other is ph or other_key == key or other_key not in key:
                    continue
                where = "" if other_name == name else f" (selection {other_name!r})"
                yield self.problem(rule, ph.line,
                                   f"phrase {ph.text!r} contains the phrase {other.text!r}{where}, "
                                   f"which already matches wherever it does")
                break


class PhraseNotNormalized(Check):
    id = "phrase-not-normalized"
    severity = "warning"
    description = "a phrase not written as the normalizer writes text (upper case, digits for letters, slang)"
    fix = "write it in normalized form"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        lists = [(f"selection {s.name!r}", s.phrases) for s in rule.selections.values()]
        if rule.context:
            for kind in ("boost", "reduce"):
                words = getattr(rule.context, kind)
                if words:
                    lists.append((f"context {kind}", words.words))
        for where, phrases in lists:
            for ph in phrases:
                norm = normalize(ph.text).text
                if norm and norm != ph.text:
                    yield self.problem(rule, ph.line,
                                       f"{where}: phrase {ph.text!r} is matched as {norm!r}",
                                       f"write it as {norm!r}{'*' if ph.prefix else ''}")


class PatternMatchesEmpty(Check):
    id = "pattern-matches-empty"
    description = "a pattern that matches the empty text fires on every message"
    fix = "require at least one character, e.g. '+' instead of '*'"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        for sel in rule.selections.values():
            for pat in sel.patterns:
                if pat.regex is not None and pat.regex.search("") is not None:
                    yield self.problem(rule, pat.line, f"pattern {pat.source!r} matches an empty text")


class PatternUpperCase(Check):
    id = "pattern-upper-case"
    severity = "warning"
    description = "a pattern with upper-case letters: normalized text is lower case, so they never match"
    fix = "write its letters in lower case"

    _ESCAPES = re.compile(r"\\[pP]\{\w+\}|\\[pP]\w|\\.|\[:\w+:\]|\(\?[a-zA-Z]+[:)]|\(\?P<\w+>")

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        for sel in rule.selections.values():
            for pat in sel.patterns:
                if any(c.isupper() for c in self._ESCAPES.sub("", pat.source)):
                    yield self.problem(rule, pat.line, f"pattern {pat.source!r} has upper-case letters")


class MixedAndOr(Check):
    id = "and-or-mixed"
    description = "`and` and `or` mixed without parentheses (Sigma's classic pitfall)"
    fix = "add parentheses, e.g. '(a and b) or c'"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.condition is not None and rule.condition.mixed:
            source = rule.condition.source
            yield self.problem(rule, rule.line_of("condition"),
                               f"condition {source!r} mixes 'and' and 'or' without parentheses")


class UnusedSelection(Check):
    id = "unused-selection"
    severity = "warning"
    description = "a selection that the condition never names"
    fix = "name it in the condition or delete it"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.condition is None:
            return
        for sel in rule.selections.values():
            if sel.name not in rule.condition.names:
                yield self.problem(rule, sel.line, f"selection {sel.name!r} is not used in the condition")


class ConditionAlwaysTrue(Check):
    id = "condition-always-true"
    description = "a condition that holds when nothing matched (only `not ...`) fires on every message"
    fix = "combine the 'not' with a selection that must match: 'offer and not shop'"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.condition is None:
            return
        index = {name: i for i, name in enumerate(rule.selections)}
        if compile_condition(rule.condition.tree, index)(0):
            source = rule.condition.source
            yield self.problem(rule, rule.line_of("condition"),
                               f"condition {source!r} holds on a message where nothing matched")


class MissingExamples(Check):
    id = "missing-examples"
    description = "every rule needs at least one `expect: match` and one `expect: no-match` example"
    fix = "add a message it must match and a similar benign one it must not"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.status == "deprecated":
            return
        expects = {e.expect for e in rule.examples}
        missing = [e for e in ("match", "no-match") if e not in expects]
        if missing:
            wanted = " and none with ".join(f"'expect: {m}'" for m in missing)
            yield self.problem(rule, rule.line_of("examples"), f"no example with {wanted}")


class ExampleDirection(Check):
    id = "example-direction"
    description = "a match example in a direction its rule never looks at: it can never pass"
    fix = "give the example the rule's direction (direction: to_child or from_child)"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        # (A no-match example in the other direction is fine: it pins down the rule's scope.)
        if rule.direction == "any":
            return
        for ex in rule.examples:
            if ex.direction != rule.direction and ex.expect in ("match", "todo-match"):
                yield self.problem(rule, ex.line, f"a {ex.direction} example can never match a "
                                   f"{rule.direction} rule")


class MissingFalsePositives(Check):
    id = "missing-falsepositives"
    description = "every rule says, concretely, when it matches a benign message"
    fix = "add 'falsepositives:' with one or more concrete benign situations"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.falsepositives is None:
            yield self.problem(rule, rule.line, "no 'falsepositives'")
        elif not any(fp.strip() for fp in rule.falsepositives):
            yield self.problem(rule, rule.line_of("falsepositives"), "'falsepositives' is empty")


class MissingDescription(Check):
    id = "missing-description"
    severity = "warning"
    description = "a rule without a description is hard to review"
    fix = "add 'description:' with one sentence on what the rule catches"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if not rule.description.strip():
            yield self.problem(rule, rule.line, "no 'description'")


class WeightRange(Check):
    id = "weight-range"
    description = "weights are in (0, 1] for risk, or in [-1, 0) for benign context"
    fix = "use a weight between 0.05 and 1 (or -1 and -0.05 for a benign rule)"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.weight == 0 or not -1 <= rule.weight <= 1:
            yield self.problem(rule, rule.line_of("weight"),
                               f"weight {rule.weight:g} is outside [-1, 0) and (0, 1]")


class PositiveRuleWithoutCategory(Check):
    id = "missing-categories"
    description = "a rule that raises the score must say which categories it signals"
    fix = "list the categories, e.g. 'categories: [offer_credit]'"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.weight > 0 and not rule.categories:
            yield self.problem(rule, rule.line_of("categories"),
                               "a rule with a positive weight has no categories")


class ContextIgnored(Check):
    id = "context-ignored"
    severity = "warning"
    description = "context words on a combination rule are never used"
    fix = "move 'context:' to the rules whose phrases it is about"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.combine is not None and rule.context is not None:
            yield self.problem(rule, rule.context.line, "'context' has no effect on a 'combine' rule")


class DeprecatedStatus(Check):
    id = "deprecated"
    severity = "warning"
    description = "a deprecated rule is not matched; it only clutters the pack"
    fix = "delete it (git keeps its history), or set its status back to experimental"

    def check(self, pack: Pack, rule: Rule) -> Iterator[Problem]:
        if rule.status == "deprecated":
            yield self.problem(rule, rule.line_of("status"), "the rule is deprecated and is not used")


CHECKS: tuple[Check, ...] = (
    EmptySelection(), EmptyPhrase(), DuplicatePhrase(), OverlappingPhrase(), PhraseNotNormalized(),
    PatternMatchesEmpty(), PatternUpperCase(), MixedAndOr(), UnusedSelection(), ConditionAlwaysTrue(),
    MissingExamples(), ExampleDirection(), MissingFalsePositives(), MissingDescription(), WeightRange(),
    PositiveRuleWithoutCategory(), ContextIgnored(), DeprecatedStatus(),
)


@dataclass
class LintReport:
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    rules: int = 0

    @property
    def errors(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    @property
    def warnings(self) -> int:
        return sum(p.severity == "warning" for p in self.problems)


def lint_packs(packs: Iterable[tuple[Pack | None, list[Problem]]],
               checks: Iterable[Check] = CHECKS) -> LintReport:
    """Lint packs as read by `read_pack` (with their loader problems)."""
    checks = tuple(checks)
    report = LintReport()
    first_use: dict[str, Rule] = {}
    for pack, loader_problems in packs:
        report.files += 1
        report.problems.extend(loader_problems)
        if pack is None:
            continue
        report.rules += len(pack.rules)
        in_pack: set[str] = set()
        for rule in pack.rules:
            for check in checks:
                report.problems.extend(check.check(pack, rule))
            other = first_use.get(rule.id)
            if other is not None and rule.id not in in_pack:  # within one pack the loader said so
                report.problems.append(Problem(
                    rule.file, rule.line, rule.id, "error", "duplicate-id",
                    f"rule id {rule.id!r} is already used in {other.file}:{other.line}",
                    "give each rule its own id (<lang>.<category>.<name>)"))
            in_pack.add(rule.id)
        for rule in pack.rules:
            first_use.setdefault(rule.id, rule)
    report.problems.sort(key=lambda p: (p.file, p.line))
    return report


def lint_paths(paths: Iterable[str | Path], checks: Iterable[Check] = CHECKS) -> LintReport:
    """Lint every pack file in `paths` (files, or folders of *.yaml)."""
    return lint_packs((read_pack(f) for f in pack_files(paths)), checks)
