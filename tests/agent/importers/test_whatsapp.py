"""agent/importers/whatsapp.py on export files the project wrote in each variant."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from agent.importers import ImportProblem, detect_format
from agent.importers.whatsapp import read_whatsapp

EXPORTS = Path(__file__).parent / "exports"


def messages(name: str, child: str | None = "Rina"):
    items = list(read_whatsapp(EXPORTS / name, child=child))
    return [m for m in items if not isinstance(m, ImportProblem)], [
        p for p in items if isinstance(p, ImportProblem)
    ]


# --- variants: (file, expected (sender, direction, text) in order, first timestamp) ---------

VARIANTS = [
    (
        "android_24h_id.txt",
        [
            ("Om Budi", "to_child", "halo nona, lagi apa?"),
            ("Rina", "from_child", "lagi belajar om"),
            (
                "Om Budi",
                "to_child",
                "nanti om kasih pulsa 50rb\ntapi jangan bilang mama ya\nrahasia kita berdua",
            ),
            ("Om Budi", "to_child", "besok sore om jemput, kita nongkrong di cafe"),
            ("Rina", "from_child", "iya om"),
        ],
        datetime(2026, 5, 14, 10, 1),
    ),
    (
        "android_12h_en.txt",
        [
            ("Uncle Ben", "to_child", "hey kiddo, how old are you?"),
            ("Rina", "from_child", "12"),
            ("Uncle Ben", "to_child", "I can send you credit if you keep this between us"),
        ],
        datetime(2026, 5, 14, 10, 1),
    ),
    (
        "ios_24h_kupang.txt",
        [
            ("Om Budi", "to_child", "beta kasih lu pulsa"),
            ("Rina", "from_child", "makasih om"),
        ],
        datetime(2026, 5, 14, 10, 1, 30),
    ),
    (
        "ios_12h_en.txt",
        [
            ("Uncle Ben", "to_child", "you look so mature for your age"),
            ("Rina", "from_child", "thanks"),
        ],
        datetime(2026, 5, 14, 22, 1, 30),
    ),
    (
        "awkward_bom_crlf.txt",
        [
            ("Kak Dodi: Kupang 🌴", "to_child", "selamat pagi"),
            ("Rina", "from_child", "pagi kak"),
            ("Kak Dodi: Kupang 🌴", "to_child", "ketemu tgl 20/05/26, 10:00 ya?"),
            ("Rina", "from_child", "ok: sampai nanti"),
        ],
        datetime(2026, 5, 14, 8, 0),
    ),
]


@pytest.mark.parametrize("name, expected, first_ts", VARIANTS, ids=[v[0] for v in VARIANTS])
def test_each_variant_yields_the_people_messages_in_order(name, expected, first_ts):
    found, problems = messages(name)
    assert problems == []
    assert [(m.sender, m.direction, m.text) for m in found] == expected
    assert found[0].ts == first_ts
    assert {m.conversation for m in found} == {Path(name).stem}


def test_twelve_hour_clock_reads_pm_as_afternoon():
    found, _ = messages("android_12h_en.txt")
    assert found[2].ts == datetime(2026, 5, 14, 12, 15)


def test_without_child_every_message_counts_as_received():
    found, _ = messages("android_24h_id.txt", child=None)
    assert {m.direction for m in found} == {"to_child"}


def test_child_name_matches_regardless_of_case():
    found, _ = messages("android_24h_id.txt", child="rina")
    assert [m.direction for m in found].count("from_child") == 2


# --- bad input: named with line numbers, the rest still read -------------------------------


def test_bytes_that_are_not_utf8_are_reported_with_their_line_and_the_rest_read():
    found, problems = messages("bad_bytes.txt")
    assert [p.line for p in problems] == [2]
    assert "not UTF-8" in problems[0].message
    assert [m.sender for m in found] == ["Om Budi", "Om Budi", "Rina"]


def test_a_file_that_is_not_an_export_says_so():
    found, problems = messages("not_whatsapp.txt")
    assert found == []
    assert len(problems) == 1 and "not a WhatsApp export" in problems[0].message


# --- format detection -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, fmt",
    [
        ("android_24h_id.txt", "whatsapp"),
        ("ios_12h_en.txt", "whatsapp"),
        ("awkward_bom_crlf.txt", "whatsapp"),
        ("telegram_chat.json", "telegram"),
        ("telegram_full.json", "telegram"),
    ],
)
def test_format_is_detected_from_the_content(name, fmt):
    assert detect_format(EXPORTS / name) == fmt


def test_an_unknown_format_is_a_usage_error():
    from agent.errors import UsageError

    with pytest.raises(UsageError, match="cannot tell the format"):
        detect_format(EXPORTS / "not_whatsapp.txt")


def test_a_long_export_streams_in_bounded_memory(tmp_path):
    import tracemalloc

    path = tmp_path / "big.txt"
    with open(path, "w", encoding="utf-8") as out:
        for i in range(50_000):
            out.write(f"14/05/26 10.{i % 60:02d} - Om Budi: pesan nomor {i} " + "x" * 100 + "\n")
    tracemalloc.start()
    count = sum(1 for m in read_whatsapp(path, child="Rina") if not isinstance(m, ImportProblem))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 50_000
    assert peak < 20 * 1024 * 1024  # the whole file is ~7 MB of text; nothing is held at once
