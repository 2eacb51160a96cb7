"""`jaga notify test`: a real test message to every target; each result shown masked."""

from __future__ import annotations

import json

import pytest

from agent.cli import main
from tests.receivers import JsonReceiver, SmtpSink, free_port

SECRET = "s3cretpassw0rd"


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_CONFIG", str(tmp_path / "absent.yaml"))


def jaga(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_every_target_receives_the_test_and_exit_is_0(capsys, tmp_path):
    with JsonReceiver() as receiver, SmtpSink() as sink:
        config = tmp_path / "jaga.yaml"
        config.write_text(f"version: 1\nalerts: {{language: en}}\nnotify:\n  urls: ['{sink.url()}']\n")
        status, out, _ = jaga(capsys, "notify", "test", "--config", str(config),
                              "--notify", receiver.url)
        assert sink.wait_for(1)
    assert status == 0 and "All 2 target(s) received the test" in out
    assert receiver.titles() == ["jaga test: notifications reach you"]
    assert sink.messages[0]["Subject"] == "jaga test: notifications reach you"


def test_failing_and_malformed_targets_are_shown_masked_with_the_reason(capsys):
    with JsonReceiver() as good, JsonReceiver(status=500) as broken:
        broken_url = f"json://user:{SECRET}@127.0.0.1:{broken.port}/"
        down_url = f"json://127.0.0.1:{free_port()}/"
        status, out, _ = jaga(capsys, "notify", "test", "--json", "--notify", good.url,
                              "--notify", broken_url, "--notify", down_url,
                              "--notify", f"nosuchscheme://user:{SECRET}@example.com/")
    assert SECRET not in out
    lines = [json.loads(line) for line in out.splitlines()]
    problems = [x["problem"] for x in lines if "problem" in x]
    results = {x["target"].split("?")[0]: x for x in lines if "target" in x}
    assert status == 1
    assert problems == ["--notify: nosuchscheme://*** is not an Apprise URL that this Apprise can "
                        "use (unknown scheme or bad form); it is skipped"]
    assert results[good.url]["ok"] is True
    broken_result = results[f"json://user:****@127.0.0.1:{broken.port}/"]
    assert broken_result["ok"] is False and "500" in broken_result["error"]
    assert results[down_url]["ok"] is False and "connection" in results[down_url]["error"].lower()
    assert len(good.received) == 1


def test_table_output_names_the_failing_target(capsys):
    with JsonReceiver(status=500) as broken:
        status, out, _ = jaga(capsys, "notify", "test", "--notify", broken.url)
    flat = " ".join(out.split())
    assert status == 1 and "FAILED" in flat and "error=500" in flat and "1 of 1 target(s) failed" in flat


@pytest.mark.parametrize("urls", [[], ["nosuchscheme://example.com/"]])
def test_no_usable_target_is_a_usage_error(capsys, tmp_path, monkeypatch, urls):
    monkeypatch.setenv("JAGA_CONFIG", str(tmp_path / "absent.yaml"))
    args = [a for u in urls for a in ("--notify", u)]
    status, _, err = jaga(capsys, "notify", "test", *args)
    assert status == 2 and "no usable notification target" in err


def test_routing_is_shown_per_target(capsys, tmp_path):
    with JsonReceiver() as receiver:
        config = tmp_path / "jaga.yaml"
        config.write_text("version: 1\nchildren: [{name: Rina}]\nnotify:\n  urls:\n"
                          f"    - {{url: '{receiver.url}', tags: [high, rina]}}\n")
        status, out, _ = jaga(capsys, "notify", "test", "--json", "--config", str(config))
    (result,) = [json.loads(line) for line in out.splitlines()]
    assert status == 0
    assert (result["min_severity"], result["children"], result["source"]) == (
        "high", ["rina"], "notify.urls[0]")
