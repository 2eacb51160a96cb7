"""The off-path pipeline: captures to de-duplicated chat messages, alerts to the store; never raises."""

from __future__ import annotations

import gzip
import json
import threading

import pytest

from agent.addon.devices import DeviceMap
from agent.addon.pipeline import Capture, Deduplicator, Pipeline
from agent.config import Child
from agent.messages import Alert, ChatMessage

CHILDREN = [Child(name="Ani", devices=["192.168.1.50"])]


def http(body: object, direction: str = "from_child", host: str = "chat.example.com",
         address: str = "192.168.1.50", encoding: str | None = None) -> Capture:
    raw = json.dumps(body).encode()
    if encoding == "gzip":
        raw = gzip.compress(raw)
    return Capture("http", direction, client_address=address, host=host,
                   content_type="application/json", content_encoding=encoding, body=raw)


class Recorder:
    """A stand-in tracker: remembers what it was fed, alerts on a marker word."""

    def __init__(self, fail_on: str | None = None):
        self.fed: list[ChatMessage] = []
        self.fail_on = fail_on

    def __call__(self, message: ChatMessage) -> Alert | None:
        if self.fail_on and self.fail_on in message.text:
            raise RuntimeError("scorer exploded")
        self.fed.append(message)
        if "ALERT" in message.text:
            return Alert(conversation=message.conversation, message_index=len(self.fed) - 1,
                         severity="high", score=0.9, categories=("secrecy",), stages=(),
                         summary="test", evidence=())
        return None


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def pipeline(recorder):
    stored: list[Alert] = []
    p = Pipeline(DeviceMap(CHILDREN, neighbours=dict), recorder, stored.append)
    p.stored = stored  # type: ignore[attr-defined]
    return p


# --- Messages: direction, device, conversation key ---

def test_a_sent_message_becomes_a_from_child_message_of_the_known_child(pipeline, recorder):
    pipeline.handle(http({"thread_id": "t1", "text": "halo kak"}))
    (msg,) = recorder.fed
    assert (msg.text, msg.direction, msg.child, msg.device, msg.app) == (
        "halo kak", "from_child", "Ani", "192.168.1.50", "chat.example.com")
    assert msg.conversation == "192.168.1.50|chat.example.com|t1"
    assert msg.sender == "child"


def test_a_received_message_is_to_child(pipeline, recorder):
    pipeline.handle(http({"text": "mau pulsa gratis?"}, direction="to_child"))
    assert [(m.direction, m.sender) for m in recorder.fed] == [("to_child", None)]


def test_unknown_devices_are_watched_under_their_address(pipeline, recorder):
    pipeline.handle(http({"text": "siapa ini"}, address="192.168.1.77"))
    assert (recorder.fed[0].child, recorder.fed[0].device) == (None, "192.168.1.77")


@pytest.mark.parametrize(("capture", "expected"), [
    (Capture("search", "from_child", client_address="192.168.1.50", host="www.google.com",
             url="https://www.google.com/search?q=pulsa+gratis"), ["pulsa gratis"]),
    (Capture("websocket", "to_child", client_address="192.168.1.50", host="ws.example.com",
             text='{"text": "lewat websocket"}'), ["lewat websocket"]),
    (http({"text": "dikompres"}, encoding="gzip"), ["dikompres"]),
    (Capture("http", "from_child", client_address="192.168.1.50", host="x.example.com",
             content_type="application/json", body=b"\xff\xfe\x00 not json"), []),
    (Capture("unknown-kind", "from_child", client_address="192.168.1.50", host="x"), []),
])
def test_each_kind_of_capture_is_read(pipeline, recorder, capture, expected):
    pipeline.handle(capture)
    assert [m.text for m in recorder.fed] == expected


# --- De-duplication: history re-sent by chat apps, echoes of sent messages ---

def test_history_resent_on_every_poll_is_fed_once(pipeline, recorder):
    history = {"conversation_id": "c1", "messages": [{"text": "pesan satu"}, {"text": "pesan dua"}]}
    pipeline.handle(http(history, direction="to_child"))
    history["messages"].append({"text": "pesan tiga"})
    pipeline.handle(http(history, direction="to_child"))
    assert [m.text for m in recorder.fed] == ["pesan satu", "pesan dua", "pesan tiga"]
    assert pipeline.stats["duplicates"] == 2


def test_a_sent_message_echoed_in_the_reply_is_not_fed_again_as_received(pipeline, recorder):
    pipeline.handle(http({"text": "aku di rumah"}))
    pipeline.handle(http({"ok": True, "message": {"thread": "t9", "text": "aku di rumah"}},
                         direction="to_child"))
    assert [(m.text, m.direction) for m in recorder.fed] == [("aku di rumah", "from_child")]


def test_the_same_text_in_another_conversation_is_fed(pipeline, recorder):
    pipeline.handle(http({"thread": "a", "text": "jangan bilang siapa-siapa"}, direction="to_child"))
    pipeline.handle(http({"thread": "b", "text": "jangan bilang siapa-siapa"}, direction="to_child"))
    assert len(recorder.fed) == 2


