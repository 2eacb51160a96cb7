"""Compiled rule matching: every loaded rule checked against a normalized message in one pass.

All phrases of all rules (and their context words) go into ONE Aho-Corasick automaton
(pyahocorasick). The normalized text has its words separated by single spaces, so the text is
padded with a space at both ends and each phrase is stored as " phrase " (" phrase" for a
`phrase*` prefix): every hit of the automaton is then already a whole-word match, with no
per-hit boundary check. All patterns go into one RE2 set, whose single scan says which patterns
match at all; only those are searched again for their span. Conditions are evaluated only for
rules with a hit, and evidence is built only for rules that fired, so the usual benign message
costs one automaton scan and one set scan.

Scoring (rules/README.md): a fired rule adds its weight, plus its context boost or minus its
context reduction (never below zero for a positive rule); negative rules subtract; combination
rules add when categories of all their groups are present in the message. The message score is
the sum clipped to [0, 1]; a category's score is the sum of the rules that carry it, lowered by
negative rules, clipped the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import ahocorasick
import re2

from classifiers.categories import CATEGORIES
from classifiers.condition import compile_condition
from classifiers.normalize import MAX_SCAN_CHARS, Normalized, normalize
from classifiers.rulepack import Pack, Rule
from classifiers.verdict import Evidence

_SEL, _BOOST, _REDUCE = 0, 1, 2
_TABLE_MAX_SELECTIONS = 10
_CATEGORY_ORDER = {c: i for i, c in enumerate(CATEGORIES)}


@dataclass(slots=True)
class FiredRule:
    rule: Rule
    contribution: float  # what it added to the message score (negative for benign rules)
    spans: list[tuple[int, int]]  # spans in the normalized text of what matched, in order
    context: str = ""  # "boost", "reduce", "boost+reduce" or ""


@dataclass(slots=True)
class RuleMatch:
    """What the rules found in one message."""

    score: float  # clipped to [0, 1]
    category_scores: dict[str, float]
    fired: list[FiredRule] = field(default_factory=list)  # by contribution, largest first
    normalized: Normalized | None = None

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule.id for f in self.fired}

    def categories(self) -> tuple[str, ...]:
        """Categories present, by score then taxonomy order."""
        return tuple(sorted(self.category_scores,
                            key=lambda c: (-self.category_scores[c], _CATEGORY_ORDER[c])))

    def evidence(self) -> tuple[Evidence, ...]:
        """Per fired rule: the original words that matched and their span in the original text."""
        n = self.normalized
        out = []
        for f in self.fired:
            text = start = end = None
            if f.rule.combine is not None and f.spans and n is not None:
                # The words behind each group, e.g. "kasih pulsa … jangan bilang"
                text = " … ".join(n.quote(s, e) for s, e in f.spans)
            elif f.spans and n is not None:
                s, e = _merged_first(f.spans)
                start, end = n.original_span(s, e)
                text = n.original[start:end]
            out.append(Evidence("rule", f.rule.id, text, start, end, tuple(f.rule.categories),
                                f.contribution))
        return tuple(out)


def _merged_first(spans: list[tuple[int, int]]) -> tuple[int, int]:
    """The earliest span, grown over the spans that overlap or touch it."""
    ordered = sorted(spans)
    s, e = ordered[0]
    for s2, e2 in ordered[1:]:
        if s2 > e + 1:
            break
        e = max(e, e2)
    return s, e


_EMPTY_CATEGORIES: dict[str, float] = {}


def _clip(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def _phrase_key(text: str, prefix: bool) -> str:
    # Phrases are matched as the normalizer would write them, whatever their author typed.
    norm = normalize(text).text
    return f" {norm}" if prefix else f" {norm} " if norm else ""


class Matcher:
    """All active rules of `packs`, compiled once; `match()` is safe to call from many places."""

    def __init__(self, packs: Iterable[Pack], max_chars: int = MAX_SCAN_CHARS):
        self.max_chars = max_chars
        self.rules: list[Rule] = [r for p in packs for r in p.rules if r.status != "deprecated"]
        self._automaton = ahocorasick.Automaton()
        targets: dict[str, list[tuple[int, int, int]]] = {}
        self._patterns: list[tuple[int, int, object]] = []  # (rule, selection bit, regex)
        self._pattern_set = re2.Set.SearchSet()
        self._directions: list[tuple[str, ...]] = []
        # Per rule, its condition as a function of the matched-selections bit mask: a truth table
        # (one tuple index per message) for the usual few selections, else the compiled closure.
        self._conditions: list[Callable[[int], bool] | tuple[bool, ...] | None] = []
        self._always: list[int] = []  # rules whose condition holds with no selection at all
        self._combos: list[int] = []
        self._windows: list[int] = []
        for ri, rule in enumerate(self.rules):
            both = ("to_child", "from_child")
            self._directions.append(both if rule.direction == "any" else (rule.direction,))
            self._windows.append(rule.context.window if rule.context else 0)
            if rule.combine is not None:
                self._combos.append(ri)
                self._conditions.append(None)
                continue
            index = {name: i for i, name in enumerate(rule.selections)}
            for si, sel in enumerate(rule.selections.values()):
                for ph in sel.phrases:
                    key = _phrase_key(ph.text, ph.prefix)
                    if key.strip():
                        targets.setdefault(key, []).append((_SEL, ri, si))
                for pat in sel.patterns:
                    if pat.regex is not None:
                        self._pattern_set.Add(pat.source)
                        self._patterns.append((ri, si, pat.regex))
            if rule.context:
                for kind, words in ((_BOOST, rule.context.boost), (_REDUCE, rule.context.reduce)):
                    for ph in words.words if words else ():
                        key = _phrase_key(ph.text, ph.prefix)
                        if key.strip():
                            targets.setdefault(key, []).append((kind, ri, 0))
            tree = rule.condition.tree if rule.condition else ("or", ())
            cond = compile_condition(tree, index)
            if len(index) <= _TABLE_MAX_SELECTIONS:
                self._conditions.append(tuple(cond(m) for m in range(1 << len(index))))
            else:
                self._conditions.append(cond)
            if cond(0):
                self._always.append(ri)
        for key, entries in targets.items():
            self._automaton.add_word(key, (len(key), not key.endswith(" "), tuple(entries)))
        self._has_phrases = bool(targets)
        if self._has_phrases:
            self._automaton.make_automaton()
        self._has_patterns = bool(self._patterns)
        if self._has_patterns:
            self._pattern_set.Compile()
        self._raw_set = self._pattern_set._set

    def __len__(self) -> int:
        return len(self.rules)

    def match_text(self, text: str, direction: str = "to_child") -> RuleMatch:
        return self.match(normalize(text), direction)

    def match(self, norm: Normalized, direction: str = "to_child") -> RuleMatch:
        text = norm.text
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
        masks: dict[int, int] = {}
        spans: dict[int, list[tuple[int, int]]] = {}
        context_hits: list[tuple[int, int, int, int]] | None = None  # (rule, kind, start, end)
        if self._has_phrases and text:
            for end, (klen, prefix, entries) in self._automaton.iter(f" {text} "):
                # `end` indexes the padded text: the phrase starts at end - klen + 1 in `text`,
                # and ends where its trailing space was, or for a prefix at the end of the word.
                start = end - klen + 1
                if prefix:
                    stop = text.find(" ", end - 1)
                    stop = len(text) if stop < 0 else stop
                else:
                    stop = end - 1
                for kind, ri, si in entries:
                    if kind == _SEL:
                        masks[ri] = masks.get(ri, 0) | (1 << si)
                        spans.setdefault(ri, []).append((start, stop))
                    else:
                        if context_hits is None:
                            context_hits = []
                        context_hits.append((ri, kind, start, stop))
        if self._has_patterns and text:
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: RE2 reads UTF-8 only; '?' keeps offsets
                text = text.encode("utf-8", "replace").decode("utf-8")
                data = text.encode("utf-8")
            found = self._raw_set.Match(data)  # the raw set: its Python wrapper costs 1 µs a message
            if found:
                for pi in found:
                    ri, si, regex = self._patterns[pi]
                    m = regex.search(text)  # type: ignore[attr-defined]
                    if m is None:
                        continue
                    masks[ri] = masks.get(ri, 0) | (1 << si)
                    spans.setdefault(ri, []).append(m.span())
        if not masks and not self._always:
            return RuleMatch(0.0, _EMPTY_CATEGORIES, [], norm)
        return self._score(norm, text, direction, masks, spans, context_hits)

    def _score(self, norm: Normalized, text: str, direction: str, masks: dict[int, int],
               spans: dict[int, list[tuple[int, int]]],
               context_hits: list[tuple[int, int, int, int]] | None) -> RuleMatch:
        fired: list[FiredRule] = []
        candidates = list(masks)
        candidates.extend(ri for ri in self._always if ri not in masks)
        for ri in candidates:
            if direction not in self._directions[ri]:
                continue
            cond = self._conditions[ri]
            mask = masks.get(ri, 0)
            if not (cond[mask] if type(cond) is tuple else cond(mask)):  # type: ignore[operator,index]
                continue
            rule = self.rules[ri]
            weight, how = rule.weight, ""
            if rule.context is not None and context_hits:
                weight, how = self._apply_context(ri, rule, text, spans.get(ri, []), context_hits)
            fired.append(FiredRule(rule, weight, sorted(spans.get(ri, [])), how))
        present = {c for f in fired if f.contribution > 0 for c in f.rule.categories}
        for ri in self._combos:
            rule = self.rules[ri]
            groups = rule.combine or []
            if direction in self._directions[ri] and groups and all(present.intersection(g) for g in groups):
                parts = []
                for group in groups:  # one piece of evidence per group, from its strongest rule
                    best = max((f for f in fired if f.contribution > 0 and f.spans and f.rule.combine is None
                                and set(group).intersection(f.rule.categories)),
                               key=lambda f: f.contribution, default=None)
                    if best is not None and best.spans[0] not in parts:
                        parts.append(best.spans[0])
                fired.append(FiredRule(rule, rule.weight, sorted(parts)))
        if not fired:
            return RuleMatch(0.0, _EMPTY_CATEGORIES, [], norm)
        fired.sort(key=lambda f: -f.contribution)
        score = round(_clip(sum(f.contribution for f in fired)), 4)
        return RuleMatch(score, _category_scores(fired), fired, norm)

    def _apply_context(self, ri: int, rule: Rule, text: str, rule_spans: list[tuple[int, int]],
                       context_hits: list[tuple[int, int, int, int]]) -> tuple[float, str]:
        ctx = rule.context
        assert ctx is not None
        window = self._windows[ri]
        # Word positions: the normalized text has exactly one space between words.
        ranges = [(text.count(" ", 0, s), text.count(" ", 0, e)) for s, e in rule_spans]
        if not ranges:  # a condition of only `not`: the whole message is its context
            ranges = [(0, text.count(" "))]
        weight, how = rule.weight, []
        for kind, words in ((_BOOST, ctx.boost), (_REDUCE, ctx.reduce)):
            if words is None:
                continue
            for hri, hkind, s, e in context_hits:
                if hri != ri or hkind != kind:
                    continue
                ws, we = text.count(" ", 0, s), text.count(" ", 0, e)
                if any(ws <= b + window and we >= a - window for a, b in ranges):
                    weight += words.weight if kind == _BOOST else -words.weight
                    how.append("boost" if kind == _BOOST else "reduce")
                    break
        if rule.weight > 0:
            weight = max(0.0, weight)
        return weight, "+".join(how)


def _category_scores(fired: list[FiredRule]) -> dict[str, float]:
    sums: dict[str, float] = {}
    lowered_all = 0.0
    lowered: dict[str, float] = {}
    for f in fired:
        if f.contribution > 0:
            for c in f.rule.categories:
                sums[c] = sums.get(c, 0.0) + f.contribution
        elif f.contribution < 0:
            if f.rule.categories:
                for c in f.rule.categories:
                    lowered[c] = lowered.get(c, 0.0) + f.contribution
            else:
                lowered_all += f.contribution
    out = {}
    for c, s in sums.items():
        v = round(_clip(s + lowered_all + lowered.get(c, 0.0)), 4)
        if v > 0:
            out[c] = v
    return out
