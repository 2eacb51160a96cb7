"""`jaga config check` and `jaga config example`: the shipped example passes; problems have lines."""

from __future__ import annotations

import re
from pathlib import Path

import apprise
import pytest
import yaml

from agent.cli import main
from agent.cli.config import EXAMPLE
from agent.config import Config, load_config, parse_config

REPO = Path(__file__).resolve().parents[3]


def jaga(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --- the shipped example ------------------------------------------------------------------


def test_the_example_passes_check(capsys):
    status, out, _ = jaga(capsys, "config", "check", str(REPO / "examples" / "jaga.yaml"))
    assert status == 0 and out.startswith("OK")


def test_config_example_prints_the_example_file(capsys):
    status, out, _ = jaga(capsys, "config", "example")
    assert status == 0 and out == EXAMPLE.read_text(encoding="utf-8")


def test_the_example_covers_every_section_and_setting():
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    text = EXAMPLE.read_text(encoding="utf-8")
    for section in ("children", "notify", "alerts", "detection", "proxy", "storage"):
        assert section in data, section
        value = getattr(Config(), section)
        if hasattr(value, "__dataclass_fields__"):
            for name in value.__dataclass_fields__:
                assert re.search(rf"^\s*#?\s*{name}:", text, re.M), f"{section}.{name} not shown"
    assert load_config(EXAMPLE).children[0].name == "Rina"


def test_the_commented_example_urls_are_valid_apprise_urls():
    urls = re.findall(r"^\s*#\s+(?:- |  url: |- url: )?([a-z]+://\S+)", EXAMPLE.read_text(), re.M)
    assert len(urls) >= 4
    for url in urls:
        assert apprise.Apprise.instantiate(url) is not None, url


def test_uncommenting_the_optional_alert_settings_still_passes(capsys, tmp_path):
    text = EXAMPLE.read_text()
    for key in ("quiet_hours", "daily_digest"):
        text = re.sub(rf"^(\s*)# ({key}:)", r"\1\2", text, flags=re.M)
    path = tmp_path / "jaga.yaml"
    path.write_text(text)
    assert parse_config(text).alerts.daily_digest == "19:00"
    assert jaga(capsys, "config", "check", str(path))[0] == 0


# --- problems: every one, with its line, exit 2 ------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("version: 1\nalerts:\n  privacy: everything\n", [":3: alerts.privacy"]),
        ("version: 1\nalerts:\n  languag: en\nproxy: {listen_port: high}\n",
         [":3: alerts.languag: unknown key", ":4: proxy.listen_port"]),
        ("version: 1\nalerts:\n  quiet_hours: {start: '25:00', end: '06:00'}\n  daily_digest: noon\n",
         [":3: alerts.quiet_hours.start", ":4: alerts.daily_digest"]),
        ("version: 1\nnotify:\n  urls:\n    - json://127.0.0.1:9/\n    - nosuchscheme://user:pw@x/\n",
         [":5: notify.urls[1]: nosuchscheme://*** is not"]),
        ("version: 1\nchildren: [{name: Rina}]\nnotify:\n  urls:\n    - {url: 'json://h/', tags: [papa]}\n",
         [":5: notify.urls[0]", "unknown tag(s) papa"]),
        ("version: 1\nnotify: {apprise_config: missing.yaml}\n",
         [":2: ", "Apprise config file not found"]),
        ("version: 1\nstorage: {retention_days: 0}\n", [":2: storage.retention_days"]),
        ("alerts: [\n", [":2: not valid YAML"]),
    ],
)
def test_check_reports_every_problem_with_its_line(capsys, tmp_path, content, expected):
    path = tmp_path / "jaga.yaml"
    path.write_text(content)
    status, out, _ = jaga(capsys, "config", "check", str(path))
    flat = " ".join(out.split())
    assert status == 2
    for piece in expected:
        assert piece in flat, (piece, flat)
    assert "pw@" not in flat


def test_check_of_a_missing_file_is_a_usage_error(capsys, tmp_path):
    status, out, _ = jaga(capsys, "config", "check", str(tmp_path / "nope.yaml"))
    assert status == 2 and "no such configuration file" in " ".join(out.split())
