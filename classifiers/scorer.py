"""The message scorer: text in, `Verdict` out, the same for `jaga classify`, `jaga scan` and the proxy.

`load_scorer()` loads the built-in rule packs (rules/*.yaml) and any extra ones, compiles them
into one `Matcher`, and returns a `Scorer`. Today the score comes from the rules alone; the
trained model plugs in at `Scorer._combine`, the one place where a model probability and the
rules' category scores become the final score, so the output format never changes.

A bad pack never stops a running agent: its problems are logged and kept in `Scorer.problems`,
and the other packs load. Command-line tools ask for `strict=True`, which raises `PackError`
(exit 2) with every problem instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from classifiers.categories import CATEGORIES
from classifiers.matcher import Matcher, RuleMatch
from classifiers.normalize import normalize
from classifiers.rulepack import Pack, PackError, Problem, builtin_pack_files, load_packs
from classifiers.verdict import Evidence, Verdict

log = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.5
HIGH_AT = 0.85
MEDIUM_AT = 0.65


def severity_for(score: float, threshold: float = DEFAULT_THRESHOLD) -> str:
    """none below the threshold; then low, medium from 0.65, high from 0.85."""
    if score < threshold:
        return "none"
    if score >= HIGH_AT:
        return "high"
    if score >= MEDIUM_AT:
        return "medium"
    return "low"


class MessageModel(Protocol):
    """What the scorer needs from a trained model (the model engineer's part)."""

    name: str
    version: str

    def predict(self, normalized_text: str) -> tuple[float, dict[str, float]]:
        """The probability that the message is a risk, and per-category probabilities."""
        ...


@dataclass
class Scorer:
    packs: list[Pack]
    threshold: float = DEFAULT_THRESHOLD
    model: MessageModel | None = None
    model_note: str = "not loaded: rules-only scorer"  # why there is no model, for banners
    problems: list[Problem] = field(default_factory=list)  # of packs that were left out

    def __post_init__(self) -> None:
        self.matcher = Matcher(self.packs)
        # Verdicts of messages where nothing fired are all alike: share one.
        self._nothing = Verdict(False, 0.0, "none", (), (), {})

    def score(self, text: str, direction: str = "to_child") -> Verdict:
        norm = normalize(text)
        match = self.matcher.match(norm, direction)
        if self.model is None and not match.fired:
            return self._nothing
        return self._verdict(match, norm.text)

    def score_many(self, items: Iterable[tuple[str, str]]) -> list[Verdict]:
        return [self.score(text, direction) for text, direction in items]

    def _verdict(self, match: RuleMatch, normalized_text: str) -> Verdict:
        model_p: float | None = None
        model_categories: dict[str, float] = {}
        if self.model is not None:
            model_p, model_categories = self.model.predict(normalized_text)
        score, category_scores = self._combine(match, model_p, model_categories)
        categories = tuple(sorted(category_scores, key=lambda c: (-category_scores[c], CATEGORIES.index(c))))
        evidence = match.evidence()
        if model_p is not None:
            evidence += (Evidence("model", score=model_p),)
        severity = severity_for(score, self.threshold)
        return Verdict(severity != "none", score, severity, categories, evidence, category_scores)

    def _combine(self, match: RuleMatch, model_p: float | None,
                 model_categories: dict[str, float]) -> tuple[float, dict[str, float]]:
        """THE place where rules and model meet: (message score, category scores), all in [0, 1].

        Rules only (model_p is None): the rules' clipped sum and category sums. With a model, its
        probability and category probabilities are to be merged here (e.g. a noisy-or of rule
        score and model probability), keeping categories ordered by contribution."""
        if model_p is None:
            return match.score, dict(match.category_scores)
        # Placeholder merge until the model engineer tunes it: noisy-or, category-wise maximum.
        score = 1.0 - (1.0 - match.score) * (1.0 - model_p)
        cats = dict(match.category_scores)
        for c, p in model_categories.items():
            cats[c] = max(cats.get(c, 0.0), p)
        return score, {c: v for c, v in cats.items() if v > 0}

    def describe(self) -> dict[str, Any]:
        """Packs, rule counts and the model's state, for banners and `--verbose` output."""
        return {
            "packs": [{"id": p.id, "file": p.file, "rules": len(p.rules)} for p in self.packs],
            "rules": len(self.matcher),
            "threshold": self.threshold,
            "model": ({"loaded": True, "name": self.model.name, "version": self.model.version}
                      if self.model is not None else {"loaded": False, "reason": self.model_note}),
            "problems": [str(p) for p in self.problems if p.severity == "error"],
        }


def load_scorer(detection: Any | None = None, *, use_model: bool | None = None,
                extra_packs: list[str] | None = None, strict: bool = False,
                threshold: float | None = None) -> Scorer:
    """A scorer for `detection` (agent.config.DetectionSection; None: the defaults).

    Built-in packs unless `detection.builtin_rules` is false, then `detection.rule_packs`, then
    `extra_packs`. With `strict`, any pack problem raises PackError; otherwise bad packs are
    logged and left out. `threshold` overrides `detection.threshold`."""
    builtin = getattr(detection, "builtin_rules", True)
    paths: list[str | Path] = list(builtin_pack_files()) if builtin else []
    paths += list(getattr(detection, "rule_packs", []) or [])
    paths += list(extra_packs or [])
    packs, problems = load_packs(paths)
    errors = [p for p in problems if p.severity == "error"]
    if errors and strict:
        raise PackError(errors)
    for p in errors:
        log.error("rule pack left out: %s", p)
    if threshold is None:
        threshold = float(getattr(detection, "threshold", DEFAULT_THRESHOLD))
    wants_model = getattr(detection, "use_model", True) if use_model is None else use_model
    note = "not built yet: rules-only scorer" if wants_model else "turned off (rules only)"
    return Scorer(packs, threshold=threshold, model=None, model_note=note, problems=problems)
