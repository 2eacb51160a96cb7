"""agent/alerting.py: AlertService with a real store, real Apprise and real local receivers.

Durability is tested with real processes: an outage across a restart, and SIGKILL mid-send.
"""

from __future__ import annotations

import io
import logging
import os
import signal
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from agent.alerting import AlertService, RetryPolicy
from agent.config import AlertsSection, Child, Config, NotifySection, NotifyTarget, QuietHours
from agent.store import Store
from tests.alert_samples import make_alert
from tests.receivers import JsonReceiver, SmtpSink, free_port

FAST = RetryPolicy(base=0.05, factor=2.0, max_delay=0.5, poll=0.05, send_timeout=20.0)
WORKER = Path(__file__).with_name("delivery_worker.py")
REPO = Path(__file__).resolve().parents[2]

# A fixed local noon, so quiet hours and the daily digest never depend on when tests run.
NOON = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)


class Clock:
    def __init__(self, start: datetime = NOON):
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta.total_seconds()


def config(*urls, **alerts) -> Config:
    return Config(children=[Child(name="Rina"), Child(name="Budi")],
                  notify=NotifySection(urls=list(urls)), alerts=AlertsSection(**alerts))


@pytest.fixture
def services(tmp_path):
    made: list[AlertService] = []

    def make(cfg: Config, data_dir: Path | None = None, **kw) -> AlertService:
        svc = AlertService(cfg, data_dir or tmp_path / "data", retry=FAST, **kw)
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.stop()


def footers(receiver: JsonReceiver) -> list[str]:
    return [m["message"].rsplit("\n", 1)[-1] for m in receiver.received]


# --- record: alert and outbox rows in one transaction, then delivery ---------------------------


def test_record_stores_the_alert_with_one_outbox_row_per_target(services):
    svc = services(config("json://127.0.0.1:9/", "json://127.0.0.1:10/"))
    alert_id = svc.record(make_alert())
    assert alert_id is not None
    assert svc.store.get_alert(alert_id).summary == make_alert().summary
    assert len(svc.store.outbox_for(alert_id)) == 2


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize(
    ("privacy", "risky_words_sent", "other_words_sent"),
    [("full", True, True), ("snippet", True, False), ("none", False, False)],
)
def test_alert_reaches_json_and_email_in_each_language_and_privacy_level(
        services, language, privacy, risky_words_sent, other_words_sent):
    with JsonReceiver() as receiver, SmtpSink() as sink:
        svc = services(config(receiver.url, sink.url(), language=language, privacy=privacy))
        alert_id = svc.record(make_alert())
        assert svc.flush(20)
        assert sink.wait_for(1)
    (got,) = receiver.received
    email_body = sink.bodies()[0]
    expected_title = ("Serius – HP Rina" if language == "id" else "Serious – Rina's phone")
    assert got["title"].startswith(expected_title)
    assert sink.messages[0]["Subject"].startswith(expected_title)
    for body in (got["message"], email_body):
        assert ("pulsa 50rb" in body) == risky_words_sent
        assert ("marah sama kamu" in body) == other_words_sent
        assert "SAPA 129" in body
    assert {r.status for r in svc.store.outbox_for(alert_id)} == {"sent"}


def test_routing_sends_each_alert_only_where_it_is_wanted(services):
    with JsonReceiver() as everything, JsonReceiver() as high_only, JsonReceiver() as budi_only:
        svc = services(config(everything.url, NotifyTarget(url=high_only.url, tags=["high"]),
                              NotifyTarget(url=budi_only.url, children=["Budi"])))
        svc.record(make_alert(severity="low", summary="low-rina", conversation="a"))
        svc.record(make_alert(severity="high", summary="high-budi", child="Budi", conversation="b"))
        assert svc.flush(20)
    assert len(everything.received) == 2
    assert [t.split(" – ")[0] for t in high_only.titles()] == ["Serius"]
    assert ["HP Budi" in t for t in budi_only.titles()] == [True]


# --- bad targets: named, others still receive, the alert stays queued --------------------------


def test_a_failing_target_does_not_block_the_others_and_keeps_its_row(services, caplog):
    caplog.set_level(logging.WARNING)
    with JsonReceiver(status=500) as broken, JsonReceiver() as good:
        svc = services(config(broken.url, "nosuchscheme://user:secret@example.com/", good.url))
        for i in range(3):
            svc.record(make_alert(conversation=f"c{i}"))
        assert not svc.flush(1.0)  # the broken target can never be flushed
        assert len(good.received) == 3
    pending = svc.store.pending()
    assert len(pending) == 3 and {r.target_label.split("?")[0] for r in pending} == {broken.url}
    assert all(r.attempts >= 1 and "500" in r.last_error for r in pending)
    log = caplog.text
    assert f"notify {broken.url}" in log and "500" in log
    assert "nosuchscheme://*** is not an Apprise URL" in log and "secret" not in log


