"""Pass-through: the built-in list, configured hosts, and hosts learned from refused certificates."""

from __future__ import annotations

import json
import stat

import pytest

from agent.addon.passthrough import PassthroughPolicy, classify_tls_failure

REFUSED = ("The client does not trust the proxy's certificate for app.example.com "
           "(sslv3 alert bad certificate)")
HUNG_UP = ("The client disconnected during the handshake. If this happens consistently for "
           "app.example.com, this may indicate that the client does not trust the proxy's certificate.")


# --- Built-in list and configured hosts ---

@pytest.mark.parametrize(("host", "passed"), [
    # end-to-end encrypted messengers
    ("g.whatsapp.net", True),
    ("mmg.whatsapp.net", True),
    ("chat.signal.org", True),
    ("149.154.167.51", False),  # a bare address is not a name on the list
    ("web.telegram.org", True),
    # banks and e-wallets
    ("ibank.klikbca.com", True),
    ("api.gopay.co.id", True),
    # phone makers' system services
    ("gateway.push.apple.com", True),
    ("android.clients.google.com", True),
    ("play.googleapis.com", True),
    ("account.samsung.com", True),
    ("api.io.mi.com", True),
    # ordinary sites are read
    ("chat.example.com", False),
    ("www.google.com", False),
    ("notwhatsapp.net.example.com", False),
    ("WhatsApp.NET.", True),  # case and a trailing dot do not matter
    (None, False),
])
def test_builtin_list(host, passed):
    assert (PassthroughPolicy().reason("dev", host) is not None) is passed


def test_configured_hosts_are_passed_through():
    policy = PassthroughPolicy([r"(^|\.)school\.example\.org$"])
    assert policy.reason("dev", "lms.school.example.org") == "configured pass-through host"
    assert policy.reason("dev", "chat.example.com") is None


def test_a_bad_configured_pattern_names_itself():
    with pytest.raises(ValueError, match=r"\(unclosed"):
        PassthroughPolicy(["(unclosed"])


# --- Learning from refused certificates ---

@pytest.mark.parametrize(("error", "kind"), [
    (REFUSED, "refused"),
    ("The client may not trust the proxy's certificate for x (unknown)", "maybe"),
    (HUNG_UP, "maybe"),
    ("connection closed early", None),
    ("Cannot parse ClientHello: ...", None),
    (None, None),
])
def test_tls_failures_are_classified(error, kind):
    assert classify_tls_failure(error) == kind


def test_a_refused_certificate_passes_the_host_through_for_that_device_only(tmp_path):
    policy = PassthroughPolicy(store_path=tmp_path / "pt.json")
    assert policy.record_failure("aa:bb:cc:00:00:01", "app.example.com", REFUSED) is True
    assert policy.reason("aa:bb:cc:00:00:01", "app.example.com") is not None
    assert policy.reason("192.168.1.9", "app.example.com") is None


def test_an_ambiguous_failure_must_repeat_before_the_host_is_passed_through(tmp_path):
    policy = PassthroughPolicy(store_path=tmp_path / "pt.json")
    assert policy.record_failure("dev", "app.example.com", HUNG_UP) is False
    assert policy.reason("dev", "app.example.com") is None
    assert policy.record_failure("dev", "app.example.com", HUNG_UP) is True
    assert policy.reason("dev", "app.example.com") is not None


def test_unrelated_failures_teach_nothing(tmp_path):
    policy = PassthroughPolicy(store_path=tmp_path / "pt.json")
    assert policy.record_failure("dev", "app.example.com", "connection closed early") is False
    assert not (tmp_path / "pt.json").exists()


def test_learned_hosts_survive_a_restart_in_an_owner_only_file(tmp_path):
    path = tmp_path / "data" / "pt.json"
    PassthroughPolicy(store_path=path).record_failure("dev", "App.Example.com", REFUSED)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["devices"] == {"dev": ["app.example.com"]}
    assert PassthroughPolicy(store_path=path).reason("dev", "app.example.com") is not None


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"devices": {"dev": "notalist"}}'])
def test_a_damaged_file_starts_afresh(tmp_path, content):
    path = tmp_path / "pt.json"
    path.write_text(content)
    policy = PassthroughPolicy(store_path=path)
    assert policy.reason("dev", "app.example.com") is None
    assert policy.record_failure("dev", "app.example.com", REFUSED) is True
