"""What a parent receives: alert text in Indonesian or English, at a chosen privacy level.

A notification travels through third-party services (chat apps, e-mail providers), so the
privacy level decides how much of the child's chat leaves the house:

- `full`: the messages that made the risk, word for word;
- `snippet`: only the risky words with a few words around them;
- `none`: no message text at all, only what kind of risk, where and when.

All wording lives in `MESSAGES`, one dict per language, written for parents, not engineers: a
title that says whose phone and how serious, then what was seen, where, when, and what to do
next. The help lines were checked against public sources (KemenPPPA's SAPA 129: call 129 or
WhatsApp 08111-129-129; NCMEC's CyberTipline at report.cybertip.org for the United States).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from agent.messages import Alert
from agent.store import StoredAlert, utcnow

LANGUAGES = ("id", "en")
PRIVACY_LEVELS = ("full", "snippet", "none")
SNIPPET_WORDS = 3  # words kept on each side of a risky phrase

MESSAGES: dict[str, dict[str, Any]] = {
    "en": {
        "severity": {"high": "Serious", "medium": "Worrying", "low": "Worth a look"},
        "whose_phone": "{child}'s phone",
        "device": "Device {device}",
        "unknown_phone": "Your child's phone",
        "someone": "someone",
        "and": "and",
        "category": {
            "offer_credit": "offered phone credit or game currency",
            "offer_money": "offered money or gifts",
            "meetup": "asked to meet in person",
            "secrecy": "asked to keep it secret",
            "isolation": "asked to move to a private chat",
            "personal_info": "asked personal questions (age, school, home, being alone)",
            "photo_request": "asked for photos or a video call",
            "sexual": "used sexual or paid-date wording",
            "flattery": "flattered heavily to win trust",
        },
        "title": "{severity} – {who}: {someone} {what}",
        "seen": "What jaga saw",
        "received": "Received",
        "sent": "Sent by the child",
        "no_text": "(message text not included: privacy setting \"{privacy}\")",
        "no_snippet": "(no words to quote)",
        "where": "Where",
        "when": "When",
        "kinds": "Kinds of risk",
        "next": "What to do now",
        "steps": [
            "Talk with your child calmly and without blame: they are not in trouble, and they "
            "should feel safe telling you. Do not take the phone away in anger.",
            "Keep the evidence: do not delete the chat or block the person yet; take screenshots "
            "with the date and the sender's name or number.",
            "Do not reply to or confront the person yourself.",
            "Get help: in Indonesia, SAPA 129 of the Ministry of Women's Empowerment and Child "
            "Protection (KemenPPPA): call 129 or WhatsApp 08111-129-129, or the police (110). "
            "Elsewhere: your local police; in the United States, NCMEC's CyberTipline "
            "(report.cybertip.org). If the child may be in danger now, call the police at once.",
        ],
        "footer": "jaga alert #{id}. On the jaga box: jaga alerts show {id}",
        "digest_title": "jaga: {n} alert(s) while notifications were paused",
        "daily_title": "jaga daily summary: {n} alert(s) in the last 24 hours",
        "daily_none": "jaga daily summary: no alerts in the last 24 hours",
        "digest_line": "- {time} {title}",
        "digest_footer": "On the jaga box: jaga alerts --since {since}",
        "test_title": "jaga test: notifications reach you",
        "test_body": "This is a test from jaga. If you can read it, alerts about your child's "
                     "phone will reach you here. Nothing needs to be done.",
    },
    "id": {
        "severity": {"high": "Serius", "medium": "Mengkhawatirkan", "low": "Perlu dilihat"},
        "whose_phone": "HP {child}",
        "device": "Perangkat {device}",
        "unknown_phone": "HP anak Anda",
        "someone": "seseorang",
        "and": "dan",
        "category": {
            "offer_credit": "menawarkan pulsa, kuota, atau diamond game",
            "offer_money": "menawarkan uang atau hadiah",
            "meetup": "mengajak bertemu langsung",
            "secrecy": "meminta agar dirahasiakan",
            "isolation": "mengajak pindah ke obrolan pribadi",
            "personal_info": "menanyakan hal pribadi (umur, sekolah, rumah, sendirian atau tidak)",
            "photo_request": "meminta foto atau video call",
            "sexual": "memakai kata-kata seksual atau ajakan kencan berbayar",
            "flattery": "memuji berlebihan untuk mendapat kepercayaan",
        },
        "title": "{severity} – {who}: {someone} {what}",
        "seen": "Yang dilihat jaga",
        "received": "Diterima",
        "sent": "Dikirim oleh anak",
        "no_text": "(isi pesan tidak disertakan: pengaturan privasi \"{privacy}\")",
        "no_snippet": "(tidak ada kata yang bisa dikutip)",
        "where": "Di mana",
        "when": "Kapan",
        "kinds": "Jenis risiko",
        "next": "Yang perlu dilakukan sekarang",
        "steps": [
            "Ajak anak bicara dengan tenang dan tanpa menyalahkan: anak tidak bersalah, dan ia "
            "perlu merasa aman untuk bercerita. Jangan merampas HP-nya karena marah.",
            "Simpan buktinya: jangan hapus chat atau blokir orang itu dulu; ambil tangkapan layar "
            "yang memperlihatkan tanggal dan nama atau nomor pengirim.",
            "Jangan membalas atau mendatangi orang itu sendiri.",
            "Minta bantuan: SAPA 129 Kementerian Pemberdayaan Perempuan dan Perlindungan Anak "
            "(KemenPPPA): telepon 129 atau WhatsApp 08111-129-129, atau polisi (110). Di luar "
            "Indonesia: polisi setempat; di Amerika Serikat, CyberTipline NCMEC "
            "(report.cybertip.org). Jika anak mungkin dalam bahaya sekarang, segera hubungi polisi.",
        ],
        "footer": "Peringatan jaga #{id}. Di perangkat jaga: jaga alerts show {id}",
        "digest_title": "jaga: {n} peringatan selama notifikasi dijeda",
        "daily_title": "Ringkasan harian jaga: {n} peringatan dalam 24 jam terakhir",
        "daily_none": "Ringkasan harian jaga: tidak ada peringatan dalam 24 jam terakhir",
        "digest_line": "- {time} {title}",
        "digest_footer": "Di perangkat jaga: jaga alerts --since {since}",
        "test_title": "Uji jaga: notifikasi sampai ke Anda",
        "test_body": "Ini pesan uji dari jaga. Jika Anda bisa membacanya, peringatan tentang HP "
                     "anak Anda akan sampai ke sini. Tidak ada yang perlu dilakukan.",
    },
}


@dataclass(frozen=True, slots=True)
class Rendered:
    title: str
    body: str
    notify_type: str  # Apprise's "info" | "warning" | "failure"


_NOTIFY_TYPE = {"high": "failure", "medium": "warning", "low": "info"}


def stored_view(alert: Alert, alert_id: int = 0) -> StoredAlert:
    """An `Alert` not (yet) in the store, seen as a stored one, so it renders the same way."""
    now = utcnow()
    return StoredAlert(
        id=alert_id, ts=alert.ts or now, created=now, conversation=alert.conversation,
        message_index=alert.message_index, severity=alert.severity, score=alert.score,
        categories=tuple(alert.categories), stages=tuple(alert.stages), summary=alert.summary,
        evidence=tuple(m.to_json() for m in alert.evidence),
        context=tuple(m.to_json() for m in alert.context),
        child=alert.child, device=alert.device, app=alert.app, extra=dict(alert.extra))


def _texts(language: str) -> dict[str, Any]:
    return MESSAGES[language if language in MESSAGES else "id"]


def _join(items: list[str], word_and: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word_and} {items[-1]}"


def local_time(ts: datetime) -> str:
    """The box's local time, e.g. '2026-05-14 10:00 WITA'."""
    local = ts.astimezone()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def title(alert: StoredAlert, language: str = "id") -> str:
    t = _texts(language)
    if alert.child:
        who = t["whose_phone"].format(child=alert.child)
    elif alert.device:
        who = t["device"].format(device=alert.device)
    else:
        who = t["unknown_phone"]
    # The two most important categories keep the title short enough for a phone's lock screen.
    what = [t["category"][c] for c in alert.categories if c in t["category"]][:2]
    severity = t["severity"].get(alert.severity, alert.severity)
    return t["title"].format(severity=severity, who=who, someone=t["someone"],
                             what=_join(what, t["and"]) or "?")


