"""agent/conversation.py: risk that builds up across messages, stages, alerts, per-child limits, memory.

The scorer is the real one (classifiers.scorer) loaded with tests/agent/data/tracker-pack.yaml
only: marker words with known weights (offerword 0.4 offer_credit, secretword 0.4 secrecy,
meetword 0.4 meetup, flatterword 0.2 flattery, solicitword 1.0 sexual, benignword -0.4), so each
test knows what every message scores without depending on the built-in packs.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from agent.config import Child, Config, DetectionSection
from agent.conversation import (
    STAGE_OF_CATEGORY,
    STAGES,
    ConversationTracker,
    TrackerSettings,
    sensitivity_for_age,
)
from agent.messages import ChatMessage
from classifiers.categories import CATEGORIES, severity_rank
from classifiers.scorer import load_scorer

PACK = Path(__file__).parent / "data" / "tracker-pack.yaml"
T0 = datetime(2026, 5, 14, 10, 0, tzinfo=timezone(timedelta(hours=8)))


@pytest.fixture(scope="module")
def scorer():
    return load_scorer(DetectionSection(builtin_rules=False), extra_packs=[str(PACK)], strict=True)


def msg(text: str, conversation: str = "c1", *, direction: str = "to_child", ts: datetime | None = None,
        child: str | None = None) -> ChatMessage:
    return ChatMessage(conversation=conversation, text=text, direction=direction, ts=ts, child=child)


def feed_all(tracker: ConversationTracker, texts: list[str], conversation: str = "c1", **kw):
    return [tracker.feed(msg(t, conversation, **kw)) for t in texts]


# --- signals add up across messages -------------------------------------------------------


def test_no_single_message_is_flagged_but_the_sequence_alerts(scorer):
    texts = ["offerword", "hello", "ok", "hi", "secretword", "fine", "meetword"]
    assert all(not scorer.score(t).flagged for t in texts)
    alerts = feed_all(ConversationTracker(scorer), texts)
    raised = [i for i, a in enumerate(alerts) if a is not None]
    assert raised, "offer, secrecy three messages later and a meeting must raise an alert"
    first = alerts[raised[0]]
    assert first.message_index == raised[0]
    assert set(first.categories) >= {"offer_credit", "secrecy"}


@pytest.mark.parametrize("texts", [
    ["offerword"],  # a lone offer
    ["flatterword"] * 6,  # compliments, however many
    ["hello", "how are you", "ok"],  # small talk
    ["offerword benignword", "secretword benignword", "meetword benignword"],  # benign context
], ids=["lone-offer", "repeated-flattery", "small-talk", "benign-context"])
def test_weak_or_benign_conversations_do_not_alert(scorer, texts):
    assert not any(feed_all(ConversationTracker(scorer), texts))


def test_one_strong_message_alerts_on_its_own(scorer):
    alerts = feed_all(ConversationTracker(scorer), ["hello", "solicitword"])
    assert alerts[0] is None
    assert alerts[1] is not None and alerts[1].message_index == 1
    assert alerts[1].categories[0] == "sexual"


def test_different_categories_weigh_more_than_one_category_repeated(scorer):
    repeated = ConversationTracker(scorer)
    feed_all(repeated, ["offerword", "offerword", "offerword"])
    mixed = ConversationTracker(scorer)
    feed_all(mixed, ["offerword", "secretword", "meetword"])
    assert mixed.risk("c1") > repeated.risk("c1")


def test_conversations_are_kept_apart(scorer):
    steps = [("offerword", "a"), ("secretword", "b"), ("meetword", "c"), ("offerword", "a")]
    apart = ConversationTracker(scorer)
    assert not any(apart.feed(msg(t, conv)) for t, conv in steps)
    together = ConversationTracker(scorer)
    assert any(together.feed(msg(t, "one")) for t, _ in steps)


def test_feeding_a_batch_gives_the_same_alerts_as_one_by_one(scorer):
    texts = ["hello", "offerword", "ok", "secretword", "meetword", "solicitword", "bye"]
    messages = [msg(t, conv) for conv in ("a", "b") for t in texts]
    tracker = ConversationTracker(scorer)
    one_by_one = [a for a in (tracker.feed(m) for m in messages) if a]
    batched = ConversationTracker(scorer).feed_many(messages)
    assert batched and [a.to_contract_json() for a in batched] == [a.to_contract_json() for a in one_by_one]


# --- decay over time and messages -------------------------------------------------------------


@pytest.mark.parametrize("gap, alerts_expected", [
    (timedelta(hours=1), True),  # offer now, secrecy and a meeting within the day: adds up
    (timedelta(days=60), False),  # two months apart: the offer has faded
])
def test_signals_fade_with_time(scorer, gap, alerts_expected):
    tracker = ConversationTracker(scorer)
    tracker.feed(msg("offerword", ts=T0))
    tracker.feed(msg("meetword", ts=T0 + gap / 2))
    alert = tracker.feed(msg("secretword", ts=T0 + gap))
    assert (alert is not None) == alerts_expected


def test_signals_fade_with_the_number_of_messages_in_between(scorer):
    near, far = ConversationTracker(scorer), ConversationTracker(scorer)
    feed_all(near, ["offerword", "meetword"])
    feed_all(far, ["offerword"] + ["just chatting"] * 400 + ["meetword"])
    assert far.risk("c1") < near.risk("c1")
    alerts = [a for a in feed_all(far, ["secretword"]) if a]
    assert all("offer_credit" not in a.categories for a in alerts), "the old offer has faded away"


def test_time_zones_that_cannot_be_compared_do_not_break_the_tracker(scorer):
    tracker = ConversationTracker(scorer)
    tracker.feed(msg("offerword", ts=T0))
    tracker.feed(msg("secretword", ts=datetime(2026, 5, 14, 11, 0)))  # naive after aware
    assert tracker.risk("c1") > 0


# --- stages -------------------------------------------------------------------------------------


def test_every_category_maps_to_a_stage():
    assert set(STAGE_OF_CATEGORY) == set(CATEGORIES)
    assert set(STAGE_OF_CATEGORY.values()) <= set(STAGES)


@pytest.mark.parametrize("order", [
    ["offerword", "secretword", "meetword"],
    ["meetword", "offerword", "secretword"],
    ["secretword", "meetword", "offerword"],
])
def test_stages_are_reported_whatever_their_order(scorer, order):
    tracker = ConversationTracker(scorer)
    alerts = [a for a in feed_all(tracker, order) if a]
    assert alerts
    assert tracker.stages("c1") == ("exclusivity_secrecy", "offers", "meeting")
    assert set(alerts[-1].stages) <= set(tracker.stages("c1"))
    assert list(alerts[-1].stages) == [s for s in STAGES if s in alerts[-1].stages]


# --- raising and re-raising ---------------------------------------------------------------------


def test_an_alert_is_not_raised_again_for_every_further_message(scorer):
    tracker = ConversationTracker(scorer)
    alerts = [a for a in feed_all(tracker, ["offerword", "secretword", "meetword"] * 5) if a]
    severities = [severity_rank(a.severity) for a in alerts]
    assert len(alerts) <= 3
    assert severities == sorted(set(severities)), "each new alert must have a higher severity"


def test_rising_severity_raises_again(scorer):
    tracker = ConversationTracker(scorer)
    first = [a for a in feed_all(tracker, ["offerword", "secretword"]) if a]
    assert first and first[0].severity != "high"
    again = tracker.feed(msg("solicitword"))
    assert again is not None and severity_rank(again.severity) > severity_rank(first[-1].severity)


def test_a_new_episode_alerts_again_once_the_old_one_has_faded(scorer):
    tracker = ConversationTracker(scorer)
    first = [tracker.feed(msg(t, ts=T0)) for t in ("offerword", "secretword")]
    assert any(first)
    soon = [tracker.feed(msg(t, ts=T0 + timedelta(hours=2))) for t in ("offerword", "secretword")]
    assert not any(soon), "the same episode does not alert again at the same severity"
    later = [tracker.feed(msg(t, ts=T0 + timedelta(days=90))) for t in ("offerword", "secretword")]
    assert any(later)


# --- evidence and context ---------------------------------------------------------------------


def test_alert_carries_evidence_with_categories_rules_and_highlights(scorer):
    tracker = ConversationTracker(scorer)
    alerts = feed_all(tracker, ["hi there", "nice, offerword for you", "ok", "what", "keep secretword",
                                "meetword tomorrow"])
    alert = next(a for a in alerts if a)
    by_index = {m.index: m for m in alert.evidence}
    assert {1, 4} <= set(by_index)
    offer = by_index[1]
    assert offer.categories == ("offer_credit",) and offer.rules == ("test.offer",)
    start, end = offer.highlights[0]
    assert offer.text[start:end] == "offerword"
    assert all(m.index not in by_index for m in alert.context)
    assert [m.index for m in alert.context] == sorted(m.index for m in alert.context)
    assert all(m.index < alert.message_index for m in alert.context)
    assert alert.summary.endswith(".") and "request for secrecy" in alert.summary


def test_evidence_leaves_out_signals_that_have_faded(scorer):
    tracker = ConversationTracker(scorer)
    tracker.feed(msg("offerword", ts=T0))
    later = T0 + timedelta(days=60)
    alerts = [tracker.feed(msg(t, ts=later)) for t in ("secretword", "meetword")]
    alert = next(a for a in alerts if a)
    assert 0 not in {m.index for m in alert.evidence}
    assert {m.index for m in alert.evidence} <= {1, 2}


def test_alert_copies_where_the_message_came_from(scorer):
    tracker = ConversationTracker(scorer)
    alert = tracker.feed(ChatMessage("c9", "solicitword", "to_child", ts=T0, child="Rina",
                                     device="192.168.1.20", app="web.whatsapp.com"))
    assert (alert.conversation, alert.ts, alert.child, alert.device, alert.app) == (
        "c9", T0, "Rina", "192.168.1.20", "web.whatsapp.com")


def test_messages_from_the_child_count_too(scorer):
    tracker = ConversationTracker(scorer)
    feed_all(tracker, ["offerword"])
    alert = tracker.feed(msg("ok secretword", direction="from_child"))
    assert alert is not None and alert.evidence[-1].direction == "from_child"


# --- per-child thresholds -------------------------------------------------------------------


@pytest.mark.parametrize("age, sensitivity", [(None, "normal"), (8, "high"), (12, "high"), (13, "normal"),
                                              (15, "normal"), (16, "low"), (19, "low")])
def test_sensitivity_follows_age(age, sensitivity):
    assert sensitivity_for_age(age) == sensitivity


def test_settings_from_config_take_thresholds_and_children():
    config = Config(
        children=[Child(name="Ani", age=9), Child(name="Budi", age=17),
                  Child(name="Cici", age=9, sensitivity="low")],
        detection=DetectionSection(conversation_threshold=0.7),
    )
    settings = TrackerSettings.from_config(config)
    assert settings.threshold == 0.7
    assert settings.child_sensitivity == {"Ani": "high", "Budi": "low", "Cici": "low"}
    assert settings.threshold_for("Ani") < settings.threshold_for("Someone") < settings.threshold_for("Budi")


def test_a_young_child_is_alerted_sooner_than_an_older_one(scorer):
    probe = ConversationTracker(scorer)
    feed_all(probe, ["offerword", "meetword"])
    risk = probe.risk("c1")
    # A threshold this risk stays under for a "normal" child, but crosses for a young one.
    base = risk / 0.9
    settings = TrackerSettings(threshold=base, child_sensitivity={"Ani": "high", "Budi": "low"})
    assert settings.threshold_for("Ani") < risk < settings.threshold_for(None)
    outcomes = {}
    for child in ("Ani", None, "Budi"):
        tracker = ConversationTracker(scorer, settings)
        outcomes[child] = any(feed_all(tracker, ["offerword", "meetword"], child=child))
    assert outcomes == {"Ani": True, None: False, "Budi": False}


# --- bounded memory ------------------------------------------------------------------------------


def test_old_conversations_are_evicted(scorer):
    tracker = ConversationTracker(scorer, TrackerSettings(max_conversations=3))
    for conv in "abcde":
        tracker.feed(msg("offerword", conv))
    tracker.feed(msg("hello", "c"))  # "c" becomes the most recently active
    tracker.feed(msg("offerword", "f"))
    assert len(tracker) == 3
    assert tracker.risk("a") == tracker.risk("d") == 0.0
    assert tracker.risk("c") > 0 and tracker.risk("f") > 0


def test_a_huge_message_is_scored_and_stored_capped(scorer):
    settings = TrackerSettings()
    tracker = ConversationTracker(scorer, settings)
    huge = "solicitword " + "x" * 1_000_000
    alert = tracker.feed(msg(huge))
    assert alert is not None
    assert len(alert.evidence[-1].text) <= settings.max_stored_chars + 1


def test_a_very_long_conversation_keeps_a_bounded_window(scorer):
    settings = TrackerSettings()
    tracker = ConversationTracker(scorer, settings)
    pattern = ["offerword", "hello", "secretword", "ok", "meetword", "flatterword", "solicitword", "hm"]
    for i in range(100_000):
        tracker.feed(msg(pattern[i % len(pattern)]))
    state = tracker._conversations["c1"]
    assert state.count == 100_000
    assert len(state.recent) <= settings.context_messages
    assert len(state.evidence) <= settings.max_evidence
