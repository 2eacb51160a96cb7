"""The verdict on one message: what every entry point (classify, scan, the proxy) reports.

Its JSON form is the contract of `jaga classify --jsonl` (../shared/spec/contracts.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Quote = Callable[[], tuple[str | None, int | None, int | None]]  # -> (text, start, end)
_QUOTED = ("text", "start", "end")


@dataclass(frozen=True, slots=True)
class Evidence:
    """Why a verdict was reached: a rule that fired on some words, or what the model said.

    Quoting the words as written costs more than finding them (the normalizer's map back to the
    original text), and most verdicts are only looked at for their score and categories: so the
    matcher builds a rule's evidence with `Evidence.quoted_later`, and `text`, `start` and `end`
    are worked out the first time one of them is read (equality, repr and JSON read them too)."""

    source: str  # "rule" or "model"
    rule: str | None = None  # rule id, for source == "rule"
    text: str | None = None  # the words as the person wrote them (original characters)
    start: int | None = None  # span in the original text, for highlighting
    end: int | None = None
    categories: tuple[str, ...] = ()
    weight: float | None = None  # the rule's contribution (negative for benign context)
    score: float | None = None  # the model's probability, for source == "model"
    _quote: Quote | None = field(default=None, repr=False, compare=False)

    @classmethod
    def quoted_later(cls, rule: str, categories: tuple[str, ...], weight: float,
                     quote: Quote) -> Evidence:
        """A rule's evidence whose text, start and end `quote()` gives when first read."""
        evidence = object.__new__(cls)
        for name, value in (("source", "rule"), ("rule", rule), ("categories", categories),
                            ("weight", weight), ("score", None), ("_quote", quote)):
            object.__setattr__(evidence, name, value)
        return evidence

    def __getattr__(self, name: str) -> Any:
        # Reached only for a field left unset: text, start or end of quoted_later evidence.
        if name not in _QUOTED:
            raise AttributeError(name)
        quote = self._quote
        if quote is not None:  # (None: another thread has just quoted it)
            for field_name, value in zip(_QUOTED, quote(), strict=True):
                object.__setattr__(self, field_name, value)
            object.__setattr__(self, "_quote", None)  # let go of the message
        return object.__getattribute__(self, name)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"source": self.source}
        if self.rule is not None:
            out["rule"] = self.rule
        if self.text is not None:
            out["text"] = self.text
        if self.start is not None and self.end is not None:
            out["span"] = [self.start, self.end]
        if self.categories:
            out["categories"] = list(self.categories)
        if self.weight is not None:
            out["weight"] = round(self.weight, 4)
        if self.score is not None:
            out["score"] = round(self.score, 4)
        return out


@dataclass(frozen=True, slots=True)
class Verdict:
    flagged: bool
    score: float  # in [0, 1]
    severity: str  # one of categories.SEVERITIES
    categories: tuple[str, ...]  # ids of categories.CATEGORIES, most important first
    evidence: tuple[Evidence, ...] = ()
    category_scores: dict[str, float] = field(default_factory=dict)

    def to_json(self, message_id: Any) -> dict[str, Any]:
        return {
            "id": message_id,
            "flagged": self.flagged,
            "score": round(self.score, 4),
            "severity": self.severity,
            "categories": list(self.categories),
            "evidence": [e.to_json() for e in self.evidence],
        }