def snippet(text: str, spans: Iterable[Iterable[int]], words: int = SNIPPET_WORDS) -> str:
    """The risky spans of `text`, each with up to `words` words around it, joined with ' … '."""
    pieces: list[tuple[int, int]] = []
    for span in spans:
        start, end = list(span)[:2]
        start, end = max(0, int(start)), min(len(text), int(end))
        if start >= end:
            continue
        left, right = start, end
        for _ in range(words):  # widen to `words` whole words on each side
            left = text.rfind(" ", 0, max(0, left - 1)) + 1 if left > 0 else 0
        for _ in range(words):
            nxt = text.find(" ", right + 1)
            right = len(text) if nxt < 0 else nxt
        pieces.append((left, right))
    pieces.sort()
    merged: list[list[int]] = []
    for start, end in pieces:
        if merged and not text[merged[-1][1]:start].strip():  # touching or overlapping
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out = []
    for start, end in merged:
        part = text[start:end].strip()
        out.append(("… " if start > 0 else "") + part + (" …" if end < len(text) else ""))
    return " ".join(out).replace("… …", "…")


def _seen_lines(alert: StoredAlert, t: dict[str, Any], privacy: str) -> list[str]:
    if privacy == "none":
        return [t["no_text"].format(privacy=privacy)]
    lines = []
    for message in alert.evidence:
        who = t["sent"] if message.get("direction") == "from_child" else t["received"]
        text = str(message.get("text") or "")
        if privacy == "full":
            shown = text
        else:
            shown = snippet(text, message.get("highlights") or []) or t["no_snippet"]
        lines.append(f"- {who}: \"{shown}\"" if shown != t["no_snippet"] else f"- {who}: {shown}")
    return lines


