"""agent/alert_text.py: what a parent reads, in both languages, at every privacy level."""

from __future__ import annotations

import pytest

from agent.alert_text import MESSAGES, render, render_digest, render_test, snippet, stored_view, title
from tests.alert_samples import CONTEXT_TEXT, OFFER_TEXT, make_alert

ALERT = stored_view(make_alert(), alert_id=7)

# --- titles: whose phone, how serious, what happened, in plain words ------------------------


@pytest.mark.parametrize(
    ("language", "overrides", "expected"),
    [
        ("en", {}, "Serious – Rina's phone: someone offered phone credit or game currency and "
                   "asked to keep it secret"),
        ("id", {}, "Serius – HP Rina: seseorang menawarkan pulsa, kuota, atau diamond game dan "
                   "meminta agar dirahasiakan"),
        # no child known: the device, else "your child's phone"
        ("en", {"child": None, "severity": "medium"},
         "Worrying – Device 192.168.1.20: someone offered phone credit or game currency and asked "
         "to keep it secret"),
        ("id", {"child": None, "device": None, "severity": "low", "categories": ("meetup",)},
         "Perlu dilihat – HP anak Anda: seseorang mengajak bertemu langsung"),
        # at most two categories, so the title fits a lock screen
        ("en", {"categories": ("meetup", "secrecy", "flattery")},
         "Serious – Rina's phone: someone asked to meet in person and asked to keep it secret"),
    ],
)
def test_title_says_whose_phone_how_serious_and_what(language, overrides, expected):
    assert title(stored_view(make_alert(**overrides)), language) == expected


# --- privacy levels: how much of the chat leaves the house -----------------------------------

FAR_WORDS = ("halo dek", "marah sama kamu terus")  # in the message, far from the risky words


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    ("privacy", "shows_risky_words", "shows_far_words"),
    [
        ("full", True, True),
        ("snippet", True, False),
        ("none", False, False),
    ],
)
def test_privacy_level_decides_how_much_text_is_sent(language, privacy, shows_risky_words,
                                                     shows_far_words):
    body = render(ALERT, language, privacy).body
    assert ("pulsa 50rb" in body and "jangan bilang mama" in body) == shows_risky_words
    assert any(w in body for w in FAR_WORDS) == shows_far_words
    assert CONTEXT_TEXT not in body  # context stays on the box at every level
    # every level still says what kind of risk, where and when
    assert MESSAGES[language]["category"]["secrecy"] in body
    assert "web.whatsapp.com" in body


@pytest.mark.parametrize("language", ["id", "en"])
def test_body_tells_parents_what_to_do_and_where_to_report(language):
    body = render(ALERT, language, "none").body
    assert "SAPA 129" in body and "08111-129-129" in body and "report.cybertip.org" in body
    assert MESSAGES[language]["next"] in body
    assert "jaga alerts show 7" in body


def test_unknown_privacy_level_is_refused():
    with pytest.raises(ValueError, match="privacy"):
        render(ALERT, "en", "some")


def test_severity_maps_to_apprise_notify_type():
    assert render(ALERT, "en").notify_type == "failure"
    assert render(stored_view(make_alert(severity="low")), "en").notify_type == "info"


# --- snippets --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "spans", "words", "expected"),
    [
        # a few words each side, ellipses where text was cut
        ("a b c d RISK e f g h", [(8, 12)], 2, "… c d RISK e f …"),
        # at the edges: no ellipsis
        ("RISK a b", [(0, 4)], 3, "RISK a b"),
        # two spans close together merge into one piece
        ("a b X c Y d e f g", [(4, 5), (8, 9)], 1, "… b X c Y d …"),
        # pieces that only a space separates become one
        ("a X b c Y d", [(2, 3), (8, 9)], 1, "a X b c Y d"),
        # far apart: two pieces
        ("X a b c d e f g h Y", [(0, 1), (18, 19)], 1, "X a … h Y"),
        # no span: nothing to quote
        ("a b c", [], 2, ""),
    ],
)
def test_snippet_keeps_the_risky_words_with_a_few_around(text, spans, words, expected):
    assert snippet(text, spans, words) == expected


def test_snippet_without_highlights_quotes_nothing():
    alert = make_alert()
    bare = alert.evidence[0].__class__(index=4, direction="to_child", text=OFFER_TEXT)
    body = render(stored_view(make_alert(evidence=(bare,))), "en", "snippet").body
    assert OFFER_TEXT not in body and "pulsa" not in body
    assert MESSAGES["en"]["no_snippet"] in body


# --- digests and the test message ------------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "en"])
def test_digest_lists_titles_never_message_text(language):
    alerts = [stored_view(make_alert(), 1), stored_view(make_alert(child="Budi"), 2)]
    digest = render_digest(alerts, language)
    assert "2" in digest.title
    assert title(alerts[0], language) in digest.body and title(alerts[1], language) in digest.body
    assert "pulsa 50rb" not in digest.body


def test_daily_digest_with_nothing_says_so():
    assert render_digest([], "en", daily=True).title == MESSAGES["en"]["daily_none"]


@pytest.mark.parametrize("language", ["id", "en"])
def test_test_message_is_in_the_chosen_language(language):
    assert render_test(language).title == MESSAGES[language]["test_title"]


def test_both_languages_have_the_same_messages():
    assert MESSAGES["id"].keys() == MESSAGES["en"].keys()
    assert MESSAGES["id"]["category"].keys() == MESSAGES["en"]["category"].keys()
    from classifiers.categories import CATEGORIES

    assert set(MESSAGES["en"]["category"]) == set(CATEGORIES)


# --- docs/alerts.md shows what this code really writes --------------------------------------


def test_docs_examples_are_what_the_code_renders():
    import importlib.util
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("alerts_examples",
                                                  repo / "scripts" / "alerts_examples.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (repo / "docs" / "alerts.md").read_text(encoding="utf-8")
    begin, end = "<!-- generated by scripts/alerts_examples.py -->\n", "<!-- end generated -->"
    generated = doc.split(begin, 1)[1].split(end, 1)[0]
    assert generated.strip() == module.examples_markdown().strip(), \
        "docs/alerts.md is stale: regenerate with scripts/alerts_examples.py"
