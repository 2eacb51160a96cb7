"""Invented alerts for the alerting tests (no real people: names and numbers are made up)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agent.messages import Alert, AlertMessage

# "nanti om kirim pulsa 50rb ya, tapi jangan bilang mama" with its two risky phrases marked.
OFFER_TEXT = ("halo dek, kamu lagi apa? nanti om kirim pulsa 50rb ya, tapi ini rahasia kita, "
              "jangan bilang mama soalnya nanti dia marah sama kamu terus")
CONTEXT_TEXT = "kamu cantik banget deh, beda dari yang lain"


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return (start, start + len(phrase))


def make_alert(**overrides: Any) -> Alert:
    """A high offer+secrecy alert on Rina's phone; any field can be overridden."""
    fields: dict[str, Any] = {
        "conversation": "192.168.1.20|web.whatsapp.com|om-budi",
        "message_index": 4,
        "severity": "high",
        "score": 0.93,
        "categories": ("offer_credit", "secrecy"),
        "stages": ("friendship", "offer", "secrecy"),
        "summary": "offer of phone credit with a request for secrecy",
        "evidence": (AlertMessage(index=4, direction="to_child", text=OFFER_TEXT,
                                  categories=("offer_credit", "secrecy"), score=0.9,
                                  rules=("id.offer.pulsa", "id.secrecy.jangan_bilang"),
                                  highlights=(span(OFFER_TEXT, "pulsa 50rb"),
                                              span(OFFER_TEXT, "jangan bilang mama"))),),
        "context": (AlertMessage(index=3, direction="to_child", text=CONTEXT_TEXT,
                                 categories=("flattery",), score=0.3),),
        "ts": datetime.now().astimezone(),
        "child": "Rina",
        "device": "192.168.1.20",
        "app": "web.whatsapp.com",
    }
    fields.update(overrides)
    return Alert(**fields)
