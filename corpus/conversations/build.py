"""Builds corpus/conversations/{tune,test}.jsonl from the hand-written pools (see DATA_CARD.md).

    .venv/bin/python corpus/conversations/build.py          # rewrites tune.jsonl and test.jsonl
    .venv/bin/python corpus/conversations/build.py --check  # fails if they are out of date

Deterministic (fixed seeds). Grooming conversations take their signal lines from even-numbered
pool lines (tune) or odd-numbered ones (test); benign conversations come from scripts that belong
to exactly one split. So nothing in test.jsonl was seen while tuning the tracker on tune.jsonl.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benign_scripts import BENIGN_SMALL_TALK, NAMES, SCRIPTS  # noqa: E402
from pools import ADULT_SMALL_TALK, CHILD_REPLIES, GROOMING  # noqa: E402

PER_SPLIT = {"grooming": 40, "benign": 48}  # 24 benign scripts per split, each used twice
LANGS = ("id", "id", "kupang", "jv", "en", "mixed")
SEEDS = {"tune": 20260514, "test": 20260515}
NAME_RE = re.compile(r"\b(" + "|".join(NAMES) + r")\b")


def split_lines(lines: list[str], split: str) -> list[str]:
    return lines[0::2] if split == "tune" else lines[1::2]


def grooming_conversation(rng: random.Random, split: str, n: int) -> dict:
    lang = rng.choice(LANGS)
    langs = ["id", "en"] if lang == "mixed" else [lang]
    categories = list(GROOMING["id"])

    def pool(category: str) -> list[str]:
        return split_lines(GROOMING[rng.choice(langs)][category], split)

    # Stages in varying orders: three to six categories, any order, sometimes a category twice.
    chosen = rng.sample(categories, rng.randint(3, 6))
    if rng.random() < 0.3:
        chosen.insert(rng.randint(1, len(chosen)), rng.choice(chosen))
    messages: list[dict] = []

    def small_talk(pairs: int) -> None:
        for _ in range(pairs):
            messages.append({"sender": "other", "text": rng.choice(ADULT_SMALL_TALK[rng.choice(langs)])})
            messages.append({"sender": "child", "text": rng.choice(CHILD_REPLIES[rng.choice(langs)])})

    # Trust building by small talk first: a short or a long run of it.
    small_talk(rng.choice([1, 2, 3, 4, 6, 8]))
    first_signal = len(messages)
    used: set[str] = set()
    for category in chosen:
        options = [line for line in pool(category) if line not in used] or pool(category)
        line = rng.choice(options)
        used.add(line)
        messages.append({"sender": "other", "text": line})
        if rng.random() < 0.85:
            messages.append({"sender": "child", "text": rng.choice(CHILD_REPLIES[rng.choice(langs)])})
        if rng.random() < 0.2:
            small_talk(1)
    while len(messages) < 10:
        small_talk(1)
    messages = messages[:40]
    return {
        "id": f"{split}-g{n:03d}",
        "lang": lang,
        "label": 1,
        "first_signal": first_signal,
        "stages": chosen,
        "messages": messages,
    }


def benign_conversation(rng: random.Random, split: str, n: int, script: tuple) -> dict:
    scenario, lang, lines = script
    swap = dict(zip(NAMES, rng.sample(NAMES, len(NAMES)), strict=True))
    messages = []
    for i, (who, text) in enumerate(lines):
        if i > 2 and rng.random() < 0.12:
            continue  # drop a line now and then, as real chats skip things
        text = NAME_RE.sub(lambda m: swap[m.group(0)], text)
        messages.append({"sender": "child" if who == "c" else "other", "text": text})
        if rng.random() < 0.15:
            messages.append({"sender": rng.choice(["child", "other"]),
                             "text": rng.choice(BENIGN_SMALL_TALK[lang])})
    while len(messages) < 10:
        filler = {"sender": rng.choice(["child", "other"]), "text": rng.choice(BENIGN_SMALL_TALK[lang])}
        messages.insert(rng.randint(1, len(messages)), filler)
    return {
        "id": f"{split}-b{n:03d}",
        "lang": lang,
        "label": 0,
        "first_signal": None,
        "scenario": scenario,
        "messages": messages[:40],
    }


def build(split: str) -> list[dict]:
    rng = random.Random(SEEDS[split])
    records = [grooming_conversation(rng, split, n) for n in range(PER_SPLIT["grooming"])]
    scripts = [s for i, s in enumerate(SCRIPTS) if (i % 2 == 0) == (split == "tune")]
    for n in range(PER_SPLIT["benign"]):
        records.append(benign_conversation(rng, split, n, scripts[n % len(scripts)]))
    rng.shuffle(records)
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are out of date")
    args = parser.parse_args()
    stale = []
    for split in ("tune", "test"):
        path = HERE / f"{split}.jsonl"
        text = render(build(split))
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print(f"out of date: {', '.join(stale)} (run build.py)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
