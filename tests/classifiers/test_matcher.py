"""classifiers/matcher.py: whole-word phrases, patterns, conditions, context, direction, combinations."""

from __future__ import annotations

from pathlib import Path

import pytest

from classifiers.condition import ConditionError, parse_condition
from classifiers.matcher import Matcher
from classifiers.normalize import normalize
from classifiers.rulepack import load_packs, read_pack
from classifiers.verdict import Evidence

PACKS = Path(__file__).parent / "packs"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    packs, problems = load_packs([PACKS / "small.yaml"])
    assert problems == []
    return Matcher(packs)


def one_rule(tmp_path, body: str) -> Matcher:
    """A matcher of one rule `r` (YAML lines under the rule's id) in a fresh pack."""
    source = ("version: 1\npack: {id: p, title: P, lang: id}\nrules:\n  - id: r\n    title: R\n"
              "    status: test\n    level: low\n    falsepositives: [x]\n" + body)
    path = tmp_path / "p.yaml"
    path.write_text(source, encoding="utf-8")
    pack, problems = read_pack(path)
    assert [p for p in problems if p.severity == "error"] == []
    return Matcher([pack])


def fired(m: Matcher, text: str, direction: str = "to_child") -> set[str]:
    return m.match_text(text, direction).rule_ids


# --- phrases match whole words on normalized text ---------------------------------------------

PHRASES = [
    # (text, whether t.offer.pulsa fires)
    ("nanti om kasih pulsa ya", True),
    ("KASIH PULSA", True),  # normalized: lower case
    ("kasih   pulsa!!", True),  # spaces and punctuation folded
    ("kasih pulsanya", False),  # whole word: "pulsa" is not "pulsanya"
    ("dikasih pulsa", False),  # whole word on the left too
    ("isiin pulsanya dong", True),  # "isiin pulsa*" is a prefix phrase
    ("isiin pulsa", True),  # a prefix phrase matches the bare word too
    ("kasih", False),
    ("", False),
]


@pytest.mark.parametrize("text, expected", PHRASES)
def test_phrases_match_whole_words(matcher, text, expected):
    assert ("t.offer.pulsa" in fired(matcher, text)) is expected


def test_phrase_written_unnormalized_still_matches_as_normalized(tmp_path):
    m = one_rule(tmp_path, "    categories: [offer_credit]\n"
                 "    selections: {s: {phrases: ['KASIH  Pul5a']}}\n    weight: 0.5\n")
    assert fired(m, "kasih pulsa") == {"r"}


# --- patterns: RE2 on the normalized text -------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("mau pulsa 50rb?", True),
    ("mau pulsa 50 ribu?", True),
    ("pulsa saja", False),
])
def test_patterns_match_normalized_text(matcher, text, expected):
    assert ("t.offer.pulsa" in fired(matcher, text)) is expected


def test_pattern_span_is_quoted_from_the_original(matcher):
    match = matcher.match_text("Mau PULSA 50rb?")
    evidence = match.evidence()[0]
    assert evidence.rule == "t.offer.pulsa" and evidence.text == "PULSA 50rb"
    assert "Mau PULSA 50rb?"[evidence.start:evidence.end] == "PULSA 50rb"


def test_evidence_is_quoted_only_when_read_and_equals_eager_evidence(matcher):
    match = matcher.match_text("Mau PULSA 50rb?")
    evidence = match.evidence()[0]
    assert match.normalized is not None and match.normalized._map is None  # nothing quoted yet
    assert (evidence.rule, evidence.categories) == ("t.offer.pulsa", ("offer_credit",))
    assert match.normalized._map is None  # rule, categories, weight: still nothing quoted
    eager = Evidence("rule", "t.offer.pulsa", "PULSA 50rb", 4, 14, ("offer_credit",),
                     evidence.weight)
    assert evidence.start == 4 and match.normalized._map is not None
    assert evidence == eager and repr(evidence) == repr(eager)
    assert evidence.to_json() == eager.to_json()
    assert match.evidence()[0] == eager  # a fresh one quotes again, the same