def test_dedup_memory_is_bounded():
    dedup = Deduplicator(max_conversations=3, seen_per_conversation=2)
    for i in range(10):
        dedup.is_new(f"conv{i}", f"origin{i}", "teks sama", "to_child")
    assert len(dedup.conversations) == 3 and len(dedup.sent) == 3
    for text in ("satu", "dua", "tiga"):
        dedup.is_new("c", "o", text, "to_child")
    assert len(dedup.conversations["c"].items) == 2
    assert dedup.is_new("c", "o", "satu", "to_child") is True  # forgotten, oldest first


# --- Alerts and failures ---

def test_alerts_are_handed_to_the_store(pipeline):
    alerts = pipeline.handle(http({"text": "ALERT ini rahasia"}, direction="to_child"))
    assert len(alerts) == 1 and pipeline.stored == alerts
    assert pipeline.stats["alerts"] == 1


def test_a_failing_scorer_is_counted_and_the_next_message_still_fed():
    recorder = Recorder(fail_on="boom")
    pipeline = Pipeline(DeviceMap(CHILDREN, neighbours=dict), recorder, None)
    assert pipeline.handle(http({"messages": [{"text": "boom satu"}, {"text": "aman dua"}]})) == []
    assert [m.text for m in recorder.fed] == ["aman dua"]
    assert pipeline.stats["errors"] == 1


def test_a_failing_store_does_not_stop_the_pipeline(recorder):
    def broken_store(alert: Alert) -> None:
        raise OSError("disk full")

    pipeline = Pipeline(DeviceMap(CHILDREN, neighbours=dict), recorder, broken_store)
    assert len(pipeline.handle(http({"text": "ALERT satu"}))) == 1
    assert pipeline.stats["errors"] == 1


def test_without_an_engine_messages_are_only_counted():
    pipeline = Pipeline(DeviceMap([], neighbours=dict), None, None)
    pipeline.handle(http({"text": "tidak ada skor"}))
    assert pipeline.stats["messages"] == 1


# --- The worker thread and its bounded queue ---

def test_the_worker_processes_submitted_captures_and_stops_cleanly(pipeline, recorder):
    pipeline.start()
    for i in range(20):
        assert pipeline.submit(http({"text": f"pesan ke {i}"}))
    pipeline.stop(timeout=10)
    assert len(recorder.fed) == 20
    assert pipeline.stats["captured"] == 20


def test_a_full_queue_drops_new_captures_instead_of_blocking(recorder):
    gate = threading.Event()

    def slow(message: ChatMessage) -> None:
        gate.wait(10)

    pipeline = Pipeline(DeviceMap([], neighbours=dict), slow, None, queue_size=2)
    pipeline.start()
    results = [pipeline.submit(http({"text": f"pesan ke {i}"})) for i in range(10)]
    assert results.count(False) >= 7
    assert pipeline.stats["dropped"] == results.count(False)
    gate.set()
    pipeline.stop(timeout=10)


# --- Batches: one scoring call for many messages, one by one when a batch fails ---

class BatchRecorder(Recorder):
    """A stand-in tracker with `feed_many`: remembers the size of each batch it was given."""

    def __init__(self, fail_batches: bool = False, fail_on: str | None = None):
        super().__init__(fail_on=fail_on)
        self.batches: list[int] = []
        self.fail_batches = fail_batches

    def feed_many(self, messages: list[ChatMessage]) -> list[Alert]:
        if self.fail_batches:
            raise RuntimeError("batch scorer exploded")
        self.batches.append(len(messages))
        return [a for a in map(self, messages) if a is not None]


def test_the_messages_of_a_batch_of_captures_are_scored_in_one_call():
    recorder = BatchRecorder()
    pipeline = Pipeline(DeviceMap(CHILDREN, neighbours=dict), recorder, None,
                        feed_many=recorder.feed_many)
    alerts = pipeline.handle_many([http({"text": "halo satu"}), http({"text": "ALERT dua"}),
                                   http({"text": "halo tiga"}, direction="to_child")])
    assert recorder.batches == [3]
    assert [m.text for m in recorder.fed] == ["halo satu", "ALERT dua", "halo tiga"]
    assert len(alerts) == 1 and pipeline.stats["alerts"] == 1


def test_a_failing_batch_is_fed_one_by_one_so_only_the_bad_message_is_lost():
    recorder = BatchRecorder(fail_batches=True, fail_on="boom")
    stored: list[Alert] = []
    pipeline = Pipeline(DeviceMap(CHILDREN, neighbours=dict), recorder, stored.append,
                        feed_many=recorder.feed_many)
    alerts = pipeline.handle_many([http({"text": "boom satu"}), http({"text": "ALERT dua"})])
    assert [m.text for m in recorder.fed] == ["ALERT dua"]
    assert stored == alerts and len(alerts) == 1
    assert pipeline.stats["errors"] == 1


def test_the_worker_drains_everything_pending_when_stopped(recorder):
    pipeline = Pipeline(DeviceMap(CHILDREN, neighbours=dict), recorder, None, interval=3600, batch=4)
    pipeline.start()
    for i in range(10):
        pipeline.submit(http({"text": f"pesan ke {i}"}))
    pipeline.stop(timeout=10)
    assert [m.text for m in recorder.fed] == [f"pesan ke {i}" for i in range(10)]
    assert not pipeline.pending
