"""The detection engine behind the proxy: scorer, conversation tracker and alert service, together.

`build_engine` assembles the same parts that `jaga scan` uses. Each part is imported when the
engine is built; if one cannot be loaded the proxy still runs (reading nothing is better than
breaking the child's internet) and `Engine.problems` says what is missing, for the banner.
Pure logic: no mitmproxy import.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import Config
from agent.messages import Alert, ChatMessage

log = logging.getLogger(__name__)

FAULTS = ("", "scorer")  # values of the jaga_test_fault option


class InjectedFault(RuntimeError):
    """Raised on purpose by `FaultyScorer`, for the fault tests."""


class FaultyScorer:
    """Wraps a scorer and raises on every call: proves that a broken scorer never breaks traffic."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.threshold = getattr(inner, "threshold", 0.5)

    def score(self, text: str, direction: str = "to_child") -> Any:
        raise InjectedFault("jaga_test_fault=scorer: the scorer failed on purpose")

    def score_many(self, items: Any) -> Any:
        raise InjectedFault("jaga_test_fault=scorer: the scorer failed on purpose")

    def describe(self) -> dict[str, Any]:
        return {**_describe(self.inner), "fault": "raises on every message (jaga_test_fault)"}


def _describe(scorer: Any) -> dict[str, Any]:
    try:
        return dict(scorer.describe())
    except Exception as e:
        return {"error": f"describe() failed: {e}"}


@dataclass
class Engine:
    feed: Callable[[ChatMessage], Alert | None] | None = None
    feed_many: Callable[[list[ChatMessage]], list[Alert]] | None = None  # one scoring call
    record_alert: Callable[[Alert], object] | None = None
    scorer: Any = None
    alerts: Any = None  # the AlertService, started and stopped with the proxy
    problems: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return _describe(self.scorer) if self.scorer is not None else {}

    def start(self) -> None:
        if self.alerts is not None and hasattr(self.alerts, "start"):
            self.alerts.start()

    def stop(self) -> None:
        if self.alerts is not None and hasattr(self.alerts, "stop"):
            try:
                self.alerts.stop()
            except Exception:
                log.exception("stopping the alert service failed")


def build_engine(config: Config, data_dir: Path, fault: str = "") -> Engine:
    """The scorer, tracker and alert service for `config`, degrading part by part."""
    engine = Engine()
    try:
        from classifiers.scorer import load_scorer

        engine.scorer = load_scorer(config.detection)
    except Exception as e:
        engine.problems.append(f"scorer not loaded ({type(e).__name__}: {e}): nothing is scored")
        log.warning("jaga reads traffic but scores nothing: %s", e)
    if engine.scorer is not None and fault == "scorer":
        engine.scorer = FaultyScorer(engine.scorer)
    if engine.scorer is not None:
        try:
            from agent.conversation import ConversationTracker, TrackerSettings

            tracker = ConversationTracker(engine.scorer, TrackerSettings.from_config(config))
            engine.feed = tracker.feed
            engine.feed_many = tracker.feed_many
        except Exception as e:
            engine.problems.append(f"conversation tracker not loaded ({e}): no alerts")
    try:
        from agent.alerting import AlertService

        engine.alerts = AlertService(config, data_dir)
        engine.record_alert = engine.alerts.record
    except Exception as e:
        engine.problems.append(f"alert service not loaded ({e}): alerts are stored, not sent")
        engine.record_alert = _store_only(data_dir)
    return engine


def _store_only(data_dir: Path) -> Callable[[Alert], object]:
    """Until the alert service is there: store the alert, and say so in the log."""

    def record(alert: Alert) -> object:
        log.warning("ALERT %s %s: %s", alert.severity, alert.conversation, alert.summary)
        try:
            from agent.store import Store

            store = Store.open(data_dir)
            try:
                return store.add_alert(alert)
            finally:
                store.close()
        except Exception:
            log.exception("could not store the alert")
            return None

    return record
