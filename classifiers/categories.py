"""The fixed risk categories, directions and severities of ../shared/spec/taxonomy.md.

Every rule, model output and alert uses exactly these ids; other modules import them from here.
"""

from __future__ import annotations

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


def is_category(name: str) -> bool:
    return name in CATEGORIES
