"""Telegram Desktop's JSON export (`result.json`): one chat, or a full export with many chats.

Message text is either a string or a list of strings and entity objects (`{"type": "bold",
"text": ...}`); both are joined to plain text. Service messages (joins, calls, pins) and media
without a caption carry no words of the people and are skipped. The child is the sender named
by `--child`, else the account that made the export (`personal_information.user_id`), where the
export says.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.importers import ImportProblem
from agent.messages import ChatMessage


def _plain_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "".join(
            part if isinstance(part, str) else str(part.get("text", ""))
            for part in value
            if isinstance(part, (str, dict))
        )
    return ""


def _timestamp(message: dict[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(message["date"]))
    except (KeyError, ValueError):
        return None


def read_telegram(
    path: str | Path, child: str | None = None
) -> Iterator[ChatMessage | ImportProblem]:
    path = Path(path)
    try:
        source = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        source = path.read_bytes().decode("utf-8", errors="replace")
        yield ImportProblem(
            0, f"not UTF-8 at byte {e.start} (decoded with replacement characters)"
        )
    try:
        export = json.loads(source)
    except json.JSONDecodeError as e:
        yield ImportProblem(e.lineno, f"not a complete Telegram export: {e.msg} (truncated file?)")
        return
    if not isinstance(export, dict):
        yield ImportProblem(1, "not a Telegram export: the file is not a JSON object")
        return

    if "chats" in export:  # the full export: personal information and a list of chats
        owner = export.get("personal_information", {}).get("user_id")
        chats = export.get("chats", {}).get("list", [])
    elif "messages" in export:
        owner = None
        chats = [export]
    else:
        yield ImportProblem(1, "not a Telegram export: no 'messages' and no 'chats' in result.json")
        return
    owner_id = f"user{owner}" if owner is not None else None
    child_key = child.casefold().strip() if child else None

    for chat_number, chat in enumerate(chats):
        if not isinstance(chat, dict) or not isinstance(chat.get("messages"), list):
            yield ImportProblem(0, f"chat #{chat_number + 1} has no list of messages; skipped")
            continue
        conversation = f"{chat.get('name') or 'chat'}#{chat.get('id', chat_number)}"
        for message in chat["messages"]:
            if not isinstance(message, dict):
                yield ImportProblem(
                    0, f"{conversation}: a message that is not an object; skipped"
                )
                continue
            if message.get("type") != "message":
                continue  # service messages: joins, calls, pins
            text = _plain_text(message.get("text")).strip()
            if not text:
                continue  # media without a caption
            sender = str(message.get("from") or "")
            is_child = (child_key is not None and sender.casefold().strip() == child_key) or (
                child_key is None and owner_id is not None and message.get("from_id") == owner_id
            )
            yield ChatMessage(
                conversation=conversation,
                text=text,
                direction="from_child" if is_child else "to_child",
                ts=_timestamp(message),
                sender=sender or None,
                child=child,
            )
