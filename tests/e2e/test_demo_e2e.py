"""`jaga demo` from a clean environment: the scripted chat goes through a real `jaga run` and the
parent's alert is shown."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(("language", "expected"), [
    ("id", "pulsa"),
    ("en", "secret"),
])
def test_demo_shows_the_parents_alert_and_exits_0(tmp_path, language, expected):
    env = {**os.environ, "JAGA_CONFIG": str(tmp_path / "none.yaml"), "COLUMNS": "200"}
    result = subprocess.run([sys.executable, "-m", "agent", "demo", "--language", language],
                            capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "what a parent receives" in result.stdout
    assert "Ani" in result.stdout and expected in result.stdout.lower()
