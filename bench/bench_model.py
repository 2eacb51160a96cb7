"""Speed and size of the combined scorer (rules + model): prints figures, asserts nothing.

    .venv/bin/python bench/bench_model.py [--messages 20000] [--single 3000]

Pinned to one core (and numpy's thread pools to one thread). Messages are the corpus's own
(corpus/messages/*.jsonl), repeated to the requested count. Figures, each beside the rules-only
scorer measured in the same run (the baseline) and their ratio:

- batch throughput: messages per second through Scorer.score_many, in batches of 256 (as
  `jaga scan` and the proxy's queue hand them over);
- single-message latency: Scorer.score on one message at a time, median and p99;
- the model alone: its fast path against scikit-learn's own predict_proba on the same texts;
- model file size, and resident memory (RSS) of a fresh process holding a loaded scorer.

Targets (issue 3): >= 20,000 msg/s batch, p99 < 2 ms, model < 5 MB, loaded scorer < 150 MB.
"""

from __future__ import annotations

import os

# Before numpy loads: one thread per pool, so "one core" means one core.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from classifiers.model import DEFAULT_MODEL_PATH, load_model  # noqa: E402
from classifiers.normalize import normalize  # noqa: E402
from classifiers.scorer import load_scorer  # noqa: E402

BATCH = 256

RSS_PROBE = """
import sys
sys.path.insert(0, {root!r})
from classifiers.scorer import load_scorer
scorer = load_scorer(use_model={use_model})
scorer.score_many([("nanti om kasih pulsa ya", "to_child")] * 256)
for line in open("/proc/self/status"):
    if line.startswith("VmRSS:"):
        print(int(line.split()[1]) // 1024)
"""


def corpus_messages() -> list[tuple[str, str]]:
    items = []
    for split in ("train", "validation", "test"):
        path = ROOT / "corpus" / "messages" / f"{split}.jsonl"
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    obj = json.loads(line)
                    items.append((obj["text"], obj.get("direction", "to_child")))
    return items or [("nanti om kasih pulsa 50rb, jangan bilang mama ya", "to_child")]


def batch_rate(scorer, items: list[tuple[str, str]]) -> float:
    start = time.perf_counter()
    for i in range(0, len(items), BATCH):
        scorer.score_many(items[i:i + BATCH])
    return len(items) / (time.perf_counter() - start)


def latencies(scorer, items: list[tuple[str, str]]) -> tuple[float, float]:
    times = []
    for text, direction in items:
        start = time.perf_counter()
        scorer.score(text, direction)
        times.append(time.perf_counter() - start)
    times.sort()
    return statistics.median(times) * 1e3, times[int(0.99 * len(times)) - 1] * 1e3


def rss_mb(use_model: bool) -> int:
    out = subprocess.run([sys.executable, "-c", RSS_PROBE.format(root=str(ROOT),
                                                                 use_model=use_model)],
                         capture_output=True, text=True, check=True, env=os.environ)
    return int(out.stdout.split()[-1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--messages", type=int, default=20_000)
    p.add_argument("--single", type=int, default=3_000)
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

    base = corpus_messages()
    items = (base * (args.messages // len(base) + 1))[:args.messages]
    single = (base * (args.single // len(base) + 1))[:args.single]
    mean_chars = statistics.fmean(len(t) for t, _ in base)
    print(f"{len(base)} distinct corpus messages (mean {mean_chars:.0f} characters), "
          f"{len(items)} in batch, {len(single)} one at a time; one core")

    rules = load_scorer(use_model=False)
    combined = load_scorer()
    if combined.model is None:
        print(f"model not loaded: {combined.model_note}")
        return 1
    for scorer in (rules, combined):  # warm caches, first-call imports
        scorer.score_many(items[:BATCH])

    r_rate, c_rate = batch_rate(rules, items), batch_rate(combined, items)
    print(f"batch:   combined {c_rate:,.0f} msg/s   rules-only {r_rate:,.0f} msg/s   "
          f"ratio {c_rate / r_rate:.2f}   (target >= 20,000)")
    r_med, r_p99 = latencies(rules, single)
    c_med, c_p99 = latencies(combined, single)
    print(f"single:  combined median {c_med:.3f} ms, p99 {c_p99:.3f} ms   rules-only median "
          f"{r_med:.3f} ms, p99 {r_p99:.3f} ms   p99 ratio {c_p99 / r_p99:.2f}   (target p99 < 2)")

    model = load_model(DEFAULT_MODEL_PATH)  # in-process, to compare with scikit-learn's own
    texts = [normalize(t).text for t, _ in items[:5000]]
    directions = [d for _, d in items[:5000]]
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        model.predict(texts[i:i + BATCH], directions[i:i + BATCH])
    fast = len(texts) / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(0, len(texts), BATCH):
        model.predict_reference(texts[i:i + BATCH], directions[i:i + BATCH])
    reference = len(texts) / (time.perf_counter() - start)
    print(f"model:   fast path {fast:,.0f} msg/s   scikit-learn predict_proba "
          f"{reference:,.0f} msg/s   ratio {fast / reference:.2f}")

    size = DEFAULT_MODEL_PATH.stat().st_size
    print(f"size:    {DEFAULT_MODEL_PATH.name} {size / 1e6:.2f} MB   (target < 5)")
    with_model, without = rss_mb(True), rss_mb(False)
    print(f"memory:  loaded combined scorer {with_model} MB RSS   rules-only {without} MB   "
          f"ratio {with_model / without:.2f}   (target < 150)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