@pytest.mark.parametrize("text, quoted", [
    ("ж pulsa 50 ribu", "pulsa 50 ribu"),  # non-ASCII before the match: offsets stay characters
    ("😂😂 mau Pulsa 50rb", "Pulsa 50rb"),
])
def test_pattern_span_after_non_ascii_text(matcher, text, quoted):
    evidence = matcher.match_text(text).evidence()[0]
    assert evidence.text == quoted and text[evidence.start:evidence.end] == quoted


# --- conditions ---------------------------------------------------------------------------------

CONDITIONS = [
    # (condition, text, fires)
    ("a and b", "satu dua", True),
    ("a and b", "satu saja", False),
    ("a or b", "dua saja", True),
    ("a and not b", "satu saja", True),
    ("a and not b", "satu dua", False),
    ("(a or b) and c", "dua tiga", True),
    ("(a or b) and c", "satu dua", False),
    ("a and (b or not c)", "satu tiga", False),
    ("a and (b or not c)", "satu", True),
    ("not (a or b) and c", "tiga", True),
]


@pytest.mark.parametrize("condition, text, expected", CONDITIONS)
def test_conditions_combine_selections(tmp_path, condition, text, expected):
    m = one_rule(tmp_path, "    categories: [secrecy]\n    selections:\n      a: {phrases: [satu]}\n"
                 "      b: {phrases: [dua]}\n      c: {phrases: [tiga]}\n"
                 f"    condition: {condition}\n    weight: 0.5\n")
    assert (fired(m, text) == {"r"}) is expected


@pytest.mark.parametrize("source, mixed", [
    ("a and b or c", True),
    ("(a and b) or c", False),
    ("a or b or c", False),
    ("a and (b or c)", False),
    ("not a and b", False),
])
def test_parser_flags_and_or_mixed_without_parentheses(source, mixed):
    assert parse_condition(source).mixed is mixed


def test_and_binds_tighter_than_or():
    b_and_c = ("and", (("sel", "b"), ("sel", "c")))
    assert parse_condition("a or b and c").tree == ("or", (("sel", "a"), b_and_c))


@pytest.mark.parametrize("source", ["", "a and", "(a or b", "a b", "a and or b", "a & b", "not", ")"])
def test_parser_rejects_broken_conditions(source):
    with pytest.raises(ConditionError):
        parse_condition(source)


# --- weights, context, negative rules, combinations ---------------------------------------------


def test_weight_is_the_rule_contribution(matcher):
    assert matcher.match_text("nanti kasih pulsa ya").score == pytest.approx(0.4)


@pytest.mark.parametrize("text, score", [
    ("kasih pulsa ini rahasia", 0.6),  # boost word within 3 words
    ("rahasia satu dua tiga empat lima kasih pulsa", 0.4),  # boost word too far away
    ("mama bilang kasih pulsa", 0.1),  # reduce word near
])
def test_context_words_near_a_match_change_its_weight(matcher, text, score):
    offer = [f for f in matcher.match_text(text).fired if f.rule.id == "t.offer.pulsa"]
    assert offer and offer[0].contribution == pytest.approx(score)


def test_reduce_never_turns_a_positive_rule_negative(tmp_path):
    m = one_rule(tmp_path, "    categories: [offer_money]\n    selections: {s: {phrases: [uang]}}\n"
                 "    weight: 0.2\n    context: {reduce: {words: [tagihan], weight: 0.5}}\n")
    match = m.match_text("uang tagihan")
    assert match.fired[0].contribution == 0.0 and match.score == 0.0


def test_negative_rule_lowers_score_and_category_scores(matcher):
    match = matcher.match_text("kasih pulsa lalu bayar tagihan")
    assert {f.rule.id for f in match.fired} == {"t.offer.pulsa", "t.benign.bills"}
    assert match.score == 0.0  # 0.4 - 0.5, clipped
    assert match.category_scores == {}


def test_combination_fires_when_every_group_is_present(matcher):
    match = matcher.match_text("om kasih pulsa tapi jangan bilang")
    assert match.rule_ids == {"t.offer.pulsa", "t.secrecy.tell", "t.combo.offer_secrecy"}
    assert match.score == 1.0  # 0.4 + 0.3 + 0.3
    assert match.category_scores == {"offer_credit": 0.7, "secrecy": 0.6}
    combo = next(e for e in match.evidence() if e.rule == "t.combo.offer_secrecy")
    assert combo.text == "kasih pulsa … jangan bilang"


