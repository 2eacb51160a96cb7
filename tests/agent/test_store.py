"""agent/store.py: a real SQLite file: permissions, WAL, migrations, atomic alert+outbox, filters."""

from __future__ import annotations

import sqlite3
import stat
import threading
import time
from datetime import datetime, timedelta

import pytest

from agent.store import DB_NAME, MIGRATIONS, NewOutboxRow, Store, iso
from tests.alert_samples import OFFER_TEXT, make_alert


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "data")
    yield s
    s.close()


# --- the file: owner-only, WAL, schema version ---------------------------------------------


def test_store_file_and_directory_are_owner_only(tmp_path):
    data = tmp_path / "data"
    store = Store.open(data)
    store.add_alert(make_alert())
    for suffix in ("", "-wal"):
        mode = stat.S_IMODE((data / f"{DB_NAME}{suffix}").stat().st_mode)
        assert mode & 0o077 == 0, f"{DB_NAME}{suffix} is {oct(mode)}"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    store.close()


def test_store_uses_wal_and_is_migrated_to_the_latest_version(store):
    assert store.query("PRAGMA journal_mode")[0][0] == "wal"
    assert store.query("PRAGMA user_version")[0][0] == len(MIGRATIONS)
    tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"alerts", "outbox", "devices", "passthrough", "meta"} <= tables


def test_reopening_keeps_data_and_does_not_migrate_twice(tmp_path):
    first = Store.open(tmp_path)
    alert_id = first.add_alert(make_alert())
    first.close()
    again = Store.open(tmp_path)
    assert again.get_alert(alert_id) is not None
    assert again.migrate() == len(MIGRATIONS)
    again.close()


def test_a_database_from_a_newer_jaga_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / DB_NAME)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(sqlite3.DatabaseError, match="newer than this jaga"):
        Store.open(tmp_path)


# --- alerts and their outbox rows: one transaction -----------------------------------------


def test_an_alert_round_trips_with_evidence_and_context(store):
    alert = make_alert()
    stored = store.get_alert(store.add_alert(alert))
    assert stored is not None
    assert (stored.child, stored.device, stored.app) == ("Rina", "192.168.1.20", "web.whatsapp.com")
    assert stored.categories == ("offer_credit", "secrecy")
    assert stored.evidence[0]["text"] == OFFER_TEXT
    assert stored.evidence[0]["highlights"] == [list(h) for h in alert.evidence[0].highlights]
    assert stored.context[0]["index"] == 3
    assert stored.ts == alert.ts
    assert stored.acknowledged is None and not stored.suppressed


def test_alert_and_outbox_rows_are_written_together(store):
    rows = [NewOutboxRow("k1", "json://a/"), NewOutboxRow("k2", "json://b/")]
    alert_id = store.add_alert(make_alert(), rows)
    assert [(r.target_key, r.status) for r in store.outbox_for(alert_id)] == [
        ("k1", "pending"), ("k2", "pending")]


def test_a_failing_outbox_row_leaves_no_alert_behind(store):
    bad = NewOutboxRow(None, "json://a/")  # type: ignore[arg-type]  # NOT NULL violated
    with pytest.raises(sqlite3.IntegrityError):
        store.add_alert(make_alert(), [NewOutboxRow("k1", "json://a/"), bad])
    assert store.list_alerts() == []
    assert store.query("SELECT count(*) FROM outbox")[0][0] == 0


def test_a_full_disk_raises_and_changes_nothing(store):
    store.add_alert(make_alert())
    pages = store.query("PRAGMA page_count")[0][0]
    store.query(f"PRAGMA max_page_count = {pages}")
    big = make_alert(summary="x" * 200_000)
    with pytest.raises(sqlite3.OperationalError, match="full"):
        store.add_alert(big, [NewOutboxRow("k1", "json://a/")])
    assert len(store.list_alerts()) == 1


# --- listing: filters ------------------------------------------------------------------------

