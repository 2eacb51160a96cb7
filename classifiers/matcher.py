"""Compiled rule matching: every loaded rule checked against a normalized message in one pass.

All phrases of all rules (and their context words) go into ONE Aho-Corasick automaton
(pyahocorasick). The normalized text has its words separated by single spaces, so the text is
padded with a space at both ends and each phrase is stored as " phrase " (" phrase" for a
`phrase*` prefix): every hit of the automaton is then already a whole-word match, with no
per-hit boundary check. The patterns go into one RE2 filter per direction (those of rules for
one direction apart, so a message is only scanned for its direction's), which reads the text
once for the literal words the patterns need and runs only the patterns whose words are there;
a matching pattern is searched again for its span only when its rule fired
(classifiers/patternscan.py says why this, and not RE2 sets of patterns).
Conditions are evaluated only for rules with a hit, and evidence is built only for rules that
fired, so the usual benign message costs one automaton scan and one filter scan.

Scoring (rules/README.md): a fired rule adds its weight, plus its context boost or minus its
context reduction (never below zero for a positive rule); negative rules subtract; combination
rules add when categories of all their groups are present in the message. The message score is
the sum clipped to [0, 1]; a category's score is the sum of the rules that carry it, lowered by
negative rules, clipped the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import ahocorasick

from classifiers.categories import by_weight
from classifiers.condition import compile_condition
from classifiers.normalize import MAX_SCAN_CHARS, Normalized, normalize
from classifiers.patternscan import PatternScanner
from classifiers.rulepack import Pack, Rule
from classifiers.verdict import Evidence

_TABLE_MAX_SELECTIONS = 10
_FIRED_MEMO = 20_000  # sequences of hits remembered with the rules they fire (see Matcher)
_MEMO_MAX_HITS = 32  # longer sequences are not remembered: the memo stays under ~10 MB


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
    fired: Sequence[FiredRule] = ()  # by contribution, largest first
    normalized: Normalized | None = None

    @property
    def rule_ids(self) -> set[str]:
        return {f.rule.id for f in self.fired}

    def categories(self) -> tuple[str, ...]:
        """Categories present, by score then taxonomy order."""
        return by_weight(self.category_scores)

    def evidence(self) -> tuple[Evidence, ...]:
        """Per fired rule: the original words that matched and their span in the original text
        (quoted when first read: see Evidence.quoted_later)."""
        n = self.normalized
        out = []
        for f in self.fired:
            categories = tuple(f.rule.categories)
            if f.spans and n is not None:
                out.append(Evidence.quoted_later(f.rule.id, categories, f.contribution,
                                                 partial(_quote, n, f.spans,
                                                         f.rule.combine is not None)))
            else:
                out.append(Evidence("rule", f.rule.id, categories=categories,
                                    weight=f.contribution))
        return tuple(out)


def _quote(n: Normalized, spans: list[tuple[int, int]], combination: bool
           ) -> tuple[str, int | None, int | None]:
    """(text, start, end) in the original text of what a rule matched: a combination rule's words
    behind each group, e.g. "kasih pulsa … jangan bilang" (no one span); else the first match,
    grown over the matches that overlap or touch it."""
    if combination:
        return " … ".join(n.quote(s, e) for s, e in spans), None, None
    start, end = n.original_span(*_merged_first(spans))
    return n.original[start:end], start, end


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
_NOTHING: tuple[FiredRule, ...] = ()  # shared by every message where no rule fired


def _clip(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


def _phrase_key(text: str, prefix: bool) -> str:
    # Phrases are matched as the normalizer would write them, whatever their author typed.
    norm = normalize(text).text
    return f" {norm}" if prefix else f" {norm} " if norm else ""


class Matcher:
    """All active rules of `packs`, compiled once; `match()` is safe to call from many places.

    Hot-path layout: each automaton key maps to (key length, is-prefix, per direction the
    (rule, selection bit) pairs it feeds, context-word id or -1, key number), so one hit costs
    two list appends. Which rules fire depends only on the direction and the keys and patterns
    hit, in order (the order decides the order of rules of equal weight): remembered per such
    sequence (`_fired_memo`), so the selection masks and conditions are only worked out for a
    sequence not seen before (a corpus message hits 5-6 keys that feed ~14 rules, of which
    under one fires). Of bench_rules' generated chat lines nearly every sequence repeats; of
    the corpus's 8,852 distinct messages 6% do, and the rest pay a tuple and a dict lookup.
    """

    def __init__(self, packs: Iterable[Pack], max_chars: int = MAX_SCAN_CHARS):
        self.max_chars = max_chars
        self.rules: list[Rule] = [r for p in packs for r in p.rules if r.status != "deprecated"]
        self._automaton = ahocorasick.Automaton()
        # key -> per direction index (0 to_child, 1 from_child) the (rule, bit) pairs it feeds
        selections: dict[str, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
        context_ids: dict[str, int] = {}  # context word key -> id
        self._patterns: list[tuple[int, int]] = []  # per pattern: its rule, its selection bit
        sources: list[str] = []  # of the patterns, in self._patterns order
        directions: list[tuple[bool, bool]] = []  # of the patterns: their rule's
        # Per rule, its condition as a function of the matched-selections bit mask: a truth table
        # (one tuple index per message) for the usual few selections, else the compiled closure.
        self._conditions: list[Callable[[int], bool] | tuple[bool, ...] | None] = []
        self._always: tuple[list[int], list[int]] = ([], [])  # per direction: fire on no match
        self._combos: tuple[list[int], list[int]] = ([], [])
        self._combo_memo: dict[tuple[int, frozenset[str]], list[int]] = {}
        # (direction, key numbers hit, -1, pattern indexes hit) -> the rules that fire, in order
        self._fired_memo: dict[tuple[int, ...], tuple[int, ...]] = {}
        self._groups: list[tuple[frozenset[str], ...]] = [
            tuple(frozenset(g) for g in r.combine or ()) for r in self.rules]
        # Per rule: (window, boost ids, boost weight, reduce ids, reduce weight), or None
        self._context: list[tuple[int, frozenset[int], float, frozenset[int], float] | None] = []
        for ri, rule in enumerate(self.rules):
            dirs = (rule.direction != "from_child", rule.direction != "to_child")
            self._context.append(self._compile_context(rule, context_ids))
            if rule.combine is not None:
                for d in (0, 1):
                    if dirs[d]:
                        self._combos[d].append(ri)
                self._conditions.append(None)
                continue
            index = {name: i for i, name in enumerate(rule.selections)}
            for si, sel in enumerate(rule.selections.values()):
                for ph in sel.phrases:
                    key = _phrase_key(ph.text, ph.prefix)
                    if key.strip():
                        per_dir = selections.setdefault(key, ([], []))
                        for d in (0, 1):
                            if dirs[d] and (ri, 1 << si) not in per_dir[d]:
                                per_dir[d].append((ri, 1 << si))
                for pat in sel.patterns:
                    if pat.regex is not None:
                        directions.append(dirs)
                        sources.append(pat.source)
                        self._patterns.append((ri, 1 << si))
            tree = rule.condition.tree if rule.condition else ("or", ())
            cond = compile_condition(tree, index)
            if len(index) <= _TABLE_MAX_SELECTIONS:
                self._conditions.append(tuple(cond(m) for m in range(1 << len(index))))
            else:
                self._conditions.append(cond)
            if cond(0):
                for d in (0, 1):
                    if dirs[d]:
                        self._always[d].append(ri)
        for number, key in enumerate(selections.keys() | context_ids.keys()):
            per_dir = selections.get(key, ([], []))
            value = (len(key), not key.endswith(" "), (tuple(per_dir[0]), tuple(per_dir[1])),
                     context_ids.get(key, -1), number)
            self._automaton.add_word(key, value)
        self._has_phrases = bool(selections or context_ids)
        if self._has_phrases:
            self._automaton.make_automaton()
        self._has_patterns = bool(self._patterns)
        self._scanner = PatternScanner(sources, directions)

    def _combos_for(self, d: int, present: frozenset[str]) -> list[int]:
        """The combination rules that fire when `present` categories are there (memoized: at
        most 2 x 512 category sets)."""
        key = (d, present)
        found = self._combo_memo.get(key)
        if found is None:
            found = [ri for ri in self._combos[d]
                     if self._groups[ri] and all(not present.isdisjoint(g) for g in self._groups[ri])]
            self._combo_memo[key] = found
        return found

    @staticmethod
    def _compile_context(rule: Rule, ids: dict[str, int]
                         ) -> tuple[int, frozenset[int], float, frozenset[int], float] | None:
        if rule.context is None or rule.combine is not None:
            return None
        out: list[Any] = [rule.context.window]
        for words in (rule.context.boost, rule.context.reduce):
            keys = [_phrase_key(ph.text, ph.prefix) for ph in (words.words if words else ())]
            out += [frozenset(ids.setdefault(k, len(ids)) for k in keys if k.strip()),
                    words.weight if words else 0.0]
        return tuple(out)  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self.rules)

    def match_text(self, text: str, direction: str = "to_child") -> RuleMatch:
        return self.match(normalize(text), direction)

    def match(self, norm: Normalized, direction: str = "to_child") -> RuleMatch:
        """The rules that fire on `norm` in `direction` ("from_child", else to_child)."""
        text, data, d = self._prepared(norm, direction)
        hits, keys = self._phrase_hits(text, d)
        found = self._scanner.matching(data, d) if data else []
        return self._finish(norm, text, data, d, hits, keys, found)

    def match_many(self, norms: Sequence[Normalized], directions: Sequence[str]
                   ) -> list[RuleMatch]:
        """`match` of each message (the scorer's batch path)."""
        match = self.match
        return [match(norm, direction) for norm, direction in zip(norms, directions, strict=True)]

    def _prepared(self, norm: Normalized, direction: str) -> tuple[str, bytes, int]:
        """The text as scanned (cut at max_chars, and as _utf8 gives it when there are patterns
        to scan), its UTF-8 bytes for the pattern scan (b"": nothing to scan), and the
        direction's index (1 from the child, else 0)."""
        text = norm.text
        if len(text) > self.max_chars:
            text = text[: self.max_chars]
        data = b""
        if self._has_patterns and text:
            text, data = _utf8(text)
        return text, data, 1 if direction == "from_child" else 0

    def _phrase_hits(self, text: str, d: int
                     ) -> tuple[list[tuple[int, int, tuple[tuple[int, int], ...], int]], list[int]]:
        """The automaton's hits in `text` (start, stop, (rule, bit) pairs, context id), and the
        number of each one's key."""
        hits: list[tuple[int, int, tuple[tuple[int, int], ...], int]] = []  # start, stop, pairs, ctx
        keys: list[int] = []
        if self._has_phrases and text:
            for end, (klen, prefix, per_dir, ctx, number) in self._automaton.iter(f" {text} "):
                # `end` indexes the padded text: the phrase starts at end - klen + 1 in `text`,
                # and ends where its trailing space was, or for a prefix at the end of the word.
                start = end - klen + 1
                if prefix:
                    stop = text.find(" ", end - 1)
                    stop = len(text) if stop < 0 else stop
                else:
                    stop = end - 1
                hits.append((start, stop, per_dir[d], ctx))
                keys.append(number)
        return hits, keys

    def _finish(self, norm: Normalized, text: str, data: bytes, d: int,
                hits: list[tuple[int, int, tuple[tuple[int, int], ...], int]], keys: list[int],
                found: list[int]) -> RuleMatch:
        """The match from the phrase hits (`keys` their key numbers) and the patterns `found`
        in `text` (`data` its UTF-8)."""
        if not hits and not found and not self._always[d]:
            return RuleMatch(0.0, _EMPTY_CATEGORIES, _NOTHING, norm)
        fired: tuple[int, ...] | None
        if len(keys) + len(found) > _MEMO_MAX_HITS:  # a long text: its own sequence
            fired = self._fired(d, hits, found)
        else:
            memo_key = (d, *keys, -1, *found)
            fired = self._fired_memo.get(memo_key)
            if fired is None:
                fired = self._fired(d, hits, found)
                if len(self._fired_memo) >= _FIRED_MEMO:
                    self._fired_memo.clear()
                self._fired_memo[memo_key] = fired
        if not fired:
            return RuleMatch(0.0, _EMPTY_CATEGORIES, _NOTHING, norm)
        # Spans only of the patterns whose rule fired (see PatternScanner)
        patterns, first_match = self._patterns, self._scanner.first_match
        pattern_hits = [(ri, *first_match(pi, text, data)) for pi in found
                        if (ri := patterns[pi][0]) in fired]
        return self._score(norm, text, d, fired, hits, pattern_hits)

    def _fired(self, d: int, hits: list[tuple[int, int, tuple[tuple[int, int], ...], int]],
               found: list[int]) -> tuple[int, ...]:
        """The rules whose conditions hold, given the hits and the patterns found: in the order
        of their first hit, then those that fire on no hit."""
        masks: dict[int, int] = {}  # per rule hit, the bits of its selections matched
        for _, _, pairs, _ in hits:
            for ri, bit in pairs:
                masks[ri] = masks.get(ri, 0) | bit
        patterns = self._patterns
        for pi in found:
            ri, bit = patterns[pi]
            masks[ri] = masks.get(ri, 0) | bit
        candidates: Iterable[tuple[int, int]] = masks.items()
        if self._always[d]:
            candidates = [*masks.items(), *((ri, 0) for ri in self._always[d] if ri not in masks)]
        conditions = self._conditions
        fired = []
        for ri, mask in candidates:
            cond = conditions[ri]
            if cond[mask] if type(cond) is tuple else cond(mask):  # type: ignore[operator,index,misc]
                fired.append(ri)
        return tuple(fired)

    def _score(self, norm: Normalized, text: str, d: int, fired_rules: tuple[int, ...],
               hits: list[tuple[int, int, tuple[tuple[int, int], ...], int]],
               pattern_hits: list[tuple[int, int, int]]) -> RuleMatch:
        spans: dict[int, list[tuple[int, int]]] = {ri: [] for ri in fired_rules}
        # Only now, for the rules that fired: their spans (one pass over the hits), their context.
        for s, e, pairs, _ in hits:
            for ri, _ in pairs:
                found = spans.get(ri)
                if found is not None and (s, e) not in found:
                    found.append((s, e))
        for ri, s, e in pattern_hits:
            found = spans.get(ri)
            if found is not None and (s, e) not in found:
                found.append((s, e))
        fired: list[FiredRule] = []
        for ri, rule_spans in spans.items():
            rule = self.rules[ri]
            rule_spans.sort()
            weight, how = rule.weight, ""
            context = self._context[ri]
            if context is not None:
                weight, how = _apply_context(rule.weight, context, text, rule_spans, hits)
            fired.append(FiredRule(rule, weight, rule_spans, how))
        present = frozenset(c for f in fired if f.contribution > 0 for c in f.rule.categories)
        for ri in self._combos_for(d, present) if present else ():
            rule = self.rules[ri]
            parts: list[tuple[int, int]] = []
            for group in self._groups[ri]:  # one piece of evidence per group, from its strongest rule
                best = max((f for f in fired if f.contribution > 0 and f.spans and f.rule.combine is None
                            and not group.isdisjoint(f.rule.categories)),
                           key=lambda f: f.contribution, default=None)
                if best is not None and best.spans[0] not in parts:
                    parts.append(best.spans[0])
            fired.append(FiredRule(rule, rule.weight, sorted(parts)))
        fired.sort(key=lambda f: -f.contribution)
        score = round(_clip(sum(f.contribution for f in fired)), 4)
        return RuleMatch(score, _category_scores(fired), fired, norm)


def _utf8(text: str) -> tuple[str, bytes]:
    """`text` and its UTF-8, which RE2 reads; a lone surrogate becomes '?' (offsets kept)."""
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
        return text, text.encode("utf-8")


def _apply_context(weight: float, context: tuple[int, frozenset[int], float, frozenset[int], float],
                   text: str, spans: list[tuple[int, int]],
                   hits: list[tuple[int, int, tuple[tuple[int, int], ...], int]]) -> tuple[float, str]:
    """A fired rule's weight after its boost and reduce words within `window` words of a match."""
    window, boost_ids, boost, reduce_ids, reduce = context
    # Word positions: the normalized text has exactly one space between words.
    ranges = [(text.count(" ", 0, s), text.count(" ", 0, e)) for s, e in spans]
    if not ranges:  # a condition of only `not`: the whole message is its context
        ranges = [(0, text.count(" "))]
    base, how = weight, []
    for ids, delta, name in ((boost_ids, boost, "boost"), (reduce_ids, -reduce, "reduce")):
        for s, e, _, ctx in hits:
            if ctx < 0 or ctx not in ids:
                continue
            ws, we = text.count(" ", 0, s), text.count(" ", 0, e)
            if any(ws <= b + window and we >= a - window for a, b in ranges):
                weight += delta
                how.append(name)
                break
    if base > 0:
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
