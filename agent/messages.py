"""The two records that flow through the agent: a chat message in, an alert out.

Producers of messages: the proxy addon (agent/addon), the chat importers (agent/importers).
Consumer: the conversation tracker (agent/conversation.py), which scores them and raises `Alert`s.
Consumers of alerts: the store and outbox (agent/store.py, agent/delivery.py), `jaga scan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ChatMessage:
    conversation: str  # stable key: device + host + thread for the proxy, file + chat for scans
    text: str
    direction: str  # "to_child" (received) or "from_child" (sent)
    ts: datetime | None = None
    sender: str | None = None  # display name where known ("child" for the child's own)
    child: str | None = None  # the child's name from the configuration, where known
    device: str | None = None  # client address or MAC, for the proxy
    app: str | None = None  # host or app the message travelled through


@dataclass(frozen=True, slots=True)
class AlertMessage:
    """One message of an alert's evidence or context, as the child saw it."""

    index: int  # 0-based position within its conversation
    direction: str
    text: str
    ts: datetime | None = None
    categories: tuple[str, ...] = ()
    score: float = 0.0
    rules: tuple[str, ...] = ()  # ids of the rules that fired on it
    highlights: tuple[tuple[int, int], ...] = ()  # spans of `text` that matched

    def to_json(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "direction": self.direction,
            "text": self.text,
            "ts": self.ts.isoformat() if self.ts else None,
            "categories": list(self.categories),
            "score": round(self.score, 4),
            "rules": list(self.rules),
            "highlights": [list(h) for h in self.highlights],
        }


@dataclass(frozen=True, slots=True)
class Alert:
    conversation: str
    message_index: int  # 0-based index within the conversation of the message that raised it
    severity: str  # "low" | "medium" | "high"
    score: float  # conversation risk in [0, 1]
    categories: tuple[str, ...]
    stages: tuple[str, ...]  # grooming stages seen (friendship, risk_assessment, ...)
    summary: str  # one line for people
    evidence: tuple[AlertMessage, ...]  # the messages that made the risk
    context: tuple[AlertMessage, ...] = ()  # the few messages before the one that raised it
    ts: datetime | None = None
    child: str | None = None
    device: str | None = None
    app: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_contract_json(self) -> dict[str, Any]:
        """The `jaga scan --json` line of ../shared/spec/contracts.md."""
        return {
            "conversation": self.conversation,
            "message_index": self.message_index,
            "severity": self.severity,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "summary": self.summary,
        }
