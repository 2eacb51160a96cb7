"""Validate corpus/heldout/heldout.jsonl and print its counts as the tables of DATA_CARD.md.

Run: `.venv/bin/python corpus/heldout/check.py` (exit 1 and one line per problem when a record is
bad). The tables it prints are pasted into DATA_CARD.md between the COUNTS markers, and
tests/corpus/test_heldout_corpus.py fails when the card and this output disagree, so the counts in
the card are always the true ones.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "heldout.jsonl"
CARD = HERE / "DATA_CARD.md"
LANGS = ("id", "id-informal", "kupang", "jv", "en", "mixed")
CATEGORIES = ("offer_credit", "offer_money", "meetup", "secrecy", "isolation", "personal_info",
              "photo_request", "sexual", "flattery")
FIELDS = {"text", "label", "categories", "lang", "direction", "hard_negative"}
BEGIN, END = "<!-- COUNTS:BEGIN -->", "<!-- COUNTS:END -->"


def load(path: Path = DATA) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def problems(records: list[dict]) -> list[str]:
    """One line per broken promise of the schema (see DATA_CARD.md)."""
    out = []
    for i, r in enumerate(records, 1):
        where = f"heldout.jsonl:{i}"
        if set(r) != FIELDS:
            out.append(f"{where}: fields {sorted(r)}")
            continue
        if not isinstance(r["text"], str) or not r["text"].strip():
            out.append(f"{where}: empty text")
        if r["label"] not in (0, 1) or isinstance(r["label"], bool):
            out.append(f"{where}: label {r['label']!r}")
        if r["lang"] not in LANGS:
            out.append(f"{where}: lang {r['lang']!r}")
        if r["direction"] not in ("to_child", "from_child"):
            out.append(f"{where}: direction {r['direction']!r}")
        cats = r["categories"]
        if any(c not in CATEGORIES for c in cats) or len(set(cats)) != len(cats):
            out.append(f"{where}: categories {cats!r}")
        if (r["label"] == 1) != bool(cats):
            out.append(f"{where}: label {r['label']} with categories {cats!r}")
        if r["hard_negative"] not in (True, False) or (r["hard_negative"] and r["label"] == 1):
            out.append(f"{where}: hard_negative {r['hard_negative']!r} with label {r['label']}")
    return out


def tables(records: list[dict]) -> str:
    """Markdown: language x label (with hard negatives), category x language, direction x label."""
    lines = ["| lang | positive | negative (hard) | negative (ordinary) | total |", "|---|---|---|---|---|"]
    for lang in (*LANGS, "all"):
        rs = [r for r in records if lang in ("all", r["lang"])]
        pos = sum(r["label"] for r in rs)
        hard = sum(r["hard_negative"] for r in rs)
        lines.append(f"| {lang} | {pos} | {hard} | {len(rs) - pos - hard} | {len(rs)} |")
    lines += ["", "| category | " + " | ".join(LANGS) + " | all | alone | with others |",
              "|---" * (len(LANGS) + 4) + "|"]
    for cat in CATEGORIES:
        rs = [r for r in records if cat in r["categories"]]
        per = Counter(r["lang"] for r in rs)
        alone = sum(len(r["categories"]) == 1 for r in rs)
        cells = " | ".join(str(per[lang]) for lang in LANGS)
        lines.append(f"| {cat} | {cells} | {len(rs)} | {alone} | {len(rs) - alone} |")
    lines += ["", "| direction | positive | negative | total |", "|---|---|---|---|"]
    for d in ("to_child", "from_child"):
        rs = [r for r in records if r["direction"] == d]
        pos = sum(r["label"] for r in rs)
        lines.append(f"| {d} | {pos} | {len(rs) - pos} | {len(rs)} |")
    multi = Counter(len(r["categories"]) for r in records if r["label"])
    lines += ["", "Positives by number of categories: "
              + ", ".join(f"{k}: {multi[k]}" for k in sorted(multi)) + "."]
    return "\n".join(lines)


def card_tables(card: Path = CARD) -> str:
    text = card.read_text(encoding="utf-8")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def main() -> int:
    records = load()
    bad = problems(records)
    for line in bad:
        print(line)
    print(tables(records))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
