"""Benchmark: the cost of jaga on top of plain mitmproxy.

Runs the same load through plain `mitmdump` and through `jaga run`, in the same run, interleaved
in rotating order (so that a busy machine hurts both alike): chat-like JSON
POSTs, each answered with a JSON reply carrying one message from the other person, over
keep-alive HTTPS from local clients to a local HTTPS server. Prints requests per second, median
and p99 latency, the resident memory of each proxy (peak, VmHWM) and the ratios against the
targets: throughput >= 90% of mitmdump's, median added latency < 2 ms, memory <= +80 MB.

    .venv/bin/python bench/bench_proxy.py [--requests 2000] [--clients 4] [--rounds 2]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import httpx  # noqa: E402

from tests.e2e.proxy_harness import (  # noqa: E402
    ChatServer,
    free_port,
    jaga_env,
    jaga_run_command,
    make_certificates,
    proxy_process,
)

LINES = [
    "halo kak, lagi apa?", "udah makan belum?", "besok ada ulangan matematika",
    "kamu main Mobile Legends juga?", "rank kamu apa sekarang?", "wkwk iya bener banget",
    "nanti malam mabar yuk", "aku lagi ngerjain PR", "mama udah pulang belum",
    "kakak kasih pulsa 50rb mau?", "jangan bilang siapa-siapa ya", "oke sampai besok",
]


def rss_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process and its children, in kB."""
    out = {"VmRSS": 0, "VmHWM": 0}
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                key = line.split(":")[0]
                if key in out:
                    out[key] += int(line.split()[1])
        except OSError:
            pass
    return out


