"""Assemble jaga's labelled message corpus from hand-written sources, check it, split it by group.

The messages are written by hand in `src/*.txt`, a compact format that keeps a reviewer's eye on
the text rather than on JSON punctuation:

    # a comment
    @ GROUP LANG DIR CATS [hn]        a group header: scenario family and its defaults
    text of one message               inherits the header's lang, direction and categories
    [fc kp pi,sc] text                per-line overrides: direction, language, categories

LANG is one of id, idi (id-informal), kp (kupang), jv, en, mx (mixed). DIR is tc (to_child) or
fc (from_child). CATS is a comma list of short codes (see CODES) or `-` for benign. `hn` on a
benign header marks its lines as hard negatives (benign text that uses risky words); `[nohn]` or
`[hn]` overrides one line. A message's label is 1 exactly when it has at least one category.

`python corpus/messages/build.py` writes train.jsonl and validation.jsonl and the count tables in
DATA_CARD.md; `--check` only validates and reports. Splitting is by *cluster*: groups joined by
any near-duplicate pair (character 5-gram Jaccard above NEAR_DUP) are one unit, so no scenario
family and no near-duplicate ever crosses a split. The split is deterministic (seeded hash order).
The test split is not made here: it is written apart, blind (corpus/test/build.py writes
test.jsonl); until session 4 the last 15 of this split's 70/15/15 were the test split.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import re
import sys
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
SPLITS = ("train", "validation")
TARGET = {"train": 0.85, "validation": 0.15}
SEED = "jaga-corpus-v1"
NEAR_DUP = 0.8

CATEGORIES = (
    "offer_credit", "offer_money", "meetup", "secrecy", "isolation",
    "personal_info", "photo_request", "sexual", "flattery",
)
CODES = {
    "pc": "offer_credit", "pm": "offer_money", "mt": "meetup", "sc": "secrecy",
    "is": "isolation", "pi": "personal_info", "ph": "photo_request", "sx": "sexual",
    "fl": "flattery",
}
LANGS = {"id": "id", "idi": "id-informal", "kp": "kupang", "jv": "jv", "en": "en", "mx": "mixed"}
DIRS = {"tc": "to_child", "fc": "from_child"}

# Ethics checks (taxonomy.md "Data ethics"): only the invented number pattern and example.com.
PHONE_RE = re.compile(r"(?<![\w])\+?\d[\d\s.-]{7,}\d(?![\w])")
ALLOWED_PHONE_RE = re.compile(r"^08\d\d-0000-0000$")
URL_RE = re.compile(r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|net|org|id|co|me|ly|io)\b\S*")
ALLOWED_URL_RE = re.compile(r"(?i)^(?:https?://)?(?:www\.)?example\.com\b")
GRAPHIC_WORDS = (
    "telanjang", "bugil", "ngentot", "ngewe", "naked", "nude", "porn", "bokep", "sange",
    "memek", "kontol", "penis", "vagina", "payudara", "toket", "coli",
)

log = logging.getLogger("corpus.build")


@dataclass
class Message:
    text: str
    label: int
    categories: list[str]
    lang: str
    direction: str
    hard_negative: bool
    group: str
    where: str  # file:line, for error messages only

    def record(self) -> dict:
        return {
            "text": self.text, "label": self.label, "categories": self.categories,
            "lang": self.lang, "direction": self.direction,
            "hard_negative": self.hard_negative, "group": self.group,
        }


def norm(text: str) -> str:
    """Lower-case, NFKC, letters and digits only, single spaces: the text used for duplicates."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join("".join(c if c.isalnum() else " " for c in text).split())


