"""agent/importers/telegram.py on Telegram Desktop exports the project wrote."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from agent.importers import ImportProblem
from agent.importers.telegram import read_telegram

EXPORTS = Path(__file__).parent / "exports"


def split(items):
    items = list(items)
    return (
        [m for m in items if not isinstance(m, ImportProblem)],
        [p for p in items if isinstance(p, ImportProblem)],
    )


def test_single_chat_joins_rich_text_and_skips_service_and_media():
    found, problems = split(read_telegram(EXPORTS / "telegram_chat.json", child="Rina"))
    assert problems == []
    assert [(m.sender, m.direction, m.text) for m in found] == [
        ("Kak Andre", "to_child", "hai dek, kamu sekolah dimana?"),
        ("Rina", "from_child", "di SMP dekat rumah kak"),
        ("Kak Andre", "to_child", "kakak transfer saldo DANA buat kamu, asal rahasia ya"),
        ("Rina", "from_child", "oke kak"),
    ]
    assert found[0].ts == datetime(2026, 5, 14, 10, 0)
    assert found[0].conversation == "Kak Andre#4200000001"


def test_full_export_takes_the_exporting_account_as_the_child():
    found, problems = split(read_telegram(EXPORTS / "telegram_full.json"))
    assert [(m.conversation, m.direction) for m in found] == [
        ("Kak Andre#900", "to_child"),
        ("Kak Andre#900", "from_child"),
        ("Kelas 7B#901", "to_child"),
    ]
    assert len(problems) == 1 and "no list of messages" in problems[0].message


def test_truncated_export_names_the_line():
    found, problems = split(read_telegram(EXPORTS / "telegram_truncated.json"))
    assert found == []
    assert problems[0].line is not None and problems[0].line > 1
    assert "truncated" in problems[0].message


def test_json_that_is_not_an_export_says_so(tmp_path):
    path = tmp_path / "result.json"
    path.write_text('{"hello": "world"}', encoding="utf-8")
    found, problems = split(read_telegram(path))
    assert found == [] and "not a Telegram export" in problems[0].message
