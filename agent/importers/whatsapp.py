"""WhatsApp's "Export chat" text files, as Android and iOS write them in many locales.

Android: `31/12/21 22.15 - Name: text` (24-hour, dots or colons), `12/31/21, 10:15 PM - Name: text`.
iOS:     `[31/12/21 22.15.03] Name: text`, `[12/31/21, 10:15:30 PM] Name: text`.
Dates come day-first, month-first or year-first; the order is decided once per file from all its
dates. Lines without a header continue the previous message. System lines ("Messages and calls
are end-to-end encrypted", "X added Y") and media placeholders carry no text of the people and are
skipped. The file is read twice, streaming: once to learn the senders and the date order, once to
yield messages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from agent.importers import ImportProblem
from agent.importers.textfile import read_lines
from agent.messages import ChatMessage

_DATE = r"(?P<date>\d{1,4}[./-]\d{1,2}[./-]\d{1,4})"
_TIME = r"(?P<time>\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?: ?[AaPp]\.? ?[Mm]\.?)?)"
_ANDROID = re.compile(_DATE + r",? " + _TIME + r" - (?P<rest>.*)")
_IOS = re.compile(r"\[" + _DATE + r",? " + _TIME + r"\] (?P<rest>.*)")

# Invisible marks that WhatsApp puts around times, names and system texts.
_INVISIBLE = str.maketrans(
    {"\u200e": "", "\u200f": "", "\u202a": "", "\u202c": "", "\u202f": " ", "\u00a0": " "}
)

# Placeholders for media and deleted messages, in the languages our users' phones use.
_PLACEHOLDERS = re.compile(
    r"^(<media omitted>|<media tidak disertakan>|<media dihilangkan>|<attached: .*>|"
    r"(image|video|audio|sticker|gif|document|contact card) omitted|"
    r"(gambar|video|audio|stiker|dokumen) (tidak disertakan|dihilangkan)|"
    r"this message was deleted|you deleted this message|pesan ini (telah )?dihapus|"
    r"anda menghapus pesan ini|null|missed (voice|video) call|panggilan (suara|video) tak terjawab)$",
    re.IGNORECASE,
)
_SYSTEM = re.compile(r"end-to-end encrypted|(ter|di)enkripsi secara end-to-end", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Header:
    date: str
    time: str
    rest: str
    marked: bool  # iOS marks system texts and attachments with U+200E after "Name: "


def _header(line: str) -> _Header | None:
    marked = ": \u200e" in line
    line = line.translate(_INVISIBLE).lstrip()
    match = _IOS.match(line) or _ANDROID.match(line)
    if not match:
        return None
    return _Header(match["date"], match["time"], match["rest"], marked)


def looks_like_whatsapp(lines: list[str]) -> bool:
    """True when the first non-empty line of `lines` has a WhatsApp message header."""
    first = next((line for line in lines if line.strip()), "")
    return _header(first.lstrip("\ufeff")) is not None


def _speaker_prefixes(rest: str) -> list[str]:
    """Every way to read `rest` as "Name: text": the prefixes before each ': '."""
    out = []
    start = 0
    while (i := rest.find(": ", start)) != -1:
        out.append(rest[:i])
        start = i + 2
    return out


@dataclass
class _FileFacts:
    """What the first pass learns: how often each possible sender prefix occurs, the date order."""

    prefix_counts: Counter[str]
    date_order: str  # "dmy", "mdy" or "ymd"
    headers: int  # lines that start a message (date, time, then the rest)


def _learn(path: Path) -> _FileFacts:
    counts: Counter[str] = Counter()
    headers = 0
    day_first = month_first = year_first = twelve_hour = False
    for _, line, _ in read_lines(path):
        header = _header(line.lstrip("\ufeff"))
        if header is None:
            continue
        headers += 1
        counts.update(set(_speaker_prefixes(header.rest)))
        a, b, _c = (int(x) for x in re.split(r"[./-]", header.date))
        year_first |= a > 31
        day_first |= a > 12 and a <= 31
        month_first |= b > 12
        twelve_hour |= bool(re.search(r"[AaPp]\.? ?[Mm]", header.time))
    if year_first:
        order = "ymd"
    elif day_first:
        order = "dmy"
    elif month_first or twelve_hour:
        order = "mdy"  # 12-hour clocks come with US-style month-first dates
    else:
        order = "dmy"  # Indonesian phones write day first
    return _FileFacts(counts, order, headers)


def _sender(rest: str, facts: _FileFacts) -> tuple[str | None, str]:
    """Split "Name: text", choosing the reading whose name recurs most in the file.

    A name with ': ' in it recurs with all its parts on every line of that person, so among
    readings that occur equally often the longest wins, once it has been seen twice."""
    prefixes = _speaker_prefixes(rest)
    if not prefixes:
        return None, rest  # a system line: "X added Y", "Messages ... end-to-end encrypted"
    best = max(facts.prefix_counts[p] for p in prefixes)
    ties = [p for p in prefixes if facts.prefix_counts[p] == best]
    name = max(ties, key=len) if best >= 2 else min(ties, key=len)
    return name, rest[len(name) + 2 :]


def _timestamp(header: _Header, order: str) -> datetime | None:
    parts = [int(x) for x in re.split(r"[./-]", header.date)]
    if order == "ymd":
        year, month, day = parts
    elif order == "mdy":
        month, day, year = parts
    else:
        day, month, year = parts
    if year < 100:
        year += 2000
    clock = header.time.replace(".", ":").upper().replace(" ", "")
    pm = clock.endswith(("PM", "P:M:"))
    am = clock.endswith(("AM", "A:M:"))
    digits = re.match(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", clock)
    if not digits:
        return None
    hour, minute, second = int(digits[1]), int(digits[2]), int(digits[3] or 0)
    if pm and hour < 12:
        hour += 12
    if am and hour == 12:
        hour = 0
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def read_whatsapp(
    path: str | Path, child: str | None = None
) -> Iterator[ChatMessage | ImportProblem]:
    path = Path(path)
    facts = _learn(path)
    if facts.headers == 0:
        yield ImportProblem(
            1,
            f"{path.name}: not a WhatsApp export (no line starts with a date, a time and a sender)",
        )
        return
    conversation = path.stem
    child_key = child.casefold().strip() if child else None
    pending: list = []  # [line, sender, text parts, ts]

    def flush() -> Iterator[ChatMessage]:
        if not pending:
            return
        _line, sender, parts, ts = pending
        pending.clear()
        text = "\n".join(parts).strip()
        if not text or _PLACEHOLDERS.match(text) or _SYSTEM.search(text):
            return
        direction = (
            "from_child" if child_key and sender.casefold().strip() == child_key else "to_child"
        )
        yield ChatMessage(
            conversation=conversation,
            text=text,
            direction=direction,
            ts=ts,
            sender=sender,
            child=child,
        )

    for number, line, problem in read_lines(path):
        if problem:
            yield ImportProblem(number, problem)
        header = _header(line.lstrip("\ufeff"))
        if header is None:
            if pending:
                pending[2].append(line.translate(_INVISIBLE))
            elif line.strip():
                yield ImportProblem(
                    number, "not a WhatsApp message line, and no message before it to continue"
                )
            continue
        yield from flush()
        sender, text = _sender(header.rest, facts)
        if sender is None or header.marked:
            continue  # a system line, or an iOS attachment
        ts = _timestamp(header, facts.date_order)
        if ts is None:
            yield ImportProblem(number, f"date {header.date} {header.time} is not a real date")
        pending.extend([number, sender.strip(), [text], ts])
    yield from flush()