# --- calm: realert ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("second", "realert_minutes", "sent_again"),
    [
        # same conversation and categories, same severity, within the time: not sent again
        ({}, 30, False),
        ({"severity": "medium"}, 30, False),
        # severity rises: sent
        ({"severity": "high"}, 30, True),
        # a new category: sent
        ({"categories": ("offer_credit", "meetup")}, 30, True),
        # another conversation: sent
        ({"conversation": "other"}, 30, True),
        # after the realert time: sent
        ({"ts": NOON + timedelta(minutes=31)}, 30, True),
        # realert off
        ({}, 0, True),
    ],
)
def test_realert_suppresses_repeats_unless_severity_rises(services, second, realert_minutes,
                                                           sent_again):
    svc = services(config("json://127.0.0.1:9/", realert_minutes=realert_minutes))
    first = make_alert(severity="medium", ts=NOON)
    svc.record(first)
    fields = {"severity": "medium", "ts": NOON + timedelta(minutes=10)} | second
    again = svc.record(make_alert(**fields))
    stored = svc.store.get_alert(again)
    assert stored is not None  # a repeat is still stored, for `jaga alerts`
    assert stored.suppressed is not sent_again
    assert len(svc.store.outbox_for(again)) == (1 if sent_again else 0)


# --- calm: quiet hours and the daily digest ---------------------------------------------------


def test_quiet_hours_hold_alerts_and_send_one_digest_afterwards(services):
    clock = Clock()
    with JsonReceiver() as receiver:
        svc = services(config(receiver.url, quiet_hours=QuietHours(start="11:00", end="13:00")),
                       clock=clock)
        svc.record(make_alert(conversation="a", severity="medium", ts=NOON))
        svc.record(make_alert(conversation="b", child="Budi", severity="low", ts=NOON))
        assert svc.flush(0.5)  # nothing is due during quiet hours
        assert receiver.received == []
        clock.advance(timedelta(hours=1, minutes=1))
        assert svc.flush(20)
    (digest,) = receiver.received
    assert digest["title"].startswith("jaga: 2 peringatan")
    assert "HP Rina" in digest["message"] and "HP Budi" in digest["message"]
    assert "pulsa 50rb" not in digest["message"]  # titles only, never message text


@pytest.mark.parametrize(
    "urgent, severity, sent_at_once",
    [
        ("high", "high", True),  # the default: a serious alert does not wait for the morning
        ("high", "medium", False),
        ("medium", "medium", True),
        ("never", "high", False),
    ],
)
def test_urgent_alerts_go_out_during_quiet_hours(services, urgent, severity, sent_at_once):
    clock = Clock()
    quiet = QuietHours(start="11:00", end="13:00", urgent=urgent)
    with JsonReceiver() as receiver:
        svc = services(config(receiver.url, quiet_hours=quiet), clock=clock)
        svc.record(make_alert(severity=severity, ts=NOON))
        assert svc.flush(20 if sent_at_once else 0.5)
        assert len(receiver.received) == (1 if sent_at_once else 0)


def test_daily_digest_is_sent_once_a_day_with_the_days_alerts(services):
    clock = Clock()
    with JsonReceiver() as receiver:
        svc = services(config(receiver.url, daily_digest="11:59", language="en"), clock=clock)
        svc.record(make_alert(ts=NOON - timedelta(hours=2)))
        assert svc.flush(20)
        svc.tick()
        assert svc.flush(20)
    titles = receiver.titles()
    assert len(titles) == 2
    assert titles[1] == "jaga daily summary: 1 alert(s) in the last 24 hours"


# --- no target: the console, and one clear warning --------------------------------------------


def test_without_a_target_alerts_are_printed_and_the_warning_comes_once(services):
    out = io.StringIO()
    svc = services(config(language="en"), console=Console(file=out, width=200))
    svc.start()
    assert svc.record(make_alert(conversation="a")) is not None
    svc.record(make_alert(conversation="b"))
    text = out.getvalue()
    assert text.count("parents will NOT be notified") == 1
    assert text.count("Serious – Rina's phone") == 2
    assert len(svc.store.list_alerts()) == 2


# --- a bad disk: record never raises, the alert is kept and still sent ------------------------


def test_a_full_disk_keeps_the_alert_in_memory_sends_it_and_stores_it_later(services):
    with JsonReceiver() as receiver:
        svc = services(config(receiver.url))
        store = svc.store
        pages = store.query("PRAGMA page_count")[0][0]
        store.query(f"PRAGMA max_page_count = {pages}")
        alert = make_alert(summary="x" * 50_000)
        assert svc.record(alert) is None
        assert svc.unsaved == [alert]
        svc.tick()  # still full: sent straight from memory
        assert receiver.wait_for(1)
        store.query("PRAGMA max_page_count = 1000000")
        svc.tick()  # room again: stored, without a second notification
        assert svc.unsaved == []
        assert svc.flush(5)
    assert len(receiver.received) == 1
    (stored,) = svc.store.list_alerts()
    assert stored.summary == alert.summary and svc.store.outbox_for(stored.id) == []


