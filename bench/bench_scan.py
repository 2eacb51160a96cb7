"""Benchmark: `jaga scan` end to end on a synthetic export, in messages per second and peak memory.

Writes (into a temporary directory) a JSONL export of 100,000 messages across 1,000 interleaved
conversations, built with a fixed seed from the conversation corpus' hand-written lines (mostly
small talk and benign chat, some grooming lines), then measures, each phase in its own process so
that its peak memory (max RSS) is its own:

- baseline: reading and parsing the file alone (`agent.importers.read_messages`);
- scoring alone: every message through `Scorer.score_many`, no conversation state;
- end to end: `jaga scan FILE --json` in-process (importer, scorer, tracker, JSON output), with
  the one-off startup (imports, rule packs, model) timed apart and reported beside it;
- the same scan of one conversation as long as the whole export, with a 1 MB message in it,
  to show that memory stays flat however long a conversation is.

Rates are given per wall-clock second and per CPU second (steadier on a busy, shared machine).

Run: .venv/bin/python bench/bench_scan.py [--messages N] [--conversations C] [--keep DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "corpus" / "conversations"))


def write_export(path: Path, messages: int, conversations: int, seed: int = 7) -> None:
    from benign_scripts import BENIGN_SMALL_TALK, SCRIPTS
    from pools import ADULT_SMALL_TALK, CHILD_REPLIES, GROOMING

    rng = random.Random(seed)
    benign = [text for _, _, lines in SCRIPTS for _, text in lines]
    chatter = [t for pool in (ADULT_SMALL_TALK, CHILD_REPLIES, BENIGN_SMALL_TALK) for ts in pool.values()
               for t in ts]
    risky = [t for lang in GROOMING.values() for lines in lang.values() for t in lines]
    with path.open("w", encoding="utf-8") as f:
        for _ in range(messages):
            conv = f"chat{rng.randrange(conversations):04d}"
            roll = rng.random()
            text = rng.choice(chatter if roll < 0.6 else benign if roll < 0.93 else risky)
            sender = "child" if rng.random() < 0.45 else "other"
            f.write(json.dumps({"conversation": conv, "sender": sender, "text": text}, ensure_ascii=False))
            f.write("\n")


def write_long_export(path: Path, messages: int, seed: int = 8) -> None:
    """One conversation of `messages` messages, with a 1 MB message in the middle."""
    from pools import ADULT_SMALL_TALK, CHILD_REPLIES, GROOMING

    rng = random.Random(seed)
    chatter = [t for pool in (ADULT_SMALL_TALK, CHILD_REPLIES) for ts in pool.values() for t in ts]
    risky = [t for lang in GROOMING.values() for lines in lang.values() for t in lines]
    with path.open("w", encoding="utf-8") as f:
        for i in range(messages):
            text = rng.choice(risky if rng.random() < 0.05 else chatter)
            if i == messages // 2:
                text = (text + " ") * (1_000_000 // (len(text) + 1))
            sender = "child" if rng.random() < 0.45 else "other"
            f.write(json.dumps({"conversation": "one", "sender": sender, "text": text}) + "\n")


def phase(name: str, path: str) -> None:
    """Run one phase and print {"seconds", "cpu_seconds", "messages", "max_rss_kb"} as JSON."""
    from agent.importers import read_messages

    start, cpu_start = time.perf_counter(), time.process_time()
    count = 0
    if name == "parse":
        for _ in read_messages(path):
            count += 1
    elif name == "score":
        from classifiers.scorer import load_scorer

        scorer = load_scorer()
        start, cpu_start = time.perf_counter(), time.process_time()
        batch: list[tuple[str, str]] = []
        for m in read_messages(path):
            batch.append((m.text, m.direction))
            if len(batch) == 256:
                count += len(scorer.score_many(batch))
                batch.clear()
        count += len(scorer.score_many(batch))
    elif name == "scan":
        # Startup (Python imports, rule packs, the model) is timed apart: it is paid once per
        # run, not per message. The scan then loads its scorer again, from warm imports.
        from classifiers.scorer import load_scorer

        load_scorer()
        startup = time.perf_counter() - start
        from agent.cli import main

        start, cpu_start = time.perf_counter(), time.process_time()
        sink = io.StringIO()
        with redirect_stdout(sink):
            status = main(["scan", path, "--json"])
        if status not in (0, 1):
            raise SystemExit(f"jaga scan exited {status}")
        with open(path, encoding="utf-8") as f:
            count = sum(1 for _ in f)
        alerts = sink.getvalue().count("\n")
        print(json.dumps({"alerts": alerts, "startup": startup}), file=sys.stderr)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "messages": count,
                      "max_rss_kb": rss}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=1_000)
    parser.add_argument("--keep", metavar="DIR", help="write the export here and keep it")
    parser.add_argument("--phase", choices=("parse", "score", "scan"), help=argparse.SUPPRESS)
    parser.add_argument("file", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        phase(args.phase, args.file)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        export = folder / "export.jsonl"
        write_export(export, args.messages, args.conversations)
        size_mb = export.stat().st_size / 1e6
        print(f"synthetic export: {args.messages:,} messages in {args.conversations:,} conversations, "
              f"{size_mb:.1f} MB")
        results = {}
        for name in ("parse", "score", "scan"):
            run = subprocess.run([sys.executable, __file__, "--phase", name, str(export)],
                                 capture_output=True, text=True, check=True)
            results[name] = json.loads(run.stdout.strip().splitlines()[-1])
            if run.stderr.strip():
                extra = run.stderr.strip().splitlines()[-1]
                if extra.startswith("{"):
                    results[name].update(json.loads(extra))
        long_export = folder / "one-long-conversation.jsonl"
        write_long_export(long_export, args.messages)
        run = subprocess.run([sys.executable, __file__, "--phase", "scan", str(long_export)],
                             capture_output=True, text=True, check=True)
        results["long"] = json.loads(run.stdout.strip().splitlines()[-1])
        results["long"].update(json.loads(run.stderr.strip().splitlines()[-1]))
        labels = {"parse": "baseline: read + parse only", "score": "scoring only (no tracker)",
                  "scan": "jaga scan --json end to end",
                  "long": "scan: 1 conversation + 1 MB msg"}
        for name, r in results.items():
            rate = r["messages"] / r["seconds"] if r["seconds"] else float("inf")
            cpu_rate = r["messages"] / r["cpu_seconds"] if r["cpu_seconds"] else float("inf")
            note = f", {r['alerts']} alerts, startup {r['startup']:.1f} s" if "alerts" in r else ""
            print(f"{labels[name]:32s} {rate:>8,.0f} msg/s ({cpu_rate:>7,.0f} per CPU-s)  "
                  f"{r['seconds']:6.2f} s  peak RSS {r['max_rss_kb'] / 1024:6.1f} MB{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
