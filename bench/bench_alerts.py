"""How fast alerts are recorded and delivered: prints figures, asserts nothing.

    .venv/bin/python bench/bench_alerts.py [--alerts 200]

- record(): time the proxy's thread spends handing over one alert (store + outbox, one
  transaction, realert check), with two targets configured;
- delivery: alerts per second from the outbox to a real local json:// receiver via Apprise;
- recovery: time from a restart to the last of N pending alerts delivered.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from agent.alerting import AlertService, RetryPolicy
from agent.config import Config, NotifySection
from tests.alert_samples import make_alert
from tests.receivers import JsonReceiver

FAST = RetryPolicy(base=0.05, max_delay=0.5, poll=0.05)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alerts", type=int, default=200)
    n = p.parse_args().alerts
    with tempfile.TemporaryDirectory() as tmp, JsonReceiver() as a, JsonReceiver() as b:
        config = Config(notify=NotifySection(urls=[a.url, b.url]))
        svc = AlertService(config, Path(tmp), retry=FAST)
        times = []
        for i in range(n):
            alert = make_alert(conversation=f"c{i}")
            t0 = time.perf_counter()
            svc.record(alert)
            times.append(time.perf_counter() - t0)
        times.sort()
        print(f"record(): {n} alerts, median {statistics.median(times) * 1e3:.2f} ms, "
              f"p95 {times[int(0.95 * n) - 1] * 1e3:.2f} ms, max {times[-1] * 1e3:.2f} ms")
        t0 = time.perf_counter()
        ok = svc.flush(300)
        took = time.perf_counter() - t0
        print(f"delivery: {2 * n} notifications ({n} alerts x 2 targets) in {took:.2f} s = "
              f"{2 * n / took:.0f}/s, all delivered: {ok}, received {len(a.received)}+"
              f"{len(b.received)}")
        svc.stop()
    with tempfile.TemporaryDirectory() as tmp:
        receiver = JsonReceiver()
        config = Config(notify=NotifySection(urls=[receiver.url]))
        down = AlertService(config, Path(tmp), retry=FAST)
        for i in range(n):
            down.record(make_alert(conversation=f"c{i}"))
        down.stop()
        with receiver:
            t0 = time.perf_counter()
            again = AlertService(config, Path(tmp), retry=FAST)
            ok = again.flush(300)
            print(f"recovery: {n} pending alerts delivered {time.perf_counter() - t0:.2f} s after "
                  f"a restart, all delivered: {ok}, received {len(receiver.received)}")
            again.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
