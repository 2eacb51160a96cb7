"""Which TLS connections jaga leaves alone, so that apps it cannot read keep working.

Three sources, checked in this order by the addon's `tls_clienthello` hook:

1. `BUILTIN_PASSTHROUGH`: hosts that are never intercepted, with the reason. End-to-end encrypted
   messengers (nothing readable inside, and they pin certificates), banks (pinned, and none of
   jaga's business), and the phone makers' system services (pinned; breaking them breaks updates,
   push notifications and the app stores).
2. The configuration's `proxy.passthrough_hosts` (regular expressions, like mitmproxy's
   `ignore_hosts`).
3. Learned hosts: when a device refuses the proxy's certificate for a host (a pinned app, or a
   phone without jaga's CA), that host is passed through for that device from then on. The list is
   kept per device in a small JSON file in the data directory (owner-only), across restarts.

Pure logic: no mitmproxy import.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from pathlib import Path

log = logging.getLogger(__name__)

# (regular expression on the host name, why it is passed through). Matched with re.search against
# the SNI or host, case-insensitively, so "(^|\.)whatsapp\.net$" covers every subdomain.
BUILTIN_PASSTHROUGH: tuple[tuple[str, str], ...] = (
    # End-to-end encrypted messengers: the content is unreadable even with interception.
    (r"(^|\.)(whatsapp\.(net|com)|wa\.me)$", "WhatsApp: end-to-end encrypted, pinned"),
    (r"(^|\.)signal\.org$", "Signal: end-to-end encrypted, pinned"),
    (r"(^|\.)(telegram\.org|t\.me|telegram\.me|telesco\.pe|tdesktop\.com)$",
     "Telegram: MTProto, its own encryption"),
    (r"(^|\.)(threema\.ch|wire\.com|wire\.link)$", "Threema / Wire: end-to-end encrypted"),
    (r"(^|\.)(line-apps\.com|line\.me|naver\.jp)$", "LINE: Letter Sealing, pinned"),
    (r"(^|\.)(edge-chat\.facebook\.com|edge-chat\.messenger\.com)$",
     "Messenger's encrypted chat channel: pinned"),
    # Banking and payments: pinned, and private.
    (r"(^|\.)(klikbca\.com|bca\.co\.id|bri\.co\.id|bankmandiri\.co\.id|bni\.co\.id|"
     r"btn\.co\.id|cimbniaga\.co\.id|danamon\.co\.id|permatabank\.com|ocbc\.id|jenius\.com|"
     r"bsi\.co\.id|jago\.com|seabank\.co\.id)$", "Indonesian banks: pinned, private"),
    (r"(^|\.)(gopay\.co\.id|gojek\.com|dana\.id|ovo\.id|linkaja\.id|shopeepay\.co\.id|"
     r"paypal\.com|wise\.com|visa\.com|mastercard\.com)$", "payments and e-wallets: pinned, private"),
    # Operating systems and the phone makers' system services: pinned; breaking them breaks
    # updates, push notifications and app stores.
    (r"(^|\.)(apple\.com|icloud\.com|icloud-content\.com|mzstatic\.com|apple-cloudkit\.com|"
     r"cdn-apple\.com|push\.apple\.com)$", "Apple system services: pinned"),
    (r"(^|\.)(googleapis\.com|gstatic\.com|gvt1\.com|gvt2\.com|android\.com|"
     r"play\.google\.com|android\.clients\.google\.com|mtalk\.google\.com|"
     r"googleusercontent\.com)$", "Google Play services and Android system: pinned"),
    (r"(^|\.)(samsung\.com|samsungcloud\.com|samsungapps\.com|samsungosp\.com|"
     r"samsungdm\.com)$", "Samsung system services: pinned"),
    (r"(^|\.)(xiaomi\.com|xiaomi\.net|miui\.com|mi\.com|intl\.miui\.com)$",
     "Xiaomi system services: pinned"),
    (r"(^|\.)(oppomobile\.com|heytapmobi\.com|coloros\.com|realme\.com|vivo\.com|"
     r"vivoglobal\.com|hicloud\.com|dbankcloud\.com|huawei\.com)$",
     "Oppo, Realme, Vivo, Huawei system services: pinned"),
    (r"(^|\.)(microsoft\.com|windowsupdate\.com|live\.com)$", "Microsoft system services"),
)

# How mitmproxy words a client's refusal of its certificate (proxy/layers/tls.py).
_REFUSED = ("does not trust the proxy's certificate",)
_MAYBE_REFUSED = ("may not trust the proxy's certificate",
                  "disconnected during the handshake")
MAYBE_REFUSALS_TO_LEARN = 2  # an ambiguous failure must repeat before the host is passed through
MAX_LEARNED_PER_DEVICE = 2000


def classify_tls_failure(error: str | None) -> str | None:
    """'refused' when the client plainly rejected the certificate, 'maybe' when it just hung up."""
    if not error:
        return None
    # The hang-up message also says "does not trust", so the ambiguous wordings are checked first.
    if any(s in error for s in _MAYBE_REFUSED):
        return "maybe"
    if any(s in error for s in _REFUSED):
        return "refused"
    return None


def compile_patterns(patterns: list[str]) -> list[re.Pattern[str]]:
    """Compiled host patterns; a bad one raises ValueError naming it."""
    compiled = []
    for p in patterns:
        try:
            compiled.append(re.compile(p, re.IGNORECASE))
        except re.error as e:
            raise ValueError(f"pass-through host pattern {p!r}: {e}") from e
    return compiled


class PassthroughPolicy:
    """Decides pass-through per (device, host); learns refusals and remembers them in a file."""

    def __init__(self, extra_patterns: list[str] | None = None, store_path: Path | None = None,
                 builtin: bool = True):
        self.builtin = compile_patterns([p for p, _ in BUILTIN_PASSTHROUGH]) if builtin else []
        self.extra = compile_patterns(extra_patterns or [])
        self.store_path = store_path
        self.learned: dict[str, set[str]] = {}
        self._maybe: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        if store_path is not None:
            self.learned = _load(store_path)

    def reason(self, device: str, host: str | None) -> str | None:
        """Why this connection is passed through, or None to intercept it."""
        if not host:
            return None
        host = host.lower().rstrip(".")
        for pattern, (_, why) in zip(self.builtin, BUILTIN_PASSTHROUGH, strict=False):
            if pattern.search(host):
                return why
        if any(p.search(host) for p in self.extra):
            return "configured pass-through host"
        if host in self.learned.get(device, ()):
            return "this device refused jaga's certificate for this host before"
        return None

    def record_failure(self, device: str, host: str | None, error: str | None) -> bool:
        """Note a failed client TLS handshake; True when the host is now passed through."""
        kind = classify_tls_failure(error)
        if not host or kind is None:
            return False
        host = host.lower().rstrip(".")
        with self._lock:
            if host in self.learned.get(device, ()):
                return False
            if kind == "maybe":
                count = self._maybe.get((device, host), 0) + 1
                if len(self._maybe) > 10_000:
                    self._maybe.clear()  # bounded memory: forget old half-evidence
                self._maybe[(device, host)] = count
                if count < MAYBE_REFUSALS_TO_LEARN:
                    return False
            hosts = self.learned.setdefault(device, set())
            if len(hosts) >= MAX_LEARNED_PER_DEVICE:
                return False
            hosts.add(host)
            self._maybe.pop((device, host), None)
            snapshot = {d: sorted(h) for d, h in self.learned.items()}
        if self.store_path is not None:
            _save(self.store_path, snapshot)
        log.info("passing %s through for %s from now on: it refused jaga's certificate", host, device)
        return True


def _load(path: Path) -> dict[str, set[str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        devices = data.get("devices", {}) if isinstance(data, dict) else {}
        return {str(d): {str(h) for h in hosts if isinstance(h, str)}
                for d, hosts in devices.items() if isinstance(hosts, list)}
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        log.warning("%s: cannot read learned pass-through hosts, starting afresh: %s", path, e)
        return {}


def _save(path: Path, snapshot: dict[str, list[str]]) -> None:
    """Write atomically, readable by the owner only (it says which apps a child uses)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"version": 1, "devices": snapshot}, f, indent=1, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as e:
        log.warning("%s: cannot save learned pass-through hosts: %s", path, e)
