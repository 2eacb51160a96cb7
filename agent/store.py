"""jaga's SQLite store: alerts, the notification outbox, devices and pass-through hosts.

One file, DATA_DIR/jaga.db, in WAL mode, readable by its owner only (file 0600, directory 0700).
The schema is versioned with `PRAGMA user_version`; `MIGRATIONS` run in order when the store is
opened, so an older database is brought up to date on start. Only what raised an alert is stored
(the messages that made the risk and a few messages of context), never whole traffic.

The outbox holds one row per (alert, notification target). A row is `pending` until Apprise
reports success for that target, then `sent`; it is written in the same transaction as its
alert, so an alert cannot exist without its notifications or the other way round. Digest rows
(quiet hours, daily summary) have no alert of their own: their `payload` says what they cover.

One connection is shared by every thread behind a lock: SQLite serialises writers anyway, and
the lock keeps the connection's transactions from interleaving.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from agent.messages import Alert

log = logging.getLogger(__name__)

DB_NAME = "jaga.db"

# Each entry brings the schema from version i to i + 1. Never edit a released entry: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        ts TEXT NOT NULL,              -- when the message that raised it was seen (UTC ISO)
        created TEXT NOT NULL,         -- when jaga stored it (UTC ISO)
        child TEXT,
        device TEXT,
        app TEXT,
        conversation TEXT NOT NULL,
        message_index INTEGER,
        severity TEXT NOT NULL,
        score REAL NOT NULL,
        categories TEXT NOT NULL,      -- JSON list of taxonomy ids
        stages TEXT NOT NULL,          -- JSON list
        summary TEXT NOT NULL,
        evidence TEXT NOT NULL,        -- JSON list of AlertMessage.to_json()
        context TEXT NOT NULL,         -- JSON list of AlertMessage.to_json()
        extra TEXT NOT NULL DEFAULT '{}',
        suppressed INTEGER NOT NULL DEFAULT 0,  -- 1: stored, but not sent again (realert)
        acknowledged TEXT              -- when a parent acknowledged it (UTC ISO), or NULL
    );
    CREATE INDEX alerts_ts ON alerts(ts);
    CREATE INDEX alerts_conversation ON alerts(conversation, ts);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        alert_id INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
        target_key TEXT NOT NULL,      -- stable hash of the target's full URL (never the URL)
        target_label TEXT NOT NULL,    -- the target's URL with secrets masked
        kind TEXT NOT NULL DEFAULT 'alert',   -- 'alert' | 'digest' | 'daily'
        payload TEXT NOT NULL DEFAULT '{}',   -- JSON: what a digest covers
        status TEXT NOT NULL DEFAULT 'pending',  -- 'pending' | 'sent'
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL,    -- unix time; quiet hours hold rows by setting it later
        last_error TEXT,
        created REAL NOT NULL,
        sent_at REAL
    );
    CREATE INDEX outbox_due ON outbox(status, next_attempt);
    CREATE TABLE devices (
        address TEXT PRIMARY KEY,      -- IP, MAC or WireGuard peer
        child TEXT,
        label TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
    );
    CREATE TABLE passthrough (
        host TEXT PRIMARY KEY,
        reason TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 1
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime) -> str:
    """UTC ISO text; naive datetimes are taken as local time. Same width, so text order = time order."""
    return dt.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class StoredAlert:
    """One row of `alerts`, decoded: what alert_text renders and `jaga alerts` lists."""

    id: int
    ts: datetime
    created: datetime
    conversation: str
    message_index: int | None
    severity: str
    score: float
    categories: tuple[str, ...]
    stages: tuple[str, ...]
    summary: str
    evidence: tuple[dict[str, Any], ...]
    context: tuple[dict[str, Any], ...]
    child: str | None = None
    device: str | None = None
    app: str | None = None
    extra: dict[str, Any] | None = None
    suppressed: bool = False
    acknowledged: datetime | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> StoredAlert:
        return cls(
            id=row["id"],
            ts=datetime.fromisoformat(row["ts"]),
            created=datetime.fromisoformat(row["created"]),
            conversation=row["conversation"],
            message_index=row["message_index"],
            severity=row["severity"],
            score=row["score"],
            categories=tuple(json.loads(row["categories"])),
            stages=tuple(json.loads(row["stages"])),
            summary=row["summary"],
            evidence=tuple(json.loads(row["evidence"])),
            context=tuple(json.loads(row["context"])),
            child=row["child"],
            device=row["device"],
            app=row["app"],
            extra=json.loads(row["extra"] or "{}"),
            suppressed=bool(row["suppressed"]),
            acknowledged=datetime.fromisoformat(row["acknowledged"]) if row["acknowledged"] else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ts": self.ts.isoformat(),
            "child": self.child,
            "device": self.device,
            "app": self.app,
            "conversation": self.conversation,
            "message_index": self.message_index,
            "severity": self.severity,
            "score": round(self.score, 4),
            "categories": list(self.categories),
            "stages": list(self.stages),
            "summary": self.summary,
            "evidence": list(self.evidence),
            "context": list(self.context),
            "suppressed": self.suppressed,
            "acknowledged": self.acknowledged.isoformat() if self.acknowledged else None,
        }


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    alert_id: int | None
    target_key: str
    target_label: str
    kind: str
    payload: dict[str, Any]
    status: str
    attempts: int
    next_attempt: float
    last_error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> OutboxRow:
        return cls(row["id"], row["alert_id"], row["target_key"], row["target_label"], row["kind"],
                   json.loads(row["payload"] or "{}"), row["status"], row["attempts"],
                   row["next_attempt"], row["last_error"])


@dataclass(frozen=True, slots=True)
class NewOutboxRow:
    """An outbox row to write with its alert: which target, and when it may first be sent."""

    target_key: str
    target_label: str
    not_before: float = 0.0
    kind: str = "alert"


def _secure_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(path, 0o700)
    except OSError as e:  # a directory we do not own: say so, keep going
        log.warning("cannot make %s owner-only: %s", path, e)


class Store:
    """The SQLite store. Open with `Store.open(data_dir)`; every method is thread-safe."""

    def __init__(self, path: Path, conn: sqlite3.Connection):
        self.path = path
        self._conn = conn
        self._lock = threading.RLock()

    @classmethod
    def open(cls, data_dir: str | Path, *, timeout: float = 5.0) -> Store:
        data_dir = Path(data_dir).expanduser()
        _secure_dir(data_dir)
        path = data_dir / DB_NAME
        if not path.exists():
            # Create it owner-only before SQLite does, so it is never readable by others.
            os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
        conn = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
        conn.row_factory = sqlite3.Row
        store = cls(path, conn)
        try:
            store._setup()
        except BaseException:
            conn.close()
            raise
        return store

    def _setup(self) -> None:
        c = self._conn
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA foreign_keys=ON")
        # FULL: a stored alert survives a power cut too (a Pi gets unplugged); alerts are rare.
        c.execute("PRAGMA synchronous=FULL")
        self.migrate()
        for suffix in ("", "-wal", "-shm"):
            p = Path(f"{self.path}{suffix}")
            if p.exists():
                try:
                    os.chmod(p, 0o600)
                except OSError as e:
                    log.warning("cannot make %s owner-only: %s", p, e)

    def migrate(self) -> int:
        """Run the migrations this database has not seen; return the schema version."""
        with self._lock:
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise sqlite3.DatabaseError(
                    f"{self.path} has schema version {version}, newer than this jaga "
                    f"({len(MIGRATIONS)}): upgrade jaga")
            for i in range(version, len(MIGRATIONS)):
                self._conn.executescript(
                    f"BEGIN IMMEDIATE; {MIGRATIONS[i]}; PRAGMA user_version = {i + 1}; COMMIT;")
                log.info("store %s: migrated schema to version %d", self.path, i + 1)
            return len(MIGRATIONS)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
                self._conn.execute("COMMIT")
            except BaseException:
                # SQLite may already have rolled back (a full disk does): don't mask the cause.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- alerts -------------------------------------------------------------------------

    def add_alert(self, alert: Alert, outbox: list[NewOutboxRow] | tuple[NewOutboxRow, ...] = (),
                  *, suppressed: bool = False, now: float | None = None) -> int:
        """Store `alert` and its outbox rows in one transaction; return the alert's id."""
        now = time.time() if now is None else now
        ts = alert.ts or utcnow()
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO alerts (ts, created, child, device, app, conversation, message_index,"
                " severity, score, categories, stages, summary, evidence, context, extra, suppressed)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (iso(ts), iso(utcnow()), alert.child, alert.device, alert.app, alert.conversation,
                 alert.message_index, alert.severity, float(alert.score),
                 json.dumps(list(alert.categories)), json.dumps(list(alert.stages)), alert.summary,
                 json.dumps([m.to_json() for m in alert.evidence], ensure_ascii=False),
                 json.dumps([m.to_json() for m in alert.context], ensure_ascii=False),
                 json.dumps(alert.extra, ensure_ascii=False, default=str), int(suppressed)),
            )
            alert_id = int(cur.lastrowid or 0)
            for row in outbox:
                c.execute(
                    "INSERT INTO outbox (alert_id, target_key, target_label, kind, next_attempt,"
                    " created) VALUES (?,?,?,?,?,?)",
                    (alert_id, row.target_key, row.target_label, row.kind, max(now, row.not_before),
                     now),
                )
        return alert_id

    def get_alert(self, alert_id: int) -> StoredAlert | None:
        rows = self.query("SELECT * FROM alerts WHERE id = ?", (alert_id,))
        return StoredAlert.from_row(rows[0]) if rows else None

    def list_alerts(self, *, since: datetime | None = None, until: datetime | None = None,
                    child: str | None = None, min_severity: str | None = None,
                    include_suppressed: bool = True, limit: int | None = None) -> list[StoredAlert]:
        """Alerts, newest first, filtered; `min_severity` keeps that severity and above."""
        where, params = ["1=1"], []
        if since is not None:
            where.append("ts >= ?")
            params.append(iso(since))
        if until is not None:
            where.append("ts < ?")
            params.append(iso(until))
        if child is not None:
            where.append("lower(child) = lower(?)")
            params.append(child)
        if min_severity is not None:
            from classifiers.categories import SEVERITIES, severity_rank

            allowed = [s for s in SEVERITIES if severity_rank(s) >= severity_rank(min_severity)]
            where.append(f"severity IN ({','.join('?' * len(allowed))})")
            params.extend(allowed)
        if not include_suppressed:
            where.append("suppressed = 0")
        sql = f"SELECT * FROM alerts WHERE {' AND '.join(where)} ORDER BY ts DESC, id DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [StoredAlert.from_row(r) for r in self.query(sql, params)]

    def recent_in_conversation(self, conversation: str, since: datetime) -> list[StoredAlert]:
        """Not-suppressed alerts of one conversation at or after `since` (for realert)."""
        rows = self.query(
            "SELECT * FROM alerts WHERE conversation = ? AND ts >= ? AND suppressed = 0",
            (conversation, iso(since)))
        return [StoredAlert.from_row(r) for r in rows]

    def acknowledge(self, alert_ids: list[int]) -> list[int]:
        """Mark alerts acknowledged; return the ids that exist."""
        found = []
        with self.transaction() as c:
            for alert_id in alert_ids:
                cur = c.execute(
                    "UPDATE alerts SET acknowledged = coalesce(acknowledged, ?) WHERE id = ?",
                    (iso(utcnow()), alert_id))
                if cur.rowcount:
                    found.append(alert_id)
        return found

    def purge(self, older_than: timedelta, *, stored_too: bool = False) -> int:
        """Delete alerts (and their outbox rows) older than `older_than`; return how many.

        `stored_too` (the automatic retention) also requires that jaga stored the alert that
        long ago, so alerts found today in an old exported chat are kept, and sent, first.
        """
        cutoff = iso(utcnow() - older_than)
        sql = "DELETE FROM alerts WHERE ts < ?" + (" AND created < ?" if stored_too else "")
        with self.transaction() as c:
            n = c.execute(sql, (cutoff, cutoff) if stored_too else (cutoff,)).rowcount
            # Digest rows have no alert to cascade from: drop old sent ones too.
            c.execute("DELETE FROM outbox WHERE alert_id IS NULL AND status = 'sent' AND created < ?",
                      (time.time() - older_than.total_seconds(),))
        if n:
            log.info("purged %d alerts older than %s", n, older_than)
        return n

    # --- outbox -------------------------------------------------------------------------

    def due(self, target_keys: set[str] | frozenset[str], now: float | None = None,
            limit: int = 100) -> list[OutboxRow]:
        """Pending rows for these targets whose time has come, oldest first."""
        if not target_keys:
            return []
        now = time.time() if now is None else now
        keys = sorted(target_keys)
        rows = self.query(
            f"SELECT * FROM outbox WHERE status = 'pending' AND next_attempt <= ? AND target_key IN"
            f" ({','.join('?' * len(keys))}) ORDER BY next_attempt, id LIMIT ?",
            [now, *keys, limit])
        return [OutboxRow.from_row(r) for r in rows]

    def pending(self, alert_id: int | None = None) -> list[OutboxRow]:
        sql, params = "SELECT * FROM outbox WHERE status = 'pending'", []
        if alert_id is not None:
            sql += " AND alert_id = ?"
            params.append(alert_id)
        return [OutboxRow.from_row(r) for r in self.query(sql + " ORDER BY id", params)]

    def outbox_for(self, alert_id: int) -> list[OutboxRow]:
        return [OutboxRow.from_row(r) for r in
                self.query("SELECT * FROM outbox WHERE alert_id = ? ORDER BY id", (alert_id,))]

    def mark_sent(self, row_ids: list[int], now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.transaction() as c:
            c.executemany("UPDATE outbox SET status = 'sent', sent_at = ?, last_error = NULL,"
                          " attempts = attempts + 1 WHERE id = ?", [(now, i) for i in row_ids])

    def mark_failed(self, row_ids: list[int], error: str, retry_at: float) -> None:
        with self.transaction() as c:
            c.executemany("UPDATE outbox SET attempts = attempts + 1, last_error = ?,"
                          " next_attempt = ? WHERE id = ?", [(error, retry_at, i) for i in row_ids])

    def add_digest(self, target_key: str, target_label: str, kind: str, payload: dict[str, Any],
                   not_before: float) -> int:
        with self.transaction() as c:
            cur = c.execute(
                "INSERT INTO outbox (alert_id, target_key, target_label, kind, payload, next_attempt,"
                " created) VALUES (NULL,?,?,?,?,?,?)",
                (target_key, target_label, kind, json.dumps(payload), not_before, time.time()))
            return int(cur.lastrowid or 0)

    # --- meta, devices, passthrough -----------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0]["value"] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as c:
            c.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                      " ON CONFLICT(key) DO UPDATE SET value = excluded.value", (key, value))

    def seen_device(self, address: str, child: str | None = None, label: str | None = None) -> None:
        """Remember a device (first and last seen), e.g. when the proxy first sees a client."""
        now = iso(utcnow())
        with self.transaction() as c:
            c.execute(
                "INSERT INTO devices (address, child, label, first_seen, last_seen)"
                " VALUES (?,?,?,?,?) ON CONFLICT(address) DO UPDATE SET last_seen = excluded.last_seen,"
                " child = coalesce(excluded.child, child), label = coalesce(excluded.label, label)",
                (address, child, label, now, now))

    def devices(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.query("SELECT * FROM devices ORDER BY address")]

    def record_passthrough(self, host: str, reason: str | None = None) -> None:
        """Count a host passed through uninspected (e.g. certificate pinning): host and reason only."""
        now = iso(utcnow())
        with self.transaction() as c:
            c.execute(
                "INSERT INTO passthrough (host, reason, first_seen, last_seen) VALUES (?,?,?,?)"
                " ON CONFLICT(host) DO UPDATE SET last_seen = excluded.last_seen,"
                " count = count + 1, reason = coalesce(excluded.reason, reason)",
                (host, reason, now, now))

    def passthrough_hosts(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.query("SELECT * FROM passthrough ORDER BY host")]
