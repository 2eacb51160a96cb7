"""rules/*.yaml: the built-in packs lint clean, their examples pass, and they score as designed.

The packs' own examples test each rule on its own; this file checks the packs as a whole: every
language pack covers the nine categories, every rule carries hard negatives, and the rules-only
scorer keeps lone weak signals below the flag threshold while strong signals, combinations and
child replies behave as rules/README.md and ../shared/spec/taxonomy.md describe.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from agent.config import DetectionSection
from classifiers.categories import CATEGORIES
from classifiers.lint import lint_paths
from classifiers.rulepack import Pack, read_pack
from classifiers.ruletest import run_examples
from classifiers.scorer import Scorer, load_scorer

RULES = Path(__file__).resolve().parents[2] / "rules"
LANGUAGE_PACKS = ["id-standard.yaml", "id-informal.yaml", "kupang.yaml", "en.yaml"]
ALL_PACKS = [*LANGUAGE_PACKS, "combinations.yaml", "benign.yaml"]


def _pack(name: str) -> Pack:
    pack, problems = read_pack(RULES / name)
    assert pack is not None, problems
    return pack


@pytest.fixture(scope="module")
def scorer() -> Scorer:
    # Rules alone, built-in packs only: what the packs themselves decide.
    return load_scorer(DetectionSection(use_model=False))


# --- the packs as files ---------------------------------------------------------------------------

def test_shipped_packs_lint_without_errors_or_warnings():
    report = lint_paths([RULES])
    assert report.files == len(ALL_PACKS)
    assert [f"{p.file}:{p.line} {p.rule} {p.message}" for p in report.problems] == []


def test_every_embedded_example_passes():
    packs = [_pack(name) for name in ALL_PACKS]
    report = run_examples(packs)
    failures = [r for r in report.results if r.outcome == "fail"]
    assert report.count("pass") > 500
    assert failures == []


@pytest.mark.parametrize("name", LANGUAGE_PACKS)
def test_language_pack_covers_all_nine_categories(name):
    covered = {c for rule in _pack(name).rules for c in rule.categories}
    assert set(CATEGORIES) <= covered


@pytest.mark.parametrize("name", ALL_PACKS)
def test_every_rule_has_two_matches_and_two_hard_negatives(name):
    for rule in _pack(name).rules:
        expects = Counter(e.expect for e in rule.examples)
        assert expects["match"] >= 2, rule.id
        assert expects["no-match"] >= 2, rule.id


@pytest.mark.parametrize("name", ALL_PACKS)
def test_every_rule_has_a_reviewable_header(name):
    for rule in _pack(name).rules:
        assert rule.title and rule.description and rule.references and rule.falsepositives, rule.id
        assert rule.author == "jaga contributors", rule.id


def test_benign_rules_all_lower_the_score():
    assert all(rule.weight < 0 and not rule.categories for rule in _pack("benign.yaml").rules)


# --- what the rules decide (rules alone, threshold 0.5) -------------------------------------------

FLAGGED = [
    # (text, direction, categories that must be reported)
    # strong signals reach the threshold on their own
    ("jangan bilang mama ya, ini rahasia kita", "to_child", {"secrecy"}),
    ("temani om semalam aja, nanti dibayar", "to_child", {"sexual"}),
    ("jang kasi tau lu pung mama ee", "to_child", {"secrecy"}),
    ("dont tell your parents about us", "to_child", {"secrecy"}),
    # offers, meetings and photos with secrecy (the Tem@n Anak pattern), in every language
    ("nanti om bayarin uang sekolah kamu, asal jangan bilang mama ya", "to_child",
     {"offer_money", "secrecy"}),
    ("mau pulsa gk? ntr om tf, tp jgn blg2 ortu ya", "to_child", {"offer_credit", "secrecy"}),
    ("om ame lu di ujung lorong, jang kasi tau mama", "to_child", {"meetup", "secrecy"}),
    ("ojo kandha ibukmu yo, sesuk tak jemput nang ngarep sekolah", "to_child",
     {"meetup", "secrecy"}),
    ("send me a pic, keep this between us", "to_child", {"photo_request", "secrecy"}),
    # two weaker signals together
    ("kamu sendirian di rumah? om jemput ya", "to_child", {"personal_info", "meetup"}),
    ("r u home alone? turn ur camera on", "to_child", {"personal_info", "photo_request"}),
    ("kamu cantik banget, ketemuan yuk di cafe", "to_child", {"flattery", "meetup"}),
    ("nona manis skali, mari kita baku dapa di pante", "to_child", {"flattery", "meetup"}),
    # the child's reply reveals both secrecy and a meeting
    ("beta sonde bilang mama, jemput beta di ujung lorong", "from_child", {"secrecy", "meetup"}),
]


@pytest.mark.parametrize("text,direction,categories", FLAGGED)
def test_risky_messages_are_flagged_with_their_categories(scorer, text, direction, categories):
    verdict = scorer.score(text, direction)
    assert verdict.flagged, verdict
    assert categories <= set(verdict.categories)


NOT_FLAGGED = [
    # a lone weak signal stays below the threshold
    ("kamu cantik banget", "to_child"),
    ("umur berapa dek?", "to_child"),
    ("nona manis skali", "to_child"),
    ("ur so pretty", "to_child"),
    ("how old are you?", "to_child"),
    ("iya aku sendirian di rumah", "from_child"),
    # hard negatives: the same words in benign context
    ("Mama sudah transfer uang sekolah ke rekening sekolah, ini bukti pembayarannya", "to_child"),
    ("Jangan bilang mama ya, kita bikin kejutan ulang tahun buat mama", "to_child"),
    ("jang kasi tau mama ee, botong siap kejutan par mama", "to_child"),
    ("dont tell mom, we are planning a surprise party for her", "to_child"),
    ("Besok kerja kelompok di cafe dekat sekolah ya, bawa laptop", "to_child"),
    ("konter pulsa depan gang jual kuota murah, 10GB cuma 25 ribu", "to_child"),
    ("Pengumuman: study tour ke pantai tanggal 12, biaya dibayar ke bendahara sekolah", "to_child"),
    ("Liburan keluarga nanti kita menginap di hotel dekat pantai", "to_child"),
    ("Nanti papa jemput jam 2, tunggu di pos satpam ya", "to_child"),
    ("Nak, jangan kirim foto ke orang asing ya, kalau ada yang minta foto cerita ke mama",
     "to_child"),
    ("never send photos to strangers, if anyone asks tell me", "to_child"),
    ("besok latihan paduan suara, botong baku dapa di gereja", "to_child"),
]


@pytest.mark.parametrize("text,direction", NOT_FLAGGED)
def test_weak_or_benign_messages_are_not_flagged(scorer, text, direction):
    verdict = scorer.score(text, direction)
    assert not verdict.flagged, verdict


def test_benign_context_lowers_a_risky_phrase_below_the_threshold(scorer):
    # "jemput" alone from an adult scores; the parent pick-up is benign context.
    risky = scorer.score("om jemput di depan sekolah ya")
    benign = scorer.score("papa jemput di depan sekolah ya, jam 2")
    assert risky.score > 0 and benign.score < risky.score


def test_direction_scopes_child_reply_rules(scorer):
    # The child's own promise of secrecy is scored as sent, not as received.
    sent = scorer.score("iya om aku tidak bilang mama kok", "from_child")
    assert "secrecy" in sent.categories
    received_rules = {e.rule for e in scorer.score("iya om aku tidak bilang mama kok").evidence}
    assert "id.secrecy.child_agrees" not in received_rules
