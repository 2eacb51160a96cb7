"""The fixed risk categories, directions and severities of ../shared/spec/taxonomy.md.

Every rule, model output and alert uses exactly these ids; other modules import them from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

CATEGORIES: Final[tuple[str, ...]] = (
    "offer_credit",
    "offer_money",
    "meetup",
    "secrecy",
    "isolation",
    "personal_info",
    "photo_request",
    "sexual",
    "flattery",
)

Direction = Literal["to_child", "from_child"]
DIRECTIONS: Final[tuple[str, ...]] = ("to_child", "from_child")

# Ordered from least to most serious; "none" means not flagged.
Severity = Literal["none", "low", "medium", "high"]
SEVERITIES: Final[tuple[str, ...]] = ("none", "low", "medium", "high")


def severity_rank(severity: str) -> int:
    """Position of a severity in SEVERITIES, for comparisons ("high" > "medium")."""
    return SEVERITIES.index(severity)


_ORDER: Final[dict[str, int]] = {c: i for i, c in enumerate(CATEGORIES)}


def by_weight(weights: Mapping[str, float]) -> tuple[str, ...]:
    """The categories of `weights`, heaviest first; ties in taxonomy order."""
    if len(weights) < 2:
        return tuple(weights)
    return tuple(sorted(weights, key=lambda c: (-weights[c], _ORDER[c])))


def is_category(name: str) -> bool:
    return name in CATEGORIES
