"""A real delivery process for the restart, outage and SIGKILL tests (not a test itself).

    python tests/agent/delivery_worker.py DATA_DIR APPRISE_URL [--record N] [--flush SECONDS | --serve]

--record N   records N invented alerts (summaries "alert-1".."alert-N", one conversation each)
--flush S    delivers what is due and exits 0 when everything was delivered within S seconds, else 3
--serve      starts the background worker, prints "serving", and runs until killed
Retry timings are short so tests stay fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.alerting import AlertService, RetryPolicy
from agent.config import Config, NotifySection
from tests.alert_samples import make_alert

FAST = RetryPolicy(base=0.05, factor=2.0, max_delay=0.5, poll=0.05, send_timeout=20.0)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("data_dir")
    p.add_argument("url")
    p.add_argument("--record", type=int, default=0)
    p.add_argument("--flush", type=float)
    p.add_argument("--serve", action="store_true")
    args = p.parse_args()
    service = AlertService(Config(notify=NotifySection(urls=[args.url])), args.data_dir, retry=FAST)
    for i in range(1, args.record + 1):
        service.record(make_alert(summary=f"alert-{i}", conversation=f"conv-{i}"))
    if args.serve:
        service.start()
        print("serving", flush=True)
        while True:
            time.sleep(1)
    status = 0
    if args.flush is not None:
        status = 0 if service.flush(args.flush) else 3
    service.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