def render(alert: StoredAlert, language: str = "id", privacy: str = "snippet") -> Rendered:
    """The notification for one alert: title and body, in `language`, at `privacy`."""
    if privacy not in PRIVACY_LEVELS:
        raise ValueError(f"privacy must be one of {PRIVACY_LEVELS}, not {privacy!r}")
    t = _texts(language)
    where = ", ".join(x for x in (alert.app, alert.device) if x) or "-"
    kinds = _join([t["category"].get(c, c) for c in alert.categories], t["and"])
    body = [
        f"{t['seen']}:", *_seen_lines(alert, t, privacy), "",
        f"{t['kinds']}: {kinds}",
        f"{t['where']}: {where}",
        f"{t['when']}: {local_time(alert.ts)}", "",
        f"{t['next']}:", *(f"{i}. {step}" for i, step in enumerate(t["steps"], 1)), "",
        t["footer"].format(id=alert.id),
    ]
    return Rendered(title(alert, language), "\n".join(body), _NOTIFY_TYPE.get(alert.severity, "info"))


def render_digest(alerts: list[StoredAlert], language: str = "id", *, daily: bool = False,
                  since: datetime | None = None) -> Rendered:
    """One message summing up several alerts (after quiet hours, or the daily summary).

    A digest carries titles only, never message text, whatever the privacy level: it is a
    pointer to the alerts, which `jaga alerts` shows in full on the box.
    """
    t = _texts(language)
    n = len(alerts)
    if daily:
        head = t["daily_title"].format(n=n) if n else t["daily_none"]
    else:
        head = t["digest_title"].format(n=n)
    lines = [t["digest_line"].format(time=local_time(a.ts), title=title(a, language))
             for a in sorted(alerts, key=lambda a: a.ts)]
    if since is not None:
        lines += ["", t["digest_footer"].format(since=since.astimezone().isoformat(timespec="minutes"))]
    worst = max((a.severity for a in alerts), key=lambda s: ("low", "medium", "high").index(s)
                if s in ("low", "medium", "high") else 0, default="low")
    return Rendered(head, "\n".join(lines), _NOTIFY_TYPE.get(worst, "info"))


def render_test(language: str = "id") -> Rendered:
    t = _texts(language)
    return Rendered(t["test_title"], t["test_body"], "info")
