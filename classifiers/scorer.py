"""The message scorer: text in, `Verdict` out, the same for `jaga classify`, `jaga scan` and the proxy.

`load_scorer()` loads the built-in rule packs (rules/*.yaml) and any extra ones, compiles them
into one `Matcher`, and returns a `Scorer`. With the trained model (classifiers/model.py, loaded
lazily once; `detection.use_model`), `Scorer._combine` is the one place where the model's
probability and the rules' score become the final score (classifiers.model.combined_score, weights
tuned by `jaga train`), so the output format never changes. A model that cannot be used (missing,
corrupted, tampered, another scikit-learn, untrusted types) leaves a rules-only scorer, and the
reason is logged once as a warning.

A bad pack never stops a running agent: its problems are logged and kept in `Scorer.problems`,
and the other packs load. Command-line tools ask for `strict=True`, which raises `PackError`
(exit 2) with every problem instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from classifiers.categories import CATEGORIES, by_weight
from classifiers.matcher import Matcher, RuleMatch
from classifiers.model import ModelError, combined_score, get_model
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
    """What the scorer needs from a trained model (classifiers.model.RiskModel)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    def predict(self, texts: Sequence[str], directions: Sequence[str]) -> Any:
        """For normalized texts, rows of probabilities: risk, then one per category in
        CATEGORIES order."""
        ...


@dataclass
class Scorer:
    packs: list[Pack]
    threshold: float = DEFAULT_THRESHOLD
    model: MessageModel | None = None
    model_note: str = "not loaded: rules-only scorer"  # why there is no model, for banners
    problems: list[Problem] = field(default_factory=list)  # of packs that were left out
    # With a model: classifiers.model.combined_score's weights, and each category's threshold
    # on the model's category probability.
    combine: dict[str, float] = field(default_factory=dict)
    category_thresholds: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.matcher = Matcher(self.packs)
        # Verdicts of messages where nothing fired are all alike: share one.
        self._nothing = Verdict(False, 0.0, "none", (), (), {})

    def score(self, text: str, direction: str = "to_child") -> Verdict:
        norm = normalize(text)
        match = self.matcher.match(norm, direction)
        if self.model is None:
            return self._verdict(match, None) if match.fired else self._nothing
        return self._verdict(match, self.model.predict([norm.text], [direction])[0].tolist())

    def score_many(self, items: Iterable[tuple[str, str]]) -> list[Verdict]:
        # The rules and the model read the whole batch at once: far cheaper than message by
        # message.
        items = list(items)
        if not items:
            return []
        norms = [normalize(text) for text, _ in items]
        directions = [direction for _, direction in items]
        matches = self.matcher.match_many(norms, directions)
        if self.model is None:
            nothing = self._nothing
            return [self._verdict(m, None) if m.fired else nothing for m in matches]
        probabilities = np.asarray(self.model.predict([n.text for n in norms], directions), float)
        # Each category's threshold checked for the whole batch in one comparison (the same
        # float64 comparisons as _verdict's, so the same categories pass).
        passed = probabilities[:, 1:] >= self._thresholds()
        model_ps = probabilities[:, 0].tolist()
        model_categories: list[dict[str, float]] = [{} for _ in items]
        rows, columns = passed.nonzero()
        if len(rows):
            values = probabilities[:, 1:][rows, columns].tolist()
            for r, c, p in zip(rows.tolist(), columns.tolist(), values, strict=True):
                model_categories[r][CATEGORIES[c]] = p
        verdict = self._verdict_from
        return [verdict(m, p, cats) for m, p, cats in zip(matches, model_ps, model_categories,
                                                           strict=True)]

    def _thresholds(self) -> Any:
        """Each category's threshold on the model's probability, in CATEGORIES order."""
        return np.array([self.category_thresholds.get(c, 0.5) for c in CATEGORIES], dtype=float)

    def _verdict(self, match: RuleMatch, probabilities: Sequence[float] | None) -> Verdict:
        model_p: float | None = None
        model_categories: dict[str, float] = {}
        if probabilities is not None:
            model_p = float(probabilities[0])
            for c, p in zip(CATEGORIES, probabilities[1:], strict=True):
                if p >= self.category_thresholds.get(c, 0.5):
                    model_categories[c] = float(p)
        return self._verdict_from(match, model_p, model_categories)

    def _verdict_from(self, match: RuleMatch, model_p: float | None,
                      model_categories: dict[str, float]) -> Verdict:
        if model_p is not None and not match.fired and not model_categories:
            # Most messages (40% of the corpus): no rule fired and no category from the model.
            # The same verdict as below (no category scores, only the model's evidence) without
            # its dict copies, sort and evidence tuple.
            score = combined_score(match.score, model_p, **self.combine)
            severity = severity_for(score, self.threshold)
            return Verdict.of(severity != "none", score, severity, (),
                              (Evidence.of_model(model_p),), {})
        score, category_scores = self._combine(match, model_p, model_categories)
        categories = by_weight(category_scores)
        evidence = match.evidence() if match.fired else ()
        if model_p is not None:
            evidence += (Evidence.of_model(model_p),)
        severity = severity_for(score, self.threshold)
        return Verdict.of(severity != "none", score, severity, categories, evidence,
                          category_scores)

    def _combine(self, match: RuleMatch, model_p: float | None,
                 model_categories: dict[str, float]) -> tuple[float, dict[str, float]]:
        """THE place where rules and model meet: (message score, category scores), all in [0, 1].

        Rules only (model_p is None): the rules' clipped sum and category sums. With a model: the
        logistic combination of classifiers.model.combined_score (weights tuned by `jaga train`,
        or set in configuration), and per category the larger of the rules' score and the
        model's probability, where the latter passed its category threshold."""
        if model_p is None:
            return match.score, dict(match.category_scores)
        score = combined_score(match.score, model_p, **self.combine)
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
    if not wants_model:
        return Scorer(packs, threshold=threshold, model=None, model_note="turned off (rules only)",
                      problems=problems)
    if not builtin:
        # The combination's weights are fitted to the built-in packs' scores (jaga train):
        # they mean nothing for other packs alone, e.g. a pack author testing their own pack.
        return Scorer(packs, threshold=threshold, model=None, problems=problems,
                      model_note="not used: the built-in rules are off, and the model's "
                      "combination is tuned with them")
    try:
        model = get_model(getattr(detection, "model", None))
    except ModelError as e:
        _warn_once(f"model not loaded, scoring with the rules only: {e}")
        return Scorer(packs, threshold=threshold, model=None,
                      model_note=f"not loaded ({e.kind}): {e}", problems=problems)
    combine = model.combine
    for key, setting in (("model_weight", "model_weight"), ("rule_weight", "rule_weight"),
                         ("bias", "combine_bias")):
        value = getattr(detection, setting, None)
        if value is not None:
            combine[key] = float(value)
    return Scorer(packs, threshold=threshold, model=model, model_note="loaded",
                  problems=problems, combine=combine,
                  category_thresholds=model.category_thresholds)


_warned: set[str] = set()


def _warn_once(message: str) -> None:
    """A loud warning, once per process for the same message (not once per scorer built)."""
    if message not in _warned:
        _warned.add(message)
        log.warning(message)
