"""The off-path worker: captured payloads in, chat messages to the tracker, alerts to the store.

The addon's hooks only copy what they saw into a `Capture` and `submit` it; everything that costs
time (decompressing, parsing, scoring, SQLite, notifications) happens here, on one thread, so the
proxy's event loop never waits for jaga. The queue is bounded: when jaga cannot keep up, new
captures are dropped and counted, and the traffic is never slowed.

The worker shares the interpreter lock with mitmproxy's event loop, so how it wakes matters more
than what it costs. `submit` only appends to a deque (no lock, no wake-up: waking the worker for
every capture made the two threads trade the lock on every request and cost the proxy about a
fifth of its throughput). The worker wakes every `interval` seconds instead, takes what piled up
in batches of `batch` captures, scores each batch's messages in one call (`feed_many`: the
model is vectorized) and sleeps for a moment between batches so the event loop gets the lock
back promptly.

Chat apps re-send the history on every poll, and echo a sent message back in the reply, so a text
already seen in a conversation (or just sent by the same device to the same host) is not fed again.
Memory is bounded: at most `max_conversations` conversations are remembered (least recently used
first out), each with at most `seen_per_conversation` texts.

Pure logic: no mitmproxy import. The engine (tracker, alert service) is passed in.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from agent.addon import extractors
from agent.addon.devices import Device, DeviceMap
from agent.messages import Alert, ChatMessage

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
MAX_CONVERSATIONS = 5_000
SEEN_PER_CONVERSATION = 500
RECENTLY_SENT = 200  # per device and host, to recognise a sent message echoed in a reply
WAKE_INTERVAL = 0.05  # seconds between the worker's rounds: alerts wait at most this long
BATCH = 32  # captures handled (and their messages scored) together


@dataclass(frozen=True, slots=True)
class Capture:
    """What a hook saw, copied off the flow: cheap to build, safe to use on another thread."""

    kind: str  # "http" (a request or response body), "search" (a URL), "websocket" (a text frame)
    direction: str  # "from_child" (sent) or "to_child" (received)
    client_address: str
    host: str
    url: str = ""
    content_type: str | None = None
    content_encoding: str | None = None
    body: bytes = b""  # raw, as on the wire, at most a few times extractors.MAX_BODY
    text: str = ""  # a WebSocket text frame
    wg_peer: str | None = None
    ts: datetime = field(default_factory=lambda: datetime.now(UTC))


def extract(capture: Capture) -> list[extractors.Extracted]:
    """The chat text of one capture (pure; bad input gives an empty list)."""
    if capture.kind == "search":
        found = extractors.search_query(capture.host, capture.url)
        return [found] if found else []
    if capture.kind == "websocket":
        return extractors.from_websocket_text(capture.text)
    if capture.kind == "http":
        body = extractors.decode_body(capture.body, capture.content_encoding)
        if not body:
            return []
        return extractors.from_http_body(body, capture.content_type)
    return []


def _fingerprint(text: str) -> bytes:
    return hashlib.blake2b(" ".join(text.lower().split()).encode("utf-8", "replace"),
                           digest_size=12).digest()


class _Bounded:
    """An insertion-ordered set of at most `limit` items, oldest first out."""

    def __init__(self, limit: int):
        self.items: OrderedDict[bytes, None] = OrderedDict()
        self.limit = limit

    def add(self, item: bytes) -> bool:
        """Add `item`; False if it was already there."""
        if item in self.items:
            self.items.move_to_end(item)
            return False
        self.items[item] = None
        if len(self.items) > self.limit:
            self.items.popitem(last=False)
        return True


class Deduplicator:
    """Remembers which texts each conversation has already had; bounded in memory."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS,
                 seen_per_conversation: int = SEEN_PER_CONVERSATION):
        self.conversations: OrderedDict[str, _Bounded] = OrderedDict()
        self.sent: OrderedDict[str, _Bounded] = OrderedDict()
        self.max_conversations = max_conversations
        self.seen_per_conversation = seen_per_conversation

    def _get(self, table: OrderedDict[str, _Bounded], key: str, limit: int) -> _Bounded:
        entry = table.get(key)
        if entry is None:
            entry = table[key] = _Bounded(limit)
            if len(table) > self.max_conversations:
                table.popitem(last=False)
        else:
            table.move_to_end(key)
        return entry

    def is_new(self, conversation: str, origin: str, text: str, direction: str) -> bool:
        """True the first time `text` appears in `conversation` (and is not an echo of a text the
        same device just sent to the same `origin`)."""
        fp = _fingerprint(text)
        recently_sent = self._get(self.sent, origin, RECENTLY_SENT)
        if direction == "to_child" and fp in recently_sent.items:
            return False
        if direction == "from_child":
            recently_sent.add(fp)
        return self._get(self.conversations, conversation, self.seen_per_conversation).add(fp)


def conversation_key(device: Device, host: str, thread: str | None) -> str:
    return f"{device.key}|{host.lower()}|{thread or '-'}"


