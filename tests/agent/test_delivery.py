"""agent/delivery.py: targets from every source, routing by tags, real Apprise sends."""

from __future__ import annotations

import pytest

from agent.alert_text import render, render_test, stored_view
from agent.config import Child, Config, NotifySection, NotifyTarget, parse_config
from agent.delivery import load_targets, mask_unparsed, send
from tests.alert_samples import make_alert
from tests.receivers import JsonReceiver, SmtpSink, free_port

SECRET = "s3cretpassw0rd"


def config_with(*urls, apprise_config=None, children=("Rina", "Budi")) -> Config:
    return Config(children=[Child(name=c) for c in children],
                  notify=NotifySection(urls=list(urls), apprise_config=apprise_config))


# --- where targets come from -----------------------------------------------------------------


def test_targets_come_from_config_urls_command_line_and_apprise_config(tmp_path):
    apprise_yaml = tmp_path / "apprise.yaml"
    apprise_yaml.write_text("urls:\n  - json://127.0.0.1:9003/:\n      tag: high, rina\n")
    config = config_with("json://127.0.0.1:9001/", NotifyTarget(url="json://127.0.0.1:9002/",
                                                                  min_severity="medium"),
                         apprise_config=str(apprise_yaml))
    targets = load_targets(config, ["json://127.0.0.1:9004/"])
    assert targets.problems == []
    assert [(t.source, t.min_severity, sorted(t.children)) for t in targets] == [
        ("notify.urls[0]", "low", []),
        ("notify.urls[1]", "medium", []),
        ("--notify", "low", []),
        (str(apprise_yaml), "high", ["rina"]),
    ]


def test_apprise_text_config_is_read_as_it_is(tmp_path):
    text = tmp_path / "apprise.txt"
    text.write_text("medium=json://127.0.0.1:9005/\n")
    (target,) = load_targets(config_with(apprise_config=str(text)))
    assert target.min_severity == "medium"


def test_targets_are_only_shown_masked(tmp_path):
    targets = load_targets(config_with(f"json://user:{SECRET}@127.0.0.1:9001/",
                                       f"mailto://user:{SECRET}@mail.example.com?to=a@example.com"))
    assert len(targets) == 2
    for t in targets:
        assert SECRET not in t.label and SECRET not in str(t) and SECRET not in t.key


# --- bad targets: a clear, masked message; the others still load -----------------------------


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (f"nosuchscheme://user:{SECRET}@example.com/", "notify.urls[0]: nosuchscheme://*** is not"),
        (f"tgram://{SECRET}", "notify.urls[0]: tgram://*** is not an Apprise URL"),
        ("not a url at all", "notify.urls[0]: *** is not"),
    ],
)
def test_a_malformed_url_is_named_masked_and_skipped(url, problem):
    targets = load_targets(config_with(url, "json://127.0.0.1:9001/"))
    assert len(targets) == 1
    (message,) = targets.problems
    assert message.startswith(problem)
    assert SECRET not in message


def test_an_unknown_tag_is_named_and_does_not_silence_the_target():
    targets = load_targets(config_with(NotifyTarget(url="json://127.0.0.1:9001/", tags=["papa"])))
    (target,) = targets
    assert "unknown tag(s) papa" in targets.problems[0] and "127.0.0.1:9001" in targets.problems[0]
    assert target.wants("low", "Rina")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "Apprise config file not found"),
        ("urls:\n  - : [\n", "Apprise"),
        ("urls:\n  - nosuchscheme://example.com\n", "no usable notification URL"),
    ],
)
def test_a_bad_apprise_config_file_is_named(tmp_path, content, problem):
    path = tmp_path / "apprise.yaml"
    if content is not None:
        path.write_text(content)
    targets = load_targets(config_with("json://127.0.0.1:9001/", apprise_config=str(path)))
    assert len(targets) == 1
    assert any(str(path) in p and problem in p for p in targets.problems), targets.problems


def test_the_same_target_twice_is_sent_once():
    targets = load_targets(config_with("json://127.0.0.1:9001/"), ["json://127.0.0.1:9001/"])
    assert len(targets) == 1 and "configured twice" in targets.problems[0]


def test_mask_unparsed_keeps_only_the_scheme():
    assert mask_unparsed(f"discord://{SECRET}/x") == "discord://***"


# --- routing by severity and child -------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "severity", "child", "wanted"),
    [
        # no routing: everything
        (NotifyTarget(url="json://h/"), "low", "Rina", True),
        # min_severity and severity tags: that severity or above
        (NotifyTarget(url="json://h/", min_severity="high"), "medium", "Rina", False),
        (NotifyTarget(url="json://h/", min_severity="high"), "high", "Rina", True),
        (NotifyTarget(url="json://h/", tags=["medium"]), "low", "Rina", False),
        (NotifyTarget(url="json://h/", tags=["medium"]), "high", None, True),
        # the stricter of tag and min_severity wins
        (NotifyTarget(url="json://h/", tags=["high"], min_severity="medium"), "medium", None, False),
        # children: by list or by tag, any case
        (NotifyTarget(url="json://h/", children=["Budi"]), "high", "Rina", False),
        (NotifyTarget(url="json://h/", children=["Budi"]), "high", "budi", True),
        (NotifyTarget(url="json://h/", tags=["rina"]), "low", "Rina", True),
        (NotifyTarget(url="json://h/", tags=["Rina"]), "low", "Budi", False),
        (NotifyTarget(url="json://h/", tags=["rina"]), "low", None, False),
        # "all" is everything
        (NotifyTarget(url="json://h/", tags=["all"]), "low", None, True),
    ],
)
def test_routing_by_severity_and_child(target, severity, child, wanted):
    (loaded,) = load_targets(config_with(target))
    assert loaded.wants(severity, child) is wanted


def test_routing_tags_work_the_same_from_yaml():
    config = parse_config("version: 1\nchildren: [{name: Rina}]\nnotify:\n  urls:\n"
                          "    - {url: 'json://127.0.0.1:9001/', tags: [high, rina]}\n")
    (target,) = load_targets(config)
    assert (target.wants("high", "Rina"), target.wants("medium", "Rina"),
            target.wants("high", "Budi")) == (True, False, False)


# --- real sends ----------------------------------------------------------------------------------

MESSAGE = render(stored_view(make_alert(), 1), "en", "snippet")


def test_send_to_a_json_receiver_succeeds_with_title_and_body():
    with JsonReceiver() as receiver:
        (target,) = load_targets(config_with(receiver.url))
        assert send(target, MESSAGE).ok
    (got,) = receiver.received
    assert got["title"] == MESSAGE.title and got["message"] == MESSAGE.body
    assert got["type"] == "failure"


def test_send_to_a_plain_smtp_server_delivers_an_email():
    with SmtpSink() as sink:
        (target,) = load_targets(config_with(sink.url()))
        result = send(target, render_test("id"))
        assert result.ok, result.error
        assert sink.wait_for(1)
    assert sink.messages[0]["Subject"] == render_test("id").title
    assert "Ini pesan uji dari jaga" in sink.bodies()[0]


def test_a_target_answering_500_fails_with_the_reason():
    with JsonReceiver(status=500) as receiver:
        (target,) = load_targets(config_with(receiver.url))
        result = send(target, MESSAGE)
    assert not result.ok and "500" in (result.error or "")


def test_a_target_that_is_down_fails_with_the_reason():
    (target,) = load_targets(config_with(f"json://127.0.0.1:{free_port()}/"))
    result = send(target, MESSAGE)
    assert not result.ok and "connection" in (result.error or "").lower()