def test_a_read_only_store_does_not_raise(services):
    svc = services(config("json://127.0.0.1:9/"))
    svc.store.query("PRAGMA query_only = ON")
    assert svc.record(make_alert()) is None
    assert len(svc.unsaved) == 1


def test_an_unusable_data_directory_does_not_stop_the_caller(services, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    with JsonReceiver() as receiver:
        svc = services(config(receiver.url), data_dir=blocker)
        assert svc.record(make_alert()) is None
        svc.tick()
        assert receiver.wait_for(1)  # the parent still hears about it
        blocker.unlink()
        svc.tick()
    assert svc.unsaved == [] and len(Store.open(blocker).list_alerts()) == 1


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through chmod")
def test_a_read_only_directory_does_not_raise(services, tmp_path):
    data = tmp_path / "ro"
    data.mkdir()
    data.chmod(0o500)
    try:
        svc = services(config("json://127.0.0.1:9/"), data_dir=data / "jaga")
        assert svc.record(make_alert()) is None
    finally:
        data.chmod(0o700)


# --- durability across processes: outage and restart, SIGKILL mid-send ------------------------


def worker(data_dir: Path, url: str, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(WORKER), str(data_dir), url, *args], cwd=REPO,
                            **popen)


def test_outage_and_restart_deliver_every_alert_exactly_once(tmp_path):
    port = free_port()
    url = f"json://127.0.0.1:{port}/"
    # The receiver is down: three alerts are recorded, sending fails, the process ends.
    assert worker(tmp_path, url, "--record", "3", "--flush", "0.5").wait(60) == 3
    store = Store.open(tmp_path)
    pending = store.pending()
    assert len(pending) == 3 and all(r.attempts >= 1 and r.last_error for r in pending)
    store.close()
    with JsonReceiver(port=port) as receiver:
        # A new process on the same database delivers them; a third finds nothing left.
        assert worker(tmp_path, url, "--flush", "20").wait(60) == 0
        assert worker(tmp_path, url, "--flush", "5").wait(60) == 0
    assert sorted(footers(receiver)) == [f"Peringatan jaga #{i}. Di perangkat jaga: jaga alerts "
                                         f"show {i}" for i in (1, 2, 3)]


def test_sigkill_during_a_send_redelivers_and_never_resends_what_was_delivered(tmp_path):
    with JsonReceiver() as receiver:
        assert worker(tmp_path, receiver.url, "--record", "1", "--flush", "20").wait(60) == 0
        assert receiver.wait_for(1)
        store = Store.open(tmp_path)
        store.add_alert(make_alert(summary="second", conversation="two"),
                        [row_for(store, receiver.url)])
        store.close()
        receiver.delay = 3.0  # the next send hangs in the receiver...
        receiver.arrived.clear()
        proc = worker(tmp_path, receiver.url, "--serve", stdout=subprocess.PIPE, text=True)
        try:
            assert receiver.arrived.wait(30)
            proc.send_signal(signal.SIGKILL)  # ...and the sender dies in the middle of it
            proc.wait(10)
        finally:
            proc.kill()
        receiver.delay = 0.0
        assert worker(tmp_path, receiver.url, "--flush", "20").wait(60) == 0
        receiver.wait_for(2)
    counts = {f: footers(receiver).count(f) for f in set(footers(receiver))}
    assert counts["Peringatan jaga #1. Di perangkat jaga: jaga alerts show 1"] == 1
    assert counts["Peringatan jaga #2. Di perangkat jaga: jaga alerts show 2"] >= 1


def row_for(store: Store, url: str):
    """An outbox row for `url` as the service would write it (same key and label)."""
    from agent.delivery import load_targets
    from agent.store import NewOutboxRow

    (target,) = load_targets(Config(notify=NotifySection(urls=[url])))
    return NewOutboxRow(target.key, target.label)


def test_alerts_from_an_old_chat_are_delivered_not_purged(services):
    with JsonReceiver() as receiver:
        svc = services(config(receiver.url))
        svc.record(make_alert(ts=NOON - timedelta(days=45)))
        assert svc.flush(20)
    assert len(receiver.received) == 1


def test_the_worker_and_flush_together_send_each_alert_once(services):
    with JsonReceiver() as receiver:
        svc = services(config(receiver.url))
        svc.start()
        for i in range(5):
            svc.record(make_alert(conversation=f"c{i}"))
        assert svc.flush(20)
        svc.stop()
    assert len(footers(receiver)) == 5 and len(set(footers(receiver))) == 5


def test_naive_times_from_a_chat_export_are_stored_and_realert_still_works(services):
    svc = services(config("json://127.0.0.1:9/"))
    naive = NOON.replace(tzinfo=None)
    first = svc.record(make_alert(ts=naive))
    again = svc.record(make_alert(ts=naive + timedelta(minutes=5)))
    assert first is not None and again is not None and svc.unsaved == []
    assert svc.store.get_alert(again).suppressed