class Pipeline:
    """A bounded queue and one worker thread from captures to the tracker and `record_alert`.

    `feed` takes one message; `feed_many`, where given, a list of them at once (the tracker's
    batch scoring). If a batch fails, its messages are fed one by one, so one bad message costs
    only itself.
    """

    def __init__(self, devices: DeviceMap,
                 feed: Callable[[ChatMessage], Alert | None] | None,
                 record_alert: Callable[[Alert], object] | None,
                 queue_size: int = QUEUE_SIZE,
                 dedup: Deduplicator | None = None,
                 feed_many: Callable[[list[ChatMessage]], list[Alert]] | None = None,
                 interval: float = WAKE_INTERVAL, batch: int = BATCH):
        self.devices = devices
        self.feed = feed
        self.feed_many = feed_many
        self.record_alert = record_alert
        self.dedup = dedup or Deduplicator()
        self.queue_size = queue_size
        # deque.append and popleft are atomic: the event loop appends, the worker pops.
        self.pending: deque[Capture] = deque()
        self.interval = interval
        self.batch = max(1, batch)
        self.stats = {"captured": 0, "dropped": 0, "messages": 0, "duplicates": 0,
                      "alerts": 0, "errors": 0}
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # Called on the proxy's event loop: must never block or raise.
    def submit(self, capture: Capture) -> bool:
        if len(self.pending) >= self.queue_size:
            self.stats["dropped"] += 1
            if self.stats["dropped"] in (1, 100, 10_000):
                log.warning("jaga is behind: %d captures dropped so far", self.stats["dropped"])
            return False
        self.pending.append(capture)
        self.stats["captured"] += 1
        return True

    def messages(self, capture: Capture) -> list[ChatMessage]:
        """The new chat messages of one capture (extraction, device lookup, de-duplication)."""
        found = extract(capture)
        if not found:
            return []
        device = self.devices.lookup(capture.client_address, capture.wg_peer)
        origin = f"{device.key}|{capture.host.lower()}"
        out = []
        for item in found:
            key = conversation_key(device, capture.host, item.thread)
            if not self.dedup.is_new(key, origin, item.text, capture.direction):
                self.stats["duplicates"] += 1
                continue
            out.append(ChatMessage(
                conversation=key, text=item.text, direction=capture.direction, ts=capture.ts,
                sender="child" if capture.direction == "from_child" else None,
                child=device.child, device=device.key, app=capture.host))
        return out

    def handle(self, capture: Capture) -> list[Alert]:
        """Process one capture now; returns the alerts it raised. Never raises."""
        return self.handle_many([capture])

    def handle_many(self, captures: Sequence[Capture]) -> list[Alert]:
        """Process captures now, scoring their messages together; the alerts raised. Never raises."""
        messages: list[ChatMessage] = []
        for capture in captures:
            try:
                messages += self.messages(capture)
            except Exception:
                self.stats["errors"] += 1
                log.exception("jaga could not read a capture from %s", capture.host)
        self.stats["messages"] += len(messages)
        if not messages or self.feed is None:
            return []
        alerts = self._feed(messages)
        self.stats["alerts"] += len(alerts)
        if self.record_alert is not None:
            for alert in alerts:
                try:
                    self.record_alert(alert)
                except Exception:
                    self.stats["errors"] += 1
                    log.exception("jaga could not store an alert for %s", alert.conversation)
        return alerts

    def _feed(self, messages: list[ChatMessage]) -> list[Alert]:
        if self.feed_many is not None and len(messages) > 1:
            try:
                return self.feed_many(messages)
            except Exception:
                log.debug("batch of %d messages failed; feeding them one by one", len(messages),
                          exc_info=True)
        alerts = []
        for message in messages:
            try:
                alert = self.feed(message)  # type: ignore[misc]
            except Exception:
                self.stats["errors"] += 1
                log.exception("jaga could not score a message in %s", message.conversation)
                continue
            if alert is not None:
                alerts.append(alert)
        return alerts

    def drain(self) -> int:
        """Handle everything pending now, batch by batch; the number of captures handled."""
        done = 0
        while self.pending:
            batch: list[Capture] = []
            while self.pending and len(batch) < self.batch:
                batch.append(self.pending.popleft())
            self.handle_many(batch)
            done += len(batch)
            # Let go of the interpreter lock between batches: the event loop takes it at once
            # instead of waiting out the switch interval.
            time.sleep(0.0005)
        return done

    def _run(self) -> None:
        while True:
            stopping = self._stopping.wait(self.interval)
            try:
                self.drain()
            except Exception:  # handle_many never raises; this guards the loop itself
                log.exception("jaga's pipeline worker failed a round")
            if stopping:
                return

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="jaga-pipeline", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Finish what is queued (within `timeout`) and stop the worker."""
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("jaga stopped with %d captures unprocessed", len(self.pending))
        self._thread = None
