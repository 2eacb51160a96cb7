"""classifiers/verdict.py: the fast constructors build what the dataclass constructors build."""

from __future__ import annotations

from classifiers.verdict import Evidence, Verdict


def test_model_evidence_is_the_same_as_built_by_the_dataclass():
    fast, slow = Evidence.of_model(0.8125), Evidence("model", score=0.8125)
    assert fast == slow and repr(fast) == repr(slow) and hash(fast) == hash(slow)
    assert fast.to_json() == slow.to_json() == {"source": "model", "score": 0.8125}
    assert (fast.rule, fast.text, fast.start, fast.end, fast.categories, fast.weight) == (
        None, None, None, None, (), None)


def test_quoted_later_evidence_reads_its_quote_once():
    calls = []

    def quote():
        calls.append(1)
        return "kasih pulsa", 4, 15

    e = Evidence.quoted_later("r.offer", ("offer_credit",), 0.4, quote)
    assert e == Evidence("rule", "r.offer", "kasih pulsa", 4, 15, ("offer_credit",), 0.4)
    assert (e.text, e.start, e.end) == ("kasih pulsa", 4, 15) and calls == [1]


def test_verdict_of_is_the_same_as_built_by_the_dataclass():
    args = (True, 0.91, "high", ("secrecy",), (Evidence.of_model(0.7),), {"secrecy": 0.9})
    fast, slow = Verdict.of(*args), Verdict(*args)
    assert fast == slow and repr(fast) == repr(slow)
    assert fast.to_json("m1") == slow.to_json("m1")