NOW = datetime.now().astimezone()


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # no filter: newest first
        ({}, ["b-high", "r-low", "r-med", "r-old"]),
        # since
        ({"since": NOW - timedelta(hours=2)}, ["b-high", "r-low"]),
        # child, any case
        ({"child": "rina"}, ["r-low", "r-med", "r-old"]),
        # severity and above
        ({"min_severity": "medium"}, ["b-high", "r-med", "r-old"]),
        ({"min_severity": "high"}, ["b-high"]),
        # combined
        ({"child": "Rina", "min_severity": "medium", "since": NOW - timedelta(days=1)}, ["r-med"]),
        ({"limit": 2}, ["b-high", "r-low"]),
    ],
)
def test_list_alerts_filters(store, filters, expected):
    for summary, child, severity, age in [("r-old", "Rina", "medium", timedelta(days=3)),
                                          ("r-med", "Rina", "medium", timedelta(hours=5)),
                                          ("r-low", "Rina", "low", timedelta(hours=1)),
                                          ("b-high", "Budi", "high", timedelta(minutes=1))]:
        store.add_alert(make_alert(summary=summary, child=child, severity=severity, ts=NOW - age))
    assert [a.summary for a in store.list_alerts(**filters)] == expected


# --- acknowledge, purge ------------------------------------------------------------------------


def test_acknowledge_marks_existing_alerts_and_reports_which(store):
    alert_id = store.add_alert(make_alert())
    assert store.acknowledge([alert_id, 999]) == [alert_id]
    assert store.get_alert(alert_id).acknowledged is not None


def test_purge_deletes_old_alerts_and_their_outbox_rows(store):
    old = store.add_alert(make_alert(ts=NOW - timedelta(days=31)), [NewOutboxRow("k", "json://a/")])
    new = store.add_alert(make_alert(ts=NOW - timedelta(days=1)), [NewOutboxRow("k", "json://a/")])
    assert store.purge(timedelta(days=30)) == 1
    assert store.get_alert(old) is None and store.get_alert(new) is not None
    assert [r.alert_id for r in store.pending()] == [new]


# --- outbox scheduling ---------------------------------------------------------------------------


def test_due_rows_respect_target_and_time_and_sent_rows_are_never_due_again(store):
    now = time.time()
    a = store.add_alert(make_alert(), [NewOutboxRow("k1", "x"), NewOutboxRow("k2", "y"),
                                      NewOutboxRow("k3", "z", not_before=now + 3600)], now=now)
    assert {r.target_key for r in store.due({"k1", "k2", "k3"}, now)} == {"k1", "k2"}
    assert {r.target_key for r in store.due({"k1"}, now)} == {"k1"}
    rows = {r.target_key: r for r in store.outbox_for(a)}
    store.mark_sent([rows["k1"].id], now)
    store.mark_failed([rows["k2"].id], "HTTP 500", now + 10)
    assert store.due({"k1", "k2"}, now) == []
    retried = store.due({"k1", "k2"}, now + 11)
    assert [(r.target_key, r.attempts, r.last_error) for r in retried] == [("k2", 1, "HTTP 500")]


# --- thread safety, devices, pass-through --------------------------------------------------------


def test_many_threads_can_record_at_once(store):
    def work():
        for _ in range(25):
            store.add_alert(make_alert(), [NewOutboxRow("k", "x")])

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.list_alerts()) == 100
    assert len(store.pending()) == 100


def test_devices_and_passthrough_hosts_are_remembered(store):
    store.seen_device("192.168.1.20", child="Rina")
    store.seen_device("192.168.1.20", label="Rina's phone")
    store.record_passthrough("bank.example.com", "certificate pinned")
    store.record_passthrough("bank.example.com")
    (device,) = store.devices()
    assert (device["child"], device["label"]) == ("Rina", "Rina's phone")
    (host,) = store.passthrough_hosts()
    assert (host["host"], host["count"], host["reason"]) == ("bank.example.com", 2, "certificate pinned")


def test_automatic_retention_keeps_old_alerts_stored_recently(store):
    # An alert found today in a chat exported 40 days ago is kept (and sent) first.
    alert_id = store.add_alert(make_alert(ts=NOW - timedelta(days=40)), [NewOutboxRow("k", "x")])
    assert store.purge(timedelta(days=30), stored_too=True) == 0
    assert store.get_alert(alert_id) is not None
    store.query("UPDATE alerts SET created = ?", (iso(NOW - timedelta(days=31)),))
    assert store.purge(timedelta(days=30), stored_too=True) == 1