def load(port: int | None, ca: Path, server: ChatServer, requests: int, clients: int) -> dict:
    """`requests` POSTs spread over `clients` keep-alive connections; latencies in seconds."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_client = requests // clients
    errors = []

    def worker(n: int) -> None:
        rng = random.Random(n)
        proxy = f"http://127.0.0.1:{port}" if port else None
        url = f"https://127.0.0.1:{server.http_port}/api/messages"
        mine = []
        try:
            with httpx.Client(proxy=proxy, verify=str(ca), timeout=30) as c:
                for i in range(20):  # warm-up: connection, TLS, certificate generation
                    c.post(url, json={"thread_id": f"warm{n}", "text": f"warm {i}"})
                for i in range(per_client):
                    body = {"thread_id": f"t{n}-{i % 25}", "text": rng.choice(LINES) + f" ({i})"}
                    t0 = time.perf_counter()
                    r = c.post(url, json=body)
                    r.read()
                    mine.append(time.perf_counter() - t0)
                    if r.status_code != 200:
                        errors.append(r.status_code)
        except Exception as e:  # reported, not hidden
            errors.append(repr(e))
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    return {"latencies": latencies, "elapsed": elapsed, "errors": errors}


def summarize(runs: list[dict]) -> dict:
    lat = sorted(x for r in runs for x in r["latencies"])
    n = len(lat)
    return {
        "requests": n,
        "rps": n / sum(r["elapsed"] for r in runs),
        "median_ms": statistics.median(lat) * 1000,
        "p99_ms": lat[min(n - 1, int(n * 0.99))] * 1000,
        "errors": sum(len(r["errors"]) for r in runs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="per proxy and round")
    parser.add_argument("--clients", type=int, default=1, help="concurrent keep-alive connections")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds per proxy")
    args = parser.parse_args()
    mitmdump = shutil.which("mitmdump", path=str(Path(sys.executable).parent)) or shutil.which("mitmdump")
    if not mitmdump:
        print("mitmdump not found next to this Python", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="jaga-bench-") as tmp_name:
        tmp = Path(tmp_name)
        test_ca, cert, key = make_certificates(tmp / "certs")
        server = ChatServer(cert, key, replies=[])
        original = server.next_reply

        def reply() -> str | None:
            # Every POST is answered with one message from the other person (the chat server
            # sends no history: an earlier `history` list here was built but never sent).
            return original() or random.choice(LINES)

        server.next_reply = reply  # type: ignore[method-assign]
        # jaga as shipped (rules and model), and rules only: the model's share of time and memory.
        rules_only = tmp / "rules-only.yaml"
        rules_only.write_text("version: 1\ndetection:\n  use_model: false\n")
        results: dict[str, list[dict]] = {"direct": [], "mitmdump": [], "jaga": [], "jaga-rules": []}
        memory: dict[str, dict[str, int]] = {}
        with server.running():
            results["direct"].append(load(None, test_ca, server, args.requests, args.clients))
            names = ["mitmdump", "jaga", "jaga-rules"]
            for round_no in range(args.rounds):
                # Rotate the order each round, so no proxy always runs first (or last).
                for name in names[round_no % 3:] + names[:round_no % 3]:
                    port = free_port()
                    data = tmp / name
                    if name == "jaga":
                        cmd = jaga_run_command(data, port, test_ca)
                    elif name == "jaga-rules":
                        cmd = [*jaga_run_command(data, port, test_ca), "--config", str(rules_only)]
                    else:
                        cmd = [mitmdump, "-q", "--listen-host", "127.0.0.1", "-p", str(port),
                               "--set", f"confdir={data / 'mitmproxy'}",
                               "--set", f"ssl_verify_upstream_trusted_ca={test_ca}",
                               "--set", "stream_large_bodies=1m"]
                    with proxy_process(cmd, port, jaga_env(tmp), tmp / f"{name}.log") as proc:
                        ca = data / "mitmproxy" / "mitmproxy-ca-cert.pem"
                        results[name].append(load(port, ca, server, args.requests, args.clients))
                        time.sleep(1.0)  # let jaga's off-path worker finish the backlog
                        mem = rss_kb(proc.pid)
                        prev = memory.get(name, {"VmRSS": 0, "VmHWM": 0})
                        memory[name] = {k: max(prev[k], mem[k]) for k in mem}
                    log_text = (tmp / f"{name}.log").read_text(errors="replace")
                    if "captures dropped" in log_text:  # jaga fell behind: say so, loudly
                        print(f"WARNING: {name} dropped captures (it could not keep up)")

    s = {name: summarize(runs) for name, runs in results.items()}
    print(f"\nproxy benchmark: {args.requests} chat POSTs x {args.rounds} rounds per proxy, "
          f"{args.clients} keep-alive HTTPS clients\n")
    print(f"{'':10} {'requests':>8} {'req/s':>8} {'median ms':>10} {'p99 ms':>8} "
          f"{'RSS MB':>8} {'peak MB':>8} {'errors':>6}")
    for name, row in s.items():
        mem = memory.get(name)
        rss = f"{mem['VmRSS'] / 1024:8.1f} {mem['VmHWM'] / 1024:8.1f}" if mem else f"{'-':>8} {'-':>8}"
        print(f"{name:10} {row['requests']:8d} {row['rps']:8.0f} {row['median_ms']:10.2f} "
              f"{row['p99_ms']:8.2f} {rss} {row['errors']:6d}")
    m, j = s["mitmdump"], s["jaga"]
    throughput = j["rps"] / m["rps"]
    added = j["median_ms"] - m["median_ms"]
    extra_mb = (memory["jaga"]["VmHWM"] - memory["mitmdump"]["VmHWM"]) / 1024
    print()
    print(f"throughput jaga/mitmdump: {throughput:.1%}   (target >= 90%)  "
          f"{'ok' if throughput >= 0.9 else 'MISSED'}")
    print(f"median added latency:     {added:+.2f} ms (target < 2 ms)  {'ok' if added < 2 else 'MISSED'}")
    print(f"p99 added latency:        {j['p99_ms'] - m['p99_ms']:+.2f} ms")
    print(f"peak memory added:        {extra_mb:+.1f} MB (target <= 80 MB)  "
          f"{'ok' if extra_mb <= 80 else 'MISSED'}")
    r = s["jaga-rules"]
    rules_mb = (memory["jaga-rules"]["VmHWM"] - memory["mitmdump"]["VmHWM"]) / 1024
    print(f"rules only (no model):    throughput {r['rps'] / m['rps']:.1%}, median added "
          f"{r['median_ms'] - m['median_ms']:+.2f} ms, peak memory added {rules_mb:+.1f} MB")
    return 0 if not any(row["errors"] for row in s.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