def shingles(text: str, n: int = 5) -> frozenset[str]:
    t = norm(text).replace(" ", "")
    if len(t) <= n:
        return frozenset({t})
    return frozenset(t[i : i + n] for i in range(len(t) - n + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _cats(spec: str, where: str) -> list[str]:
    if spec == "-":
        return []
    out = []
    for code in spec.split(","):
        if code not in CODES:
            raise ValueError(f"{where}: unknown category code {code!r}")
        out.append(CODES[code])
    return sorted(set(out), key=CATEGORIES.index)


def parse_source(path: Path) -> list[Message]:
    """Read one src file; raise ValueError naming file:line on the first malformed line."""
    messages: list[Message] = []
    head: dict | None = None
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        where = f"{path.name}:{lineno}"
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@ "):
            parts = line[2:].split()
            if len(parts) not in (4, 5) or parts[1] not in LANGS or parts[2] not in DIRS:
                raise ValueError(f"{where}: header must be '@ GROUP LANG DIR CATS [hn]'")
            if len(parts) == 5 and parts[4] != "hn":
                raise ValueError(f"{where}: unknown header flag {parts[4]!r}")
            head = {"group": parts[0], "lang": LANGS[parts[1]], "direction": DIRS[parts[2]],
                    "categories": _cats(parts[3], where), "hn": len(parts) == 5}
            continue
        if head is None:
            raise ValueError(f"{where}: message before any '@' group header")
        lang, direction, cats, hn = head["lang"], head["direction"], head["categories"], head["hn"]
        if line.startswith("["):
            close = line.find("]")
            if close < 0:
                raise ValueError(f"{where}: unclosed '[' override")
            for tok in line[1:close].split():
                if tok in LANGS:
                    lang = LANGS[tok]
                elif tok in DIRS:
                    direction = DIRS[tok]
                elif tok == "hn":
                    hn = True
                elif tok == "nohn":
                    hn = False
                else:
                    cats = _cats(tok, where)
            line = line[close + 1 :].strip()
        if not line:
            raise ValueError(f"{where}: empty message")
        label = 1 if cats else 0
        messages.append(Message(line, label, list(cats), lang, direction,
                                bool(hn and label == 0), head["group"], where))
    return messages


def ethics_problems(text: str) -> list[str]:
    """Phone numbers, URLs or graphic words that the data ethics rules forbid."""
    problems = []
    for m in PHONE_RE.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if len(digits) >= 9 and not ALLOWED_PHONE_RE.match(m.group()):
            problems.append(f"phone-like number {m.group()!r}")
    for m in URL_RE.finditer(text):
        if not ALLOWED_URL_RE.match(m.group()):
            problems.append(f"url {m.group()!r}")
    words = set(norm(text).split())
    problems += [f"graphic word {w!r}" for w in GRAPHIC_WORDS if w in words]
    return problems


def load_all(src: Path = SRC) -> list[Message]:
    messages: list[Message] = []
    for path in sorted(src.glob("*.txt")):
        messages += parse_source(path)
    return messages


def check(messages: list[Message]) -> list[str]:
    """Corpus-wide problems: duplicates, groups reused across files, ethics."""
    problems = []
    seen: dict[str, str] = {}
    group_files: dict[str, set[str]] = defaultdict(set)
    for m in messages:
        key = norm(m.text)
        if key in seen:
            problems.append(f"{m.where}: duplicate of {seen[key]}: {m.text!r}")
        seen.setdefault(key, m.where)
        group_files[m.group].add(m.where.split(":")[0])
        problems += [f"{m.where}: {p}" for p in ethics_problems(m.text)]
    for g, files in group_files.items():
        if len(files) > 1:
            problems.append(f"group {g} appears in several files: {sorted(files)}")
    return problems


def clusters(messages: list[Message]) -> dict[str, str]:
    """Union groups joined by a near-duplicate pair; map each group to its cluster root."""
    parent = {m.group: m.group for m in messages}

    def find(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    sh = [shingles(m.text) for m in messages]
    index: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(sh):
        for x in s:
            index[x].append(i)
    for i, s in enumerate(sh):
        counts: Counter[int] = Counter()
        for x in s:
            counts.update(j for j in index[x] if j > i)
        for j, inter in counts.items():
            if messages[i].group == messages[j].group:
                continue
            if inter / (len(s) + len(sh[j]) - inter) > NEAR_DUP:
                a, b = find(messages[i].group), find(messages[j].group)
                if a != b:
                    log.info("near-duplicate joins %s and %s: %r ~ %r",
                             messages[i].group, messages[j].group, messages[i].text, messages[j].text)
                    parent[b] = a
    return {g: find(g) for g in parent}


def _features(ms: list[Message]) -> Counter[tuple]:
    """What a cluster adds to a split: messages per label, per label x language, per category,
    hard negatives and sent messages; the splitter keeps each near its target share."""
    f: Counter[tuple] = Counter()
    for m in ms:
        f["n",] += 1
        f["label", m.label] += 1
        f["label-lang", m.label, m.lang] += 1
        f["hard", m.hard_negative] += 1
        f["dir", m.label, m.direction] += 1
        for c in m.categories:
            f["cat", c] += 1
    return f


def split(messages: list[Message]) -> dict[str, list[Message]]:
    """Assign whole clusters to splits, keeping labels, languages and categories proportional.

    Greedy and deterministic: clusters go largest first (ties in seeded hash order), each to the
    split where it most reduces the squared relative shortfall against the 85/15 targets.
    """
    root = clusters(messages)
    members: dict[str, list[Message]] = defaultdict(list)
    for m in messages:
        members[root[m.group]].append(m)
    feats = {c: _features(ms) for c, ms in members.items()}
    totals: Counter[tuple] = Counter()
    for f in feats.values():
        totals.update(f)
    order = sorted(members, key=lambda c: (-len(members[c]),
                                           hashlib.sha256(f"{SEED}:{c}".encode()).hexdigest()))
    out: dict[str, list[Message]] = {s: [] for s in SPLITS}
    filled: dict[str, Counter[tuple]] = {s: Counter() for s in SPLITS}

    def gain(s: str, f: Counter[tuple]) -> float:
        total = 0.0
        for key, n in f.items():
            target = TARGET[s] * totals[key]
            before = filled[s][key] - target
            after = before + n
            total += (after * after - before * before) / totals[key]
        return total

    for c in order:
        best = min(SPLITS, key=lambda s: gain(s, feats[c]))
        out[best] += members[c]
        filled[best].update(feats[c])
    return out


def _table(rows: list[list], head: list[str]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(lines)


def tables(parts: dict[str, list[Message]]) -> str:
    """The count tables of DATA_CARD.md, computed from the splits written."""
    out = []
    rows = []
    for s in (*SPLITS, "all"):
        ms = [m for p in SPLITS for m in parts[p]] if s == "all" else parts[s]
        pos = sum(m.label for m in ms)
        neg = len(ms) - pos
        hard = sum(m.hard_negative for m in ms)
        groups = len({m.group for m in ms})
        rows.append([s, len(ms), pos, neg, hard, f"{hard / max(neg, 1):.0%}",
                     sum(m.direction == "from_child" for m in ms), groups])
    out.append(_table(rows, ["split", "messages", "risk (1)", "benign (0)", "hard negatives",
                             "hard share of benign", "from_child", "groups"]))
    rows = []
    for lang in LANGS.values():
        row: list = [lang]
        for s in SPLITS:
            ms = [m for m in parts[s] if m.lang == lang]
            row += [sum(m.label for m in ms), sum(1 - m.label for m in ms)]
        rows.append(row)
    out.append(_table(rows, ["language", *(f"{s} {lab}" for s in SPLITS for lab in ("1", "0"))]))
    rows = []
    for cat in CATEGORIES:
        row = [cat] + [sum(cat in m.categories for m in parts[s]) for s in SPLITS]
        only = sum(m.categories == [cat] for s in SPLITS for m in parts[s])
        rows.append([*row, only])
    out.append(_table(rows, ["category", *SPLITS, "alone (all splits)"]))
    combos = Counter(len(m.categories) for s in SPLITS for m in parts[s] if m.label)
    out.append("Positives by number of categories: " + ", ".join(
        f"{k}: {v}" for k, v in sorted(combos.items())))
    return "\n\n".join(out)


COUNTS_START, COUNTS_END = "<!-- counts:start -->", "<!-- counts:end -->"


def write_jsonl(path: Path, messages: list[Message]) -> None:
    """The messages as the JSONL records `jaga train` and `jaga eval` read."""
    with open(path, "w", encoding="utf-8") as f:
        for m in messages:
            f.write(json.dumps(m.record(), ensure_ascii=False) + "\n")


def write_counts(card: Path, counts: str) -> None:
    """Put `counts` between the count markers of a data card (which must have them)."""
    text = card.read_text(encoding="utf-8")
    if COUNTS_START not in text or COUNTS_END not in text:
        raise ValueError(f"{card}: no {COUNTS_START} ... {COUNTS_END} markers for the counts")
    pre, rest = text.split(COUNTS_START, 1)
    post = rest.split(COUNTS_END, 1)[1]
    card.write_text(f"{pre}{COUNTS_START}\n{counts}\n{COUNTS_END}{post}", encoding="utf-8")


def write(parts: dict[str, list[Message]]) -> None:
    for s in SPLITS:
        write_jsonl(HERE / f"{s}.jsonl", parts[s])
    card = HERE / "DATA_CARD.md"
    if card.exists():
        write_counts(card, tables(parts))


def load_build(folder: str):
    """The build script of another corpus folder (corpus/FOLDER/build.py), loaded by path as the
    module FOLDER_build: every folder's script is named build.py, so they cannot all be imported
    by name."""
    import importlib.util

    name = f"{folder}_build"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, HERE.parent / folder / "build.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses look their module up while a class is made
        spec.loader.exec_module(module)
    return sys.modules[name]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="validate and report; write nothing")
    ap.add_argument("-v", "--verbose", action="store_true", help="log near-duplicate joins")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(message)s")
    try:
        messages = load_all()
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    problems = check(messages)
    for p in problems:
        print(p, file=sys.stderr)
    parts = split(messages)
    if not problems and not args.check:
        write(parts)
    print(tables(parts))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
