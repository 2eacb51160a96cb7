"""classifiers/categories.py: the one ordering of categories every verdict and alert uses."""

from __future__ import annotations

from classifiers.categories import by_weight


def test_heaviest_first_and_ties_in_taxonomy_order():
    weights = {"flattery": 0.4, "secrecy": 0.9, "offer_credit": 0.4, "meetup": 0.4}
    assert by_weight(weights) == ("secrecy", "offer_credit", "meetup", "flattery")


def test_none_or_one_category():
    assert by_weight({}) == ()
    assert by_weight({"sexual": 0.1}) == ("sexual",)
