"""Conversation risk: follow each chat over time and raise an alert when its risk crosses a line.

Grooming is a process, not a message. `ConversationTracker.feed(msg)` scores each message with the
combined scorer and keeps, per conversation, a *strength* for each risk category: the strongest
recent evidence of it, fading with time (a half-life in hours) and with the number of messages
since (a half-life in messages). The conversation's risk combines the strengths like independent
pieces of evidence (noisy-or, one weight per category), plus a bonus for every further grooming
stage seen and more for the pairs the taxonomy calls strong (an offer with secrecy, a meeting
with secrecy): an offer now, secrecy three messages later and a cafe invitation tomorrow add up
to an alert even when no single message would raise one. A single message the scorer is sure
about raises one on its own. A category that only the model saw, with no rule to show its words,
counts for less.

An alert is raised when the risk crosses the child's threshold, and raised again for the same
conversation only when its severity rises (or, once the risk has faded to half the threshold, for
a new episode). It carries the evidence (the messages that made the risk, with categories, rules
and highlighted spans) and the few messages before the one that raised it.

Memory is bounded: conversations are kept in an LRU of `max_conversations`, each with a window of
`context_messages` recent messages and at most `max_evidence` evidence messages, and at most
`max_stored_chars` characters of any message are kept. Pure logic: no mitmproxy, no I/O. Not
thread-safe: one thread (the addon's worker, or `jaga scan`) feeds a tracker.

The default weights were tuned on corpus/conversations/tune.jsonl only (DATA_CARD.md there);
`jaga eval corpus/conversations/test.jsonl` reports how they do on conversations not tuned on.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from agent.messages import Alert, AlertMessage, ChatMessage
from classifiers.categories import by_weight, severity_rank

if TYPE_CHECKING:
    from agent.config import Config
    from classifiers.verdict import Verdict

log = logging.getLogger(__name__)

# The grooming stages of the child-protection literature (O'Connell's friendship, relationship,
# risk assessment, exclusivity, sexual stages; ECPAT's offers and meeting), each fed by categories.
# They are reported in this order, but never required in it.
STAGES: tuple[str, ...] = (
    "friendship",
    "risk_assessment",
    "exclusivity_secrecy",
    "offers",
    "meeting",
    "sexual",
)
STAGE_OF_CATEGORY: dict[str, str] = {
    "flattery": "friendship",
    "personal_info": "risk_assessment",
    "secrecy": "exclusivity_secrecy",
    "isolation": "exclusivity_secrecy",
    "offer_credit": "offers",
    "offer_money": "offers",
    "meetup": "meeting",
    "photo_request": "sexual",
    "sexual": "sexual",
}

# How much one category, at full strength, says about the whole conversation. A compliment alone
# is weak, secrecy or a sexual solicitation is strong (../shared/spec/taxonomy.md).
DEFAULT_CATEGORY_WEIGHTS: dict[str, float] = {
    "offer_credit": 0.25,
    "offer_money": 0.25,
    "meetup": 0.25,
    "secrecy": 0.3,
    "isolation": 0.27,
    "personal_info": 0.21,
    "photo_request": 0.27,
    "sexual": 0.8,  # transactional sexual solicitation alerts on its own
    "flattery": 0.15,
}

# Pairs of stages that together say more than apart (../shared/spec/taxonomy.md: "an offer with
# secrecy, or a meetup with secrecy, is a strong signal").
DEFAULT_STAGE_PAIRS: dict[tuple[str, str], float] = {
    ("offers", "exclusivity_secrecy"): 0.3,
    ("meeting", "exclusivity_secrecy"): 0.3,
    ("offers", "meeting"): 0.2,
    ("risk_assessment", "meeting"): 0.2,
    ("risk_assessment", "exclusivity_secrecy"): 0.2,
    ("sexual", "offers"): 0.3,
    ("sexual", "meeting"): 0.3,
}

# Per-child thresholds, like e2guardian's naughtiness limits (50 for young children, 100 for older
# children, 160 for young adults): the same evidence alerts sooner for a younger child.
SENSITIVITY_FACTORS: dict[str, float] = {"high": 0.75, "normal": 1.0, "low": 1.3}

_PHRASES: dict[str, str] = {
    "offer_credit": "offers of phone credit or game currency",
    "offer_money": "offers of money or gifts",
    "meetup": "an invitation to meet",
    "secrecy": "a request for secrecy",
    "isolation": "moving the chat away or isolating the child",
    "personal_info": "questions about the child's age, school, whereabouts or being alone",
    "photo_request": "requests for photos or video calls",
    "sexual": "sexual or transactional solicitation",
    "flattery": "excessive compliments",
}


class Scorer(Protocol):
    """What the tracker needs of `classifiers.scorer.Scorer`."""

    threshold: float

    def score(self, text: str, direction: str = "to_child") -> Verdict: ...


def sensitivity_for_age(age: int | None) -> str:
    """Sensitivity of a child of this age: under 13 high, 13-15 normal, 16 and over low."""
    if age is None:
        return "normal"
    if age < 13:
        return "high"
    if age < 16:
        return "normal"
    return "low"


@dataclass
class TrackerSettings:
    threshold: float = 0.6  # conversation risk that raises an alert (a "normal" child)
    # Severity bands above the threshold: risk >= medium_at -> medium, >= high_at -> high, both
    # as fractions of the way from the threshold to 1.
    medium_at: float = 0.35
    high_at: float = 0.7
    half_life_hours: float = 72.0  # a signal three days old counts half
    half_life_messages: float = 60.0  # ...and so does one sixty messages back
    category_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_WEIGHTS))
    stage_bonus: float = 0.15  # added evidence for each grooming stage beyond the first
    stage_min_strength: float = 0.3  # a category counts towards a stage from this strength
    single_message_factor: float = 0.5  # a lone message's score, as conversation risk
    stage_pairs: dict[tuple[str, str], float] = field(default_factory=lambda: dict(DEFAULT_STAGE_PAIRS))
    model_only_factor: float = 0.5  # weight of a category that only the model (no rule) saw
    rearm_below: float = 0.5  # once risk fades below this share of the threshold, alert anew
    min_signal: float = 0.15  # category scores below this are noise and are ignored
    child_sensitivity: dict[str, str] = field(default_factory=dict)  # child name -> high|normal|low
    default_sensitivity: str = "normal"
    # Bounds on memory.
    max_conversations: int = 5_000
    context_messages: int = 3  # messages before the alerting one kept as context
    max_evidence: int = 8
    max_stored_chars: int = 500  # of a message's text kept in evidence and context
    max_scored_chars: int = 20_000  # of a message's text given to the scorer

    @classmethod
    def from_config(cls, config: Config) -> TrackerSettings:
        sensitivities = {
            child.name: child.sensitivity or sensitivity_for_age(child.age) for child in config.children
        }
        return cls(threshold=config.detection.conversation_threshold, child_sensitivity=sensitivities)

    def threshold_for(self, child: str | None) -> float:
        sensitivity = self.child_sensitivity.get(child or "", self.default_sensitivity)
        return min(0.95, self.threshold * SENSITIVITY_FACTORS.get(sensitivity, 1.0))


@dataclass(slots=True)
class _Signal:
    """The current strength of one category and the message that gave it."""

    strength: float
    index: int


@dataclass(slots=True)
class _Conversation:
    count: int = 0  # messages seen
    last_ts: datetime | None = None
    signals: dict[str, _Signal] = field(default_factory=dict)
    peak: float = 0.0  # strongest single-message score, decayed like the signals
    peak_index: int = -1
    pending: float = 1.0  # fading not yet applied to signals and peak
    # The last few messages: AlertMessages, or plain tuples for those that brought nothing.
    recent: deque[AlertMessage | tuple] = field(default_factory=deque)
    evidence: dict[int, AlertMessage] = field(default_factory=dict)
    alerted: str = "none"  # highest severity raised so far
    stages_seen: set[str] = field(default_factory=set)


class ConversationTracker:
    """Follows conversations message by message; see the module docstring."""

    def __init__(self, scorer: Scorer, settings: TrackerSettings | None = None):
        self.scorer = scorer
        self.settings = settings or TrackerSettings()
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self._message_decay = 0.5 ** (1.0 / self.settings.half_life_messages)
        self._unit = max(float(getattr(scorer, "threshold", 0.5)), 0.05)

    def __len__(self) -> int:
        return len(self._conversations)

    def feed(self, msg: ChatMessage) -> Alert | None:
        """Score `msg` and take it into its conversation; the alert it raises, if any."""
        text = msg.text[: self.settings.max_scored_chars]
        return self.observe(msg, self.scorer.score(text, direction=msg.direction))

    def feed_many(self, msgs: Iterable[ChatMessage]) -> list[Alert]:
        """Feed several messages, scoring them in one batch when the scorer can."""
        msgs = list(msgs)
        score_many = getattr(self.scorer, "score_many", None)
        cap = self.settings.max_scored_chars
        if score_many is not None:
            verdicts = score_many([(m.text[:cap], m.direction) for m in msgs])
        else:
            verdicts = [self.scorer.score(m.text[:cap], direction=m.direction) for m in msgs]
        alerts = []
        for msg, verdict in zip(msgs, verdicts, strict=True):
            alert = self.observe(msg, verdict)
            if alert is not None:
                alerts.append(alert)
        return alerts

    def forget(self, conversation: str) -> None:
        self._conversations.pop(conversation, None)

    def risk(self, conversation: str) -> float:
        """The current risk of a conversation (0 for one never seen or evicted)."""
        conv = self._conversations.get(conversation)
        if conv is None:
            return 0.0
        self._apply_decay(conv)
        return self._risk(conv)[0]

    def stages(self, conversation: str) -> tuple[str, ...]:
        """The grooming stages seen so far in a conversation, in the usual order."""
        conv = self._conversations.get(conversation)
        return tuple(s for s in STAGES if conv and s in conv.stages_seen)

    def observe(self, msg: ChatMessage, verdict: Verdict) -> Alert | None:
        """Take an already scored message into its conversation."""
        settings = self.settings
        conv = self._conversation(msg.conversation)
        index = conv.count
        conv.count += 1
        self._age(conv, msg.ts)

        ruled = _rule_categories(verdict)
        signals = self._signals(verdict, ruled)
        peak = verdict.score if ruled else verdict.score * settings.model_only_factor
        if peak <= conv.peak * conv.pending and not self._adds(conv, signals):
            # Nothing new or stronger: risk can only have faded, so no alert can rise. Most
            # messages end here, cheaply; they are kept only as context for a later alert.
            self._remember(conv, (index, msg.text[: settings.max_stored_chars + 1], msg.direction,
                                  msg.ts, verdict))
            return None

        self._apply_decay(conv)
        rearm_at = settings.rearm_below * settings.threshold_for(msg.child)
        if conv.alerted != "none" and self._risk(conv)[0] < rearm_at:
            # The earlier episode has faded away: a new one may alert again from "low".
            conv.alerted = "none"
        for category, strength in signals:
            current = conv.signals.get(category)
            if current is None or strength >= current.strength:
                conv.signals[category] = _Signal(strength, index)
        if peak >= conv.peak:
            conv.peak, conv.peak_index = peak, index

        categories = tuple(c for c, _ in signals)
        stored = _stored_message(index, msg.text, msg.direction, msg.ts, verdict, categories,
                                 settings.max_stored_chars)
        if signals:
            self._add_evidence(conv, stored)
        risk, stages = self._risk(conv)
        conv.stages_seen.update(stages)

        alert = None
        threshold = settings.threshold_for(msg.child)
        severity = _severity(risk, threshold, settings)
        if severity != "none" and severity_rank(severity) > severity_rank(conv.alerted):
            conv.alerted = severity
            alert = self._alert(msg, conv, index, risk, severity, stored)
        self._remember(conv, stored)
        return alert

    # --- internals ---------------------------------------------------------------------------

    def _signals(self, verdict: Verdict, ruled: set[str]) -> list[tuple[str, float]]:
        """(category, strength) of each risk category this message brings, strength in [0, 1]."""
        settings = self.settings
        out = []
        for category, score in _category_scores(verdict).items():
            if score < settings.min_signal or category not in STAGE_OF_CATEGORY:
                continue
            # A message the scorer calls benign overall (negative context such as a parent
            # paying school fees) cannot lend a category more strength than its own score.
            # A category at the scorer's flagging threshold counts at full strength.
            strength = min(1.0, min(score, max(verdict.score, 0.0)) / self._unit)
            if category not in ruled:
                # Only the model saw it: on short chat lines a model's guess is noisier than a
                # rule that can show its words, so it counts for less.
                strength *= settings.model_only_factor
            if strength > 0:
                out.append((category, strength))
        return out

    @staticmethod
    def _adds(conv: _Conversation, signals: list[tuple[str, float]]) -> bool:
        """Whether any signal is stronger than what its category already holds (after fading)."""
        for category, strength in signals:
            held = conv.signals.get(category)
            if held is None or strength >= held.strength * conv.pending:
                return True
        return False

    def _remember(self, conv: _Conversation, item: AlertMessage | tuple) -> None:
        conv.recent.append(item)  # a deque with maxlen: the oldest falls out

    def _conversation(self, key: str) -> _Conversation:
        conv = self._conversations.get(key)
        if conv is None:
            conv = self._conversations[key] = _Conversation(
                recent=deque(maxlen=self.settings.context_messages))
            if len(self._conversations) > self.settings.max_conversations:
                evicted, _ = self._conversations.popitem(last=False)
                log.debug("evicted conversation %s (least recently active)", evicted)
        else:
            self._conversations.move_to_end(key)
        return conv

    def _age(self, conv: _Conversation, ts: datetime | None) -> None:
        """Note the fading since the last message; applied to the signals when next needed."""
        factor = self._message_decay if conv.count > 1 else 1.0
        if ts is not None and conv.last_ts is not None:
            try:
                hours = (ts - conv.last_ts).total_seconds() / 3600.0
            except TypeError:  # one time has a zone and the other not: no time decay
                hours = 0.0
            if hours > 0:
                factor *= 0.5 ** (hours / self.settings.half_life_hours)
        if ts is not None:
            conv.last_ts = ts
        conv.pending *= factor

    def _apply_decay(self, conv: _Conversation) -> None:
        factor, conv.pending = conv.pending, 1.0
        if factor >= 1.0:
            return
        conv.peak *= factor
        for category in list(conv.signals):
            signal = conv.signals[category]
            signal.strength *= factor
            if signal.strength < self.settings.min_signal / 4:
                del conv.signals[category]

    def _risk(self, conv: _Conversation) -> tuple[float, list[str]]:
        settings = self.settings
        weights = settings.category_weights
        remaining = 1.0  # probability-like: nothing so far says "risk"
        stage_strength: dict[str, float] = {}
        for category, signal in conv.signals.items():
            remaining *= 1.0 - weights.get(category, 0.3) * signal.strength
            stage = STAGE_OF_CATEGORY[category]
            stage_strength[stage] = max(stage_strength.get(stage, 0.0), signal.strength)
        stages = {s for s, v in stage_strength.items() if v >= settings.stage_min_strength}
        if len(stages) > 1:
            remaining *= (1.0 - settings.stage_bonus) ** (len(stages) - 1)
        # The combinations the taxonomy calls strong (an offer with secrecy, a meeting with
        # secrecy, ...) weigh more than the sum of their parts.
        for (a, b), bonus in settings.stage_pairs.items():
            if a in stages and b in stages:
                remaining *= 1.0 - bonus * min(stage_strength[a], stage_strength[b])
        combined = 1.0 - remaining
        single = settings.single_message_factor * conv.peak
        ordered = [s for s in STAGES if s in stages]
        return max(combined, single), ordered

    def _add_evidence(self, conv: _Conversation, stored: AlertMessage) -> None:
        conv.evidence[stored.index] = stored
        if len(conv.evidence) <= self.settings.max_evidence:
            return
        # Keep the messages that still hold a category's strength, then the strongest others.
        holding = {s.index for s in conv.signals.values()}
        victims = sorted(
            (i for i in conv.evidence if i not in holding), key=lambda i: (conv.evidence[i].score, i)
        )
        for i in victims[: len(conv.evidence) - self.settings.max_evidence]:
            del conv.evidence[i]

    def _alert(
        self, msg: ChatMessage, conv: _Conversation, index: int, risk: float, severity: str,
        stored: AlertMessage,
    ) -> Alert:
        categories = by_weight({c: s.strength for c, s in conv.signals.items()})
        stages = tuple(s for s in STAGES if s in conv.stages_seen)
        # The messages that make the risk now: those whose categories have not faded away.
        live = set(conv.signals)
        evidence = tuple(m for i, m in sorted(conv.evidence.items())
                         if live.intersection(m.categories) or i in (index, conv.peak_index))
        if not evidence or evidence[-1].index != index:
            evidence = (*evidence, stored) if stored.score > 0 else evidence
        return Alert(
            conversation=msg.conversation,
            message_index=index,
            severity=severity,
            score=round(risk, 4),
            categories=categories,
            stages=stages,
            summary=summarize(categories, stages, severity, risk, conv.count),
            evidence=evidence,
            context=tuple(_as_alert_message(m, self.settings.max_stored_chars) for m in conv.recent
                          if _index_of(m) not in conv.evidence),
            ts=msg.ts,
            child=msg.child,
            device=msg.device,
            app=msg.app,
        )


def summarize(
    categories: Sequence[str], stages: tuple[str, ...], severity: str, risk: float, messages: int
) -> str:
    """One English line for people: what was seen, how serious, after how many messages."""
    what = [_PHRASES[c] for c in categories if c in _PHRASES][:4]
    if not what:
        what = ["risky messages"]
    listed = what[0] if len(what) == 1 else ", ".join(what[:-1]) + " and " + what[-1]
    stage_text = f"; grooming stages seen: {', '.join(s.replace('_', '/') for s in stages)}" if stages else ""
    return (
        f"{severity.capitalize()} risk ({risk:.2f}) after {messages} message"
        f"{'s' if messages != 1 else ''}: {listed}{stage_text}."
    )


def _severity(risk: float, threshold: float, settings: TrackerSettings) -> str:
    if risk < threshold:
        return "none"
    span = 1.0 - threshold
    if risk >= threshold + settings.high_at * span:
        return "high"
    if risk >= threshold + settings.medium_at * span:
        return "medium"
    return "low"


def _category_scores(verdict: Verdict) -> Mapping[str, float]:
    scores = getattr(verdict, "category_scores", None)
    if scores:
        return scores
    # A verdict without per-category scores: its categories at its overall score.
    return {c: verdict.score for c in verdict.categories}


def _rule_categories(verdict: Verdict) -> set[str]:
    """Categories that a rule with a positive weight found in the message."""
    found: set[str] = set()
    for ev in verdict.evidence:
        if ev.source == "rule" and (ev.weight is None or ev.weight > 0):
            found.update(ev.categories)
    return found


def _stored_message(
    index: int, text: str, direction: str, ts: datetime | None, verdict: Verdict,
    categories: tuple[str, ...], cap: int,
) -> AlertMessage:
    text = text if len(text) <= cap else text[:cap] + "…"
    rules: list[str] = []
    highlights: list[tuple[int, int]] = []
    for ev in verdict.evidence:
        if ev.source == "rule" and ev.rule and (ev.weight is None or ev.weight > 0):
            if ev.rule not in rules:
                rules.append(ev.rule)
            if ev.start is not None and ev.end is not None and ev.end <= cap and ev.start < ev.end:
                highlights.append((ev.start, ev.end))
    return AlertMessage(
        index=index,
        direction=direction,
        text=text,
        ts=ts,
        categories=categories,
        score=float(verdict.score),
        rules=tuple(rules),
        highlights=tuple(sorted(set(highlights))),
    )


def _index_of(item: AlertMessage | tuple) -> int:
    return item.index if isinstance(item, AlertMessage) else item[0]


def _as_alert_message(item: AlertMessage | tuple, cap: int) -> AlertMessage:
    if isinstance(item, AlertMessage):
        return item
    index, text, direction, ts, verdict = item
    return _stored_message(index, text, direction, ts, verdict, (), cap)


def describe_settings(settings: TrackerSettings) -> dict[str, Any]:
    """The settings that shape detection, for reports and banners."""
    return {
        "threshold": settings.threshold,
        "half_life_hours": settings.half_life_hours,
        "half_life_messages": settings.half_life_messages,
        "stage_bonus": settings.stage_bonus,
        "stage_pairs": {f"{a}+{b}": v for (a, b), v in settings.stage_pairs.items()},
        "single_message_factor": settings.single_message_factor,
        "model_only_factor": settings.model_only_factor,
        "category_weights": dict(settings.category_weights),
    }
