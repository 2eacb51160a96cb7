"""AlertService: stores each alert with its outbox rows and delivers them to parents, calmly.

The proxy addon and `jaga scan --notify` call `record(alert)`; it never raises into its caller.
An alert and one outbox row per target that wants it are written in ONE transaction; a worker
thread (`start()`/`stop()`), or `flush(timeout)` in the caller's thread, sends the due rows
with Apprise and marks a row sent only when Apprise reports success for that target. A failed
send is retried with exponential backoff (`RetryPolicy`), forever, without holding up other
targets. So an alert reaches each target at least once across outages, restarts and SIGKILL,
and an alert already marked sent is never sent again.

Calm: an alert is stored but not sent again when the same conversation already alerted on
each of its categories, at the same or a higher severity, within `alerts.realert_minutes`.
During `alerts.quiet_hours` the rows are held until the end and go out as one digest per
target; `alerts.daily_digest` ("HH:MM") adds a daily summary.

If the store cannot be written (locked, full or read-only disk), the alert is logged loudly and
kept in memory; the worker keeps trying to store it and meanwhile sends it straight from
memory, so a full disk does not silence a parent's phone. With no notification target at all,
alerts are printed to the console and the service says once that parents will not be notified.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from agent import alert_text
from agent.config import Config
from agent.delivery import Target, Targets, load_targets, send
from agent.messages import Alert
from agent.store import NewOutboxRow, OutboxRow, Store
from classifiers.categories import severity_rank

log = logging.getLogger(__name__)

MAX_UNSAVED = 10_000  # alerts kept in memory while the store cannot be written
PURGE_EVERY = 6 * 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """Delays between send attempts of one outbox row: base * factor**attempts, capped."""

    base: float = 5.0
    factor: float = 2.0
    max_delay: float = 3600.0
    poll: float = 1.0  # how often the worker looks for due rows when not woken
    send_timeout: float = 30.0  # one Apprise call, all its retries included

    def delay(self, attempts: int) -> float:
        return min(self.max_delay, self.base * self.factor ** max(0, attempts - 1))


@dataclass(eq=False)  # identity: two equal alerts are still two alerts
class _Unsaved:
    alert: Alert
    delivered: set[str] = field(default_factory=set)  # target keys already sent from memory
    attempts: int = 0
    next_send: float = 0.0


def parse_hhmm(value: str) -> tuple[int, int] | None:
    try:
        hh, mm = value.split(":")
        h, m = int(hh), int(mm)
    except (ValueError, AttributeError):
        return None
    return (h, m) if 0 <= h < 24 and 0 <= m < 60 else None


def is_urgent(config: Config, severity: str) -> bool:
    """Whether an alert of `severity` goes out at once even during quiet hours."""
    quiet = config.alerts.quiet_hours
    if quiet is None or quiet.urgent == "never":
        return False
    return severity_rank(severity) >= severity_rank(quiet.urgent)


def quiet_until(config: Config, now: float) -> float | None:
    """End of the quiet hours `now` falls in (unix time), or None outside quiet hours."""
    quiet = config.alerts.quiet_hours
    if quiet is None:
        return None
    start, end = parse_hhmm(quiet.start), parse_hhmm(quiet.end)
    if start is None or end is None or start == end:
        return None
    local = datetime.fromtimestamp(now).astimezone()
    minute = local.hour * 60 + local.minute
    s, e = start[0] * 60 + start[1], end[0] * 60 + end[1]
    inside = s <= minute < e if s < e else (minute >= s or minute < e)
    if not inside:
        return None
    end_dt = local.replace(hour=end[0], minute=end[1], second=0, microsecond=0)
    if end_dt <= local:
        end_dt += timedelta(days=1)
    return end_dt.timestamp()


class AlertService:
    """Stores alerts and delivers them. Thread-safe; `record` may be called from any thread."""

    def __init__(self, config: Config, data_dir: Path | str | None = None, *,
                 notify_urls: list[str] | tuple[str, ...] = (), apprise_config: str | None = None,
                 retry: RetryPolicy | None = None, clock: Callable[[], float] = time.time,
                 targets: Targets | None = None, console: object | None = None):
        self.config = config
        self.data_dir = Path(data_dir) if data_dir is not None else config.data_dir
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.targets = targets if targets is not None else load_targets(
            config, notify_urls, apprise_config)
        for problem in self.targets.problems:
            log.warning("notify: %s", problem)
        self._console = console
        self._store: Store | None = None
        self._store_error: str | None = None
        self._unsaved: deque[_Unsaved] = deque(maxlen=MAX_UNSAVED)
        self._lock = threading.Lock()  # guards _unsaved and _store opening
        self._send_lock = threading.Lock()  # one tick at a time: worker or flush
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned_no_target = False
        self._last_purge = 0.0
        self._open_store()

    # --- the store, opened lazily so a bad disk never stops the caller ------------------

    def _open_store(self) -> Store | None:
        with self._lock:
            if self._store is not None:
                return self._store
            try:
                self._store = Store.open(self.data_dir)
                self._store_error = None
                self._report_orphans(self._store)
            except Exception as e:
                if self._store_error != str(e):
                    log.error("ALERT STORE UNAVAILABLE (%s/jaga.db): %s. Alerts are kept in memory "
                              "and retried; fix the disk or the data directory.", self.data_dir, e)
                self._store_error = str(e)
            return self._store

    @property
    def store(self) -> Store | None:
        return self._open_store()

    def _report_orphans(self, store: Store) -> None:
        keys = self.targets.keys
        orphans = [r for r in store.pending() if r.target_key not in keys]
        if orphans:
            labels = sorted({r.target_label for r in orphans})
            log.warning("%d notification(s) wait for target(s) no longer configured: %s",
                        len(orphans), ", ".join(labels))

    # --- recording -----------------------------------------------------------------------

    def record(self, alert: Alert) -> int | None:
        """Store `alert` and queue its notifications; the alert's id, or None if kept in memory."""
        try:
            return self._record(alert)
        except Exception:
            log.exception("could not record an alert; keeping it in memory")
            self._keep(alert)
            return None
        finally:
            self._wake.set()

    def _record(self, alert: Alert) -> int | None:
        if not self.targets:
            self._say_no_target()
        store = self._open_store()
        if store is None:
            self._keep(alert)
            self._print(alert, None)
            return None
        try:
            suppressed = self._is_repeat(store, alert)
            rows = [] if suppressed else self._outbox_rows(alert)
            alert_id = store.add_alert(alert, rows, suppressed=suppressed, now=self.clock())
        except Exception as e:
            log.error("ALERT NOT STORED (%s): %s. Kept in memory and retried; notifications will "
                      "still be attempted.", store.path, e)
            self._keep(alert)
            self._print(alert, None)
            return None
        if suppressed:
            log.info("alert %d stored, not sent again: conversation %s already alerted on %s "
                     "within %d minutes", alert_id, alert.conversation, ", ".join(alert.categories),
                     self.config.alerts.realert_minutes)
        else:
            self._print(alert, alert_id)
        return alert_id

    def _keep(self, alert: Alert) -> None:
        with self._lock:
            if len(self._unsaved) == self._unsaved.maxlen:
                log.error("too many alerts kept in memory; the oldest is dropped")
            self._unsaved.append(_Unsaved(alert))

    @property
    def unsaved(self) -> list[Alert]:
        with self._lock:
            return [u.alert for u in self._unsaved]

    def _is_repeat(self, store: Store, alert: Alert) -> bool:
        minutes = self.config.alerts.realert_minutes
        if minutes <= 0 or not alert.categories:
            return False
        # A chat export's times may be naive: they are the box's local time, as in the store.
        ts = alert.ts.astimezone() if alert.ts else datetime.fromtimestamp(self.clock()).astimezone()
        recent = store.recent_in_conversation(alert.conversation, ts - timedelta(minutes=minutes))
        rank = severity_rank(alert.severity)
        return all(
            any(c in r.categories and severity_rank(r.severity) >= rank and r.ts <= ts for r in recent)
            for c in alert.categories)

    def _outbox_rows(self, alert: Alert) -> list[NewOutboxRow]:
        hold = None if is_urgent(self.config, alert.severity) else quiet_until(self.config, self.clock())
        return [NewOutboxRow(t.key, t.label, not_before=hold or 0.0, kind="held" if hold else "alert")
                for t in self.targets if t.wants(alert.severity, alert.child)]

    def _say_no_target(self) -> None:
        if self._warned_no_target:
            return
        self._warned_no_target = True
        problems = f" ({len(self.targets.problems)} configured target(s) could not be used)" \
            if self.targets.problems else ""
        self._console_print(
            "[bold red]No notification target is configured: parents will NOT be notified.[/]"
            f"{problems}\nAlerts are stored in {self.data_dir}/jaga.db and shown here. Add one with "
            "--notify APPRISE_URL or notify.urls in the configuration (see `jaga notify test`).")
        log.warning("no notification target: parents will not be notified")

    def _get_console(self):
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True)
        return self._console

    def _console_print(self, text: str) -> None:
        try:
            self._get_console().print(text)
        except Exception:  # a closed terminal must not stop the agent
            log.debug("console print failed", exc_info=True)

    def _print(self, alert: Alert, alert_id: int | None) -> None:
        """With no notification target, the console is where a parent sees the alert."""
        if self.targets:
            return
        try:
            from rich.panel import Panel

            a = self.config.alerts
            msg = alert_text.render(alert_text.stored_view(alert, alert_id or 0), a.language, a.privacy)
            style = {"high": "red", "medium": "yellow"}.get(alert.severity, "cyan")
            self._get_console().print(Panel(msg.body, title=msg.title, border_style=style,
                                            title_align="left"))
        except Exception:
            log.debug("console print failed", exc_info=True)

    # --- the worker ----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        if not self.targets:
            self._say_no_target()
        else:
            log.info("notifying %d target(s): %s", len(self.targets),
                     ", ".join(t.label for t in self.targets))
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="jaga-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the worker (a send in progress finishes); undelivered rows stay in the outbox."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        with self._lock:
            store, self._store = self._store, None
        if store is not None:
            store.close()
        if self._unsaved:
            log.error("%d alert(s) could not be stored and are lost on exit", len(self._unsaved))

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("delivery worker error; retrying")
            self._wake.wait(self.retry.poll)
            self._wake.clear()

    def tick(self) -> int:
        """One round of the worker's work; the number of messages sent."""
        # One round at a time: the worker and flush() in another thread must not both store an
        # in-memory alert, queue a daily digest or send a row.
        with self._send_lock:
            now = self.clock()
            self._save_unsaved(now)
            store = self._open_store()
            if store is None:
                return 0
            if now - self._last_purge > PURGE_EVERY:
                self._last_purge = now
                store.purge(timedelta(days=self.config.storage.retention_days), stored_too=True)
            self._queue_daily_digest(store, now)
            return self._deliver(store, store.due(self.targets.keys, now), now)

    def flush(self, timeout: float = 30.0) -> bool:
        """Send everything that is due now and wait; True when nothing due is left undelivered.

        Rows held for quiet hours are not due yet and do not count. Retries follow the policy.
        """
        deadline = time.monotonic() + timeout
        while True:
            self.tick()
            store = self.store
            now = self.clock()
            waiting = [] if store is None else [
                r for r in store.pending() if r.target_key in self.targets.keys and r.kind != "held"]
            with self._lock:
                unsaved = bool(self._unsaved)
            if not waiting and not unsaved:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            soonest = min((r.next_attempt for r in waiting), default=now + self.retry.poll)
            time.sleep(max(0.01, min(left, soonest - now, self.retry.poll)))

    def _deliver(self, store: Store, rows: list[OutboxRow], now: float) -> int:
        sent = 0
        held: dict[str, list[OutboxRow]] = {}
        for row in rows:
            if row.kind == "held":
                held.setdefault(row.target_key, []).append(row)
            else:
                sent += self._send_rows(store, [row], now)
        for group in held.values():
            sent += self._send_rows(store, group, now)
        return sent

    def _send_rows(self, store: Store, rows: list[OutboxRow], now: float) -> int:
        target = self.targets.by_key(rows[0].target_key)
        if target is None:
            return 0
        message = self._message_for(store, rows)
        if message is None:  # the alert was purged meanwhile
            store.mark_sent([r.id for r in rows], now)
            return 0
        result = send(target, message, self.retry.send_timeout)
        if result.ok:
            store.mark_sent([r.id for r in rows], self.clock())
            log.info("notified %s (%s)", target.label, message.title)
            return 1
        attempts = max(r.attempts for r in rows) + 1
        delay = self.retry.delay(attempts)
        store.mark_failed([r.id for r in rows], result.error or "failed", self.clock() + delay)
        log.warning("notify %s failed (attempt %d): %s; retrying in %.1fs", target.label, attempts,
                    result.error, delay)
        return 0

    def _message_for(self, store: Store, rows: list[OutboxRow]) -> alert_text.Rendered | None:
        a = self.config.alerts
        row = rows[0]
        if row.kind == "daily":
            since = datetime.fromisoformat(row.payload["since"])
            until = datetime.fromisoformat(row.payload["until"])
            target = self.targets.by_key(row.target_key)
            alerts = [x for x in store.list_alerts(since=since, until=until, include_suppressed=False)
                      if target is None or target.wants(x.severity, x.child)]
            return alert_text.render_digest(alerts, a.language, daily=True, since=since)
        alerts = [x for x in (store.get_alert(r.alert_id) for r in rows if r.alert_id) if x]
        if not alerts:
            return None
        if len(alerts) == 1:
            return alert_text.render(alerts[0], a.language, a.privacy)
        return alert_text.render_digest(alerts, a.language, since=min(x.ts for x in alerts))

    def _queue_daily_digest(self, store: Store, now: float) -> None:
        at = parse_hhmm(self.config.alerts.daily_digest or "")
        if at is None or not self.targets:
            return
        local = datetime.fromtimestamp(now).astimezone()
        today = local.date().isoformat()
        if (local.hour, local.minute) < at or store.get_meta("daily_digest_date") == today:
            return
        until = local.replace(hour=at[0], minute=at[1], second=0, microsecond=0)
        payload = {"since": (until - timedelta(days=1)).isoformat(), "until": until.isoformat()}
        for t in self.targets:
            store.add_digest(t.key, t.label, "daily", payload, now)
        store.set_meta("daily_digest_date", today)

    # --- alerts the store could not take -------------------------------------------------

    def _save_unsaved(self, now: float) -> None:
        with self._lock:
            pending = list(self._unsaved)
        if not pending:
            return
        store = self._open_store()
        saved = 0
        for item in pending:
            try:
                if store is None:
                    raise OSError(self._store_error or "store unavailable")
                rows = [r for r in self._outbox_rows(item.alert) if r.target_key not in item.delivered]
                store.add_alert(item.alert, rows, now=now)
            except Exception as e:
                log.error("ALERT STILL NOT STORED (%d in memory): %s", len(pending) - saved, e)
                self._send_from_memory(pending[saved:], now)
                return
            with self._lock, contextlib.suppress(ValueError):  # dropped meanwhile by maxlen
                self._unsaved.remove(item)
            saved += 1
        if saved:
            log.warning("stored %d alert(s) that had been kept in memory", saved)

    def _send_from_memory(self, items: list[_Unsaved], now: float) -> None:
        a = self.config.alerts
        for item in items:
            held = quiet_until(self.config, now) and not is_urgent(self.config, item.alert.severity)
            if item.next_send > now or held:
                continue
            wanted = [t for t in self.targets if t.wants(item.alert.severity, item.alert.child)
                      and t.key not in item.delivered]
            if not wanted:
                continue
            message = alert_text.render(alert_text.stored_view(item.alert), a.language, a.privacy)
            failed = False
            for target in wanted:
                if self._send_one(target, message):
                    item.delivered.add(target.key)
                else:
                    failed = True
            if failed:
                item.attempts += 1
                item.next_send = now + self.retry.delay(item.attempts)

    def _send_one(self, target: Target, message: alert_text.Rendered) -> bool:
        result = send(target, message, self.retry.send_timeout)
        if not result.ok:
            log.warning("notify %s failed (alert kept in memory): %s", target.label, result.error)
        return result.ok


def describe_targets(targets: Targets) -> list[str]:
    """One masked line per target, for banners: label, routing."""
    lines = []
    for t in targets:
        route = [f"severity >= {t.min_severity}"] if t.min_severity != "low" else []
        if t.children:
            route.append("children: " + ", ".join(sorted(t.children)))
        lines.append(f"{t.label}" + (f" ({'; '.join(route)})" if route else ""))
    return lines

