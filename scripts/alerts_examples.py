"""Print the alert examples of docs/alerts.md, rendered by jaga's real alert text code.

    .venv/bin/python scripts/alerts_examples.py > /tmp/examples.md

docs/alerts.md holds this output between its "generated" markers; tests/agent/test_alert_text.py
checks that it is still what the code writes. The alert is invented (Rina, 192.168.1.20), shown
in the Indonesian central time zone (WITA) so the examples read as a parent in Kupang sees them.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.alert_text import PRIVACY_LEVELS, render, render_digest, stored_view
from agent.messages import Alert, AlertMessage

WITA = timezone(timedelta(hours=8))
TEXT = ("halo dek, lagi apa? tadi om lewat depan sekolah kamu. nanti om kirim pulsa 50rb ya. "
        "besok kamu libur kan? tapi jangan bilang mama ya, nanti dia marah sama kamu")


def _span(phrase: str) -> tuple[int, int]:
    start = TEXT.index(phrase)
    return (start, start + len(phrase))


def sample_alert() -> Alert:
    return Alert(
        conversation="192.168.1.20|web.whatsapp.com|om-budi", message_index=4, severity="high",
        score=0.93, categories=("offer_credit", "secrecy"), stages=("offer", "secrecy"),
        summary="an offer of phone credit with a request for secrecy",
        evidence=(AlertMessage(index=4, direction="to_child", text=TEXT,
                               categories=("offer_credit", "secrecy"), score=0.9,
                               highlights=(_span("pulsa 50rb"), _span("jangan bilang mama"))),),
        ts=datetime(2026, 5, 14, 19, 30, tzinfo=WITA), child="Rina", device="192.168.1.20",
        app="web.whatsapp.com")


def _block(title: str, body: str) -> str:
    return f"```text\n{title}\n\n{body}\n```\n"


def examples_markdown() -> str:
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "WITA-8"  # POSIX form: named WITA, 8 hours east of UTC
    time.tzset()
    try:
        alert = stored_view(sample_alert(), alert_id=12)
        out = []
        for language, name in (("id", "Bahasa Indonesia"), ("en", "English")):
            out.append(f"### {name} (`language: {language}`), `privacy: snippet`\n")
            msg = render(alert, language, "snippet")
            out.append(_block(msg.title, msg.body))
        out.append("### The three privacy levels: what the \"seen\" part says\n")
        for language in ("id", "en"):
            for privacy in PRIVACY_LEVELS:
                seen = render(alert, language, privacy).body.split("\n\n", 1)[0]
                out.append(f"`language: {language}`, `privacy: {privacy}`:\n")
                out.append(f"```text\n{seen}\n```\n")
        other = stored_view(sample_alert(), alert_id=13)
        other = type(other)(**{**{f: getattr(other, f) for f in other.__slots__},
                               "child": "Budi", "categories": ("meetup",), "severity": "medium",
                               "ts": other.ts + timedelta(hours=3)})
        out.append("### After quiet hours: one digest (titles only, never message text)\n")
        digest = render_digest([alert, other], "en")
        out.append(_block(digest.title, digest.body))
        return "\n".join(out)
    finally:
        if old_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old_tz
        time.tzset()


if __name__ == "__main__":
    sys.stdout.write(examples_markdown())
