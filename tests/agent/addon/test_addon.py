"""The addon inside mitmproxy's own test harness: options validated, hooks thin and fail-open."""

from __future__ import annotations

import json

import pytest
from mitmproxy import exceptions, websocket
from mitmproxy.test import taddons, tflow, tutils

from agent.addon.addon import WEBSOCKET_HISTORY, JagaAddon
from agent.addon.pipeline import Pipeline
from agent.config import Child, Config


@pytest.fixture
def addon(tmp_path):
    config = Config(children=[Child(name="Ani", devices=["192.168.1.50"])])
    a = JagaAddon(config=config)
    with taddons.context(a) as tctx:
        tctx.configure(a, jaga_data_dir=str(tmp_path))
        # The worker is not started: captures stay on the queue for the test to look at.
        a.pipeline = Pipeline(a.devices, None, None)
        yield a, tctx


def queued(a: JagaAddon) -> list:
    return list(a.pipeline.pending)


# --- Options ---

@pytest.mark.parametrize(("option", "value", "message"), [
    ("jaga_test_fault", "everything", "jaga_test_fault"),
    ("jaga_max_body", 10, "at least 1024"),
    ("jaga_passthrough", ["(unclosed"], "unclosed"),
    ("jaga_config", "/nonexistent/jaga.yaml", "no such configuration file"),
])
def test_bad_options_are_refused_with_a_clear_error(addon, option, value, message):
    a, tctx = addon
    with pytest.raises(exceptions.OptionsError, match=message):
        tctx.configure(a, **{option: value})


def test_the_configuration_handed_in_by_jaga_run_is_kept(addon):
    a, _ = addon
    assert a.devices.lookup("192.168.1.50", refresh=False).child == "Ani"


# --- HTTP hooks ---

def json_flow(body: dict, content_type: str = "application/json") -> object:
    f = tflow.tflow(resp=True)
    f.request.method = "POST"
    f.request.content = json.dumps(body).encode()
    f.request.headers["content-type"] = content_type
    f.response.content = json.dumps({"messages": [{"text": "balasan"}]}).encode()
    f.response.headers["content-type"] = "application/json"
    return f


def test_request_and_response_bodies_are_captured_with_their_direction(addon):
    a, _ = addon
    f = json_flow({"text": "halo kak"})
    a.request(f)
    a.response(f)
    assert [(c.kind, c.direction) for c in queued(a)] == [("http", "from_child"), ("http", "to_child")]
    assert json.loads(queued(a)[0].body) == {"text": "halo kak"}


@pytest.mark.parametrize(("content_type", "streamed"), [
    ("image/jpeg", True),
    ("video/mp4", True),
    ("text/html", True),
    ("application/json", False),
])
def test_responses_jaga_does_not_read_are_streamed(addon, content_type, streamed):
    a, _ = addon
    f = tflow.tflow(resp=True)
    f.response.headers["content-type"] = content_type
    a.responseheaders(f)
    assert bool(f.response.stream) is streamed


def test_media_uploads_are_streamed_and_not_captured(addon):
    a, _ = addon
    f = tflow.tflow(req=tutils.treq(content=b"\x89PNG" * 100))
    f.request.headers["content-type"] = "image/png"
    f.request.headers["content-length"] = "400"
    a.requestheaders(f)
    a.request(f)
    assert f.request.stream and queued(a) == []


def test_a_search_query_is_captured(addon):
    a, _ = addon
    f = tflow.tflow(req=tutils.treq(host="www.google.com", path=b"/search?q=pulsa+gratis",
                                    content=b""))
    a.request(f)
    assert [(c.kind, c.url) for c in queued(a)] == [
        ("search", "http://www.google.com:22/search?q=pulsa+gratis")]


def test_reading_switched_off_captures_nothing(addon):
    a, tctx = addon
    tctx.configure(a, jaga_read=False)
    a.request(json_flow({"text": "halo"}))
    assert queued(a) == []


def test_a_failing_hook_lets_the_flow_pass(addon, caplog):
    a, _ = addon

    class Broken:
        def submit(self, capture: object) -> bool:
            raise RuntimeError("queue exploded")

    a.pipeline = Broken()  # type: ignore[assignment]
    f = json_flow({"text": "halo"})
    a.request(f)  # must not raise
    assert f.request.content == b'{"text": "halo"}'
    assert "request hook failed" in caplog.text


# --- WebSocket ---

def test_websocket_text_frames_are_captured_both_ways_and_history_trimmed(addon):
    a, _ = addon
    f = tflow.twebsocketflow(messages=False)
    for i in range(WEBSOCKET_HISTORY + 10):
        f.websocket.messages.append(websocket.WebSocketMessage(
            1, from_client=i % 2 == 0, content=json.dumps({"text": f"pesan {i}"}).encode()))
        a.websocket_message(f)
    directions = {c.direction for c in queued(a)}
    assert directions == {"from_child", "to_child"} and len(queued(a)) == WEBSOCKET_HISTORY + 10
    assert len(f.websocket.messages) == WEBSOCKET_HISTORY


def test_binary_websocket_frames_are_not_captured(addon):
    a, _ = addon
    f = tflow.twebsocketflow(messages=False)
    f.websocket.messages.append(websocket.WebSocketMessage(2, True, b"\x00\x01binary"))
    a.websocket_message(f)
    assert queued(a) == []