def test_combination_needs_every_group(matcher):
    assert "t.combo.offer_secrecy" not in fired(matcher, "om kasih pulsa ya")
    assert "t.combo.offer_secrecy" not in fired(matcher, "jangan bilang ya")


def test_score_is_clipped_to_one(matcher):
    assert matcher.match_text("kasih pulsa rahasia, jangan bilang").score == 1.0


# --- direction scope ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, direction, rule, expected", [
    ("om kasih pulsa", "to_child", "t.offer.pulsa", True),
    ("om kasih pulsa", "from_child", "t.offer.pulsa", False),
    ("aku sendirian di rumah", "from_child", "t.personal.alone", True),
    ("aku sendirian di rumah", "to_child", "t.personal.alone", False),
    ("jangan bilang", "from_child", "t.secrecy.tell", True),  # direction: any (the default)
])
def test_rules_apply_only_in_their_direction(matcher, text, direction, rule, expected):
    assert (rule in fired(matcher, text, direction)) is expected


# --- evidence and odd input ---------------------------------------------------------------------


def test_evidence_quotes_the_original_words(matcher):
    text = "Nanti om KASIH   Pulsa ya, jangan BILANG"
    evidence = {e.rule: e for e in matcher.match_text(text).evidence()}
    assert evidence["t.offer.pulsa"].text == "KASIH   Pulsa"
    assert evidence["t.secrecy.tell"].text == "jangan BILANG"
    assert text[evidence["t.secrecy.tell"].start:evidence["t.secrecy.tell"].end] == "jangan BILANG"


@pytest.mark.parametrize("text", ["", "😂😂😂", "a" * 1_000_000, "\ud800 kasih pulsa", "\x00\x01", "ز" * 500])
def test_odd_text_is_handled(matcher, text):
    match = matcher.match_text(text)
    assert 0.0 <= match.score <= 1.0


def test_text_beyond_the_cap_is_not_scanned(matcher):
    long_text = "halo " * 5_000 + "kasih pulsa"  # the phrase starts after 25,000 characters
    assert not matcher.match_text(long_text).fired


def test_deprecated_rules_are_not_matched(tmp_path):
    m = one_rule(tmp_path, "    categories: [secrecy]\n    selections: {s: {phrases: [rahasia]}}\n"
                 "    weight: 0.5\n")
    assert fired(m, "rahasia") == {"r"}
    pack, _ = read_pack(tmp_path / "p.yaml")
    pack.rules[0].status = "deprecated"
    assert fired(Matcher([pack]), "rahasia") == set()


def test_one_automaton_holds_every_phrase(matcher):
    # Phrases of every rule, and context words, are compiled together: one scan finds them all.
    words = set(matcher._automaton.keys())
    assert {" kasih pulsa ", " jangan bilang ", " bayar tagihan ", " isiin pulsa", " rahasia "} <= words


def test_normalized_input_is_accepted_as_is(matcher):
    assert matcher.match(normalize("KASIH pulsa")).rule_ids == {"t.offer.pulsa"}


def test_the_pattern_filter_finds_what_each_shipped_pattern_finds_as_written():
    """The shipped packs' patterns through the scanner's filter, and each one searched alone as
    written, on corpus messages in both directions: the same patterns with the same first
    spans (the filter only skips patterns that cannot match)."""
    import json

    import re2

    from classifiers.rulepack import builtin_pack_files

    packs, _ = load_packs(list(builtin_pack_files()))
    scanner = Matcher(packs)._scanner
    regexes = [re2.compile(source) for source in scanner.sources]
    corpus = Path(__file__).resolve().parents[2] / "corpus" / "messages" / "validation.jsonl"
    records = [json.loads(line) for line in corpus.read_text(encoding="utf-8").splitlines()[:400]]
    found = 0
    for r in records:
        text = normalize(r["text"]).text
        for d in (0, 1):
            want = [(i, *m.span()) for i, regex in enumerate(regexes)
                    if scanner.directions[i][d] and (m := regex.search(text)) is not None]
            assert scanner.scan(text, text.encode("utf-8"), d) == want, text
            found += len(want)
    assert found > 100
