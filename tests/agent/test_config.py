"""agent/config.py: strict validation with line numbers, defaults without a file."""

from __future__ import annotations

import pytest

from agent.config import Config, ConfigError, NotifyTarget, load_config, parse_config

# --- defaults: no file is needed --------------------------------------------------------


def test_no_file_gives_every_default(tmp_path, monkeypatch):
    monkeypatch.setenv("JAGA_CONFIG", str(tmp_path / "absent.yaml"))
    config = load_config(None)
    assert config == Config()
    assert config.proxy.listen_port == 8080
    assert config.alerts.privacy == "snippet"
    assert config.storage.retention_days == 30


def test_empty_file_gives_defaults():
    assert parse_config("") == Config()


# --- valid files ------------------------------------------------------------------------


def test_full_file_is_read_into_sections():
    config = parse_config(
        """
version: 1
children:
  - name: Rina
    age: 12
    devices: [192.168.1.20, "aa:bb:cc:dd:ee:ff"]
notify:
  urls:
    - json://127.0.0.1:9999
    - url: mailto://parent@example.com
      min_severity: high
      tags: [mama]
alerts:
  language: en
  privacy: none
  quiet_hours: {start: "21:00", end: "06:00"}
detection:
  threshold: 1
proxy: {listen_port: 8081, mode: transparent}
"""
    )
    assert config.children[0].name == "Rina"
    assert config.children[0].devices == ["192.168.1.20", "aa:bb:cc:dd:ee:ff"]
    assert config.notify.urls[0] == "json://127.0.0.1:9999"
    assert config.notify.urls[1] == NotifyTarget(
        url="mailto://parent@example.com", tags=["mama"], min_severity="high"
    )
    assert config.alerts.quiet_hours is not None and config.alerts.quiet_hours.start == "21:00"
    assert config.detection.threshold == 1.0 and isinstance(config.detection.threshold, float)
    assert config.proxy.mode == "transparent"


# --- errors: each names its line, all reported together ---------------------------------

BAD = """version: 1
children:
  - age: x
alerts:
  languag: en
  privacy: all
proxy: {listen_port: "80"}
"""


@pytest.mark.parametrize(
    "expected",
    [
        "bad.yaml:3: children[0].age: expected a whole number, got 'x'",
        "bad.yaml:3: children[0]: missing required key 'name'",
        "bad.yaml:5: alerts.languag: unknown key",
        "bad.yaml:6: alerts.privacy: 'all' is not one of 'full', 'snippet', 'none'",
        "bad.yaml:7: proxy.listen_port: expected a whole number, got '80'",
    ],
)
def test_every_problem_is_reported_with_its_line(expected):
    with pytest.raises(ConfigError) as e:
        parse_config(BAD, "bad.yaml")
    assert any(p.startswith(expected) for p in e.value.problems), e.value.problems
    assert len(e.value.problems) == 5


@pytest.mark.parametrize(
    "source, expected",
    [
        ("version: 2\n", "unsupported version 2"),
        ("children: []\n", "missing 'version: 1'"),
        ("version: 1\nalerts: [1, 2\n", "not valid YAML"),
        ("version: 1\nproxy: 3\n", "proxy: expected a mapping"),
        ("version: 1\nversion: 1\n", "given twice"),
        ("version: 1\n!!python/object:os.system {}\n", "not valid YAML"),
    ],
)
def test_malformed_files_are_rejected_clearly(source, expected):
    with pytest.raises(ConfigError) as e:
        parse_config(source, "c.yaml")
    assert expected in str(e.value)


def test_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "nope.yaml")
