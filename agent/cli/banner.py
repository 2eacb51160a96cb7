"""The start-up banner of `jaga run`: what is running, where, and how a phone joins.

A tiny mitmproxy addon whose `running()` prints once the listening sockets are up, so that what it
says is true (a port already in use stops mitmproxy before the banner).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from agent.config import Config, NotifyTarget


def masked(url: str) -> str:
    """An Apprise URL with its secrets hidden, as Apprise itself prints it."""
    try:
        import apprise

        plugin = apprise.Apprise.instantiate(url)
        if plugin:
            return str(plugin.url(privacy=True)).split("?", 1)[0]
    except Exception:
        pass
    return url.split(":", 1)[0] + "://(hidden)"


def notify_lines(config: Config) -> list[str]:
    lines = []
    for target in config.notify.urls:
        url = target.url if isinstance(target, NotifyTarget) else target
        lines.append(masked(url))
    if config.notify.apprise_config:
        lines.append(f"Apprise config {config.notify.apprise_config}")
    return lines


def describe_detection(engine: Any) -> list[str]:
    """Lines for the banner: the rule packs with their rule counts, the model, the threshold."""
    info = engine.describe() if engine is not None else {}
    lines = []
    packs = info.get("packs") or []
    if packs:
        names = ", ".join(f"{p.get('id')} ({p.get('rules')})" for p in packs)
        lines.append(f"{info.get('rules', '?')} rules in {len(packs)} packs: {names}")
    model = info.get("model") or {}
    if model.get("loaded"):
        lines.append(f"model {model.get('name')} {model.get('version')}")
    elif model:
        lines.append(f"[bold yellow]model not loaded, rules only: {model.get('reason')}[/]")
    if "threshold" in info:
        lines.append(f"flags a message at score >= {info['threshold']}")
    for key in ("fault", "error"):
        if info.get(key):
            lines.append(f"[yellow]{key}: {info[key]}[/]")
    lines += [f"[yellow]{p}[/]" for p in info.get("problems") or []]
    return lines + [f"[yellow]{p}[/]" for p in getattr(engine, "problems", [])]


def qr_ascii(text: str) -> str:
    import qrcode

    qr = qrcode.QRCode(border=1)
    qr.add_data(text)
    out = io.StringIO()
    qr.print_ascii(out=out, invert=True)
    return out.getvalue()


class Banner:
    def __init__(self, config: Config, data_dir: Path, engine: Any, modes: list[str],
                 wg_keys: dict[str, Path], console: Console | None = None):
        self.config, self.data_dir, self.engine = config, data_dir, engine
        self.modes, self.wg_keys = modes, wg_keys
        self.console = console or Console(stderr=False, highlight=False)

    def running(self) -> None:
        from mitmproxy.net import local_ip

        proxy = self.config.proxy
        host = proxy.listen_host or local_ip.get_local_ip() or "this machine's address"
        ca = self.data_dir / "mitmproxy" / "mitmproxy-ca-cert.pem"
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        if proxy.mode == "wireguard":
            ports = ", ".join(m.rsplit("@", 1)[-1] for m in self.modes)
            table.add_row("Listening", f"{proxy.listen_host or '0.0.0.0'} UDP {ports}")
        else:
            table.add_row("Listening", f"{proxy.listen_host or '0.0.0.0'}:{proxy.listen_port}")
        table.add_row("Mode", proxy.mode + {
            "regular": f" (phone's Wi-Fi proxy: {host} port {proxy.listen_port})",
            "transparent": " (this machine is the phone's gateway: docs/transparent-mode.md)",
            "wireguard": " (the phone's WireGuard VPN; configurations below)"}[proxy.mode])
        table.add_row("CA certificate", f"{ca}\nOn the phone, through jaga, open http://mitm.it "
                      "and install the certificate for its system.")
        table.add_row("Data", str(self.data_dir))
        table.add_row("Detection", "\n".join(describe_detection(self.engine)) or "-")
        targets = notify_lines(self.config)
        table.add_row("Alerts go to", "\n".join(targets) if targets else
                      "[bold yellow]nowhere: no notify target, so parents will NOT be notified[/]; "
                      "alerts are stored and printed here (add --notify URL)")
        if not proxy.allow_public_clients:
            table.add_row("Clients", "home network only (public addresses refused)")
        self.console.print(Panel(table, title="jaga is running", subtitle="Ctrl-C stops it"))
        if self.wg_keys:
            from agent.cli.run import wireguard_client_conf

            for (peer, key_file), mode in zip(self.wg_keys.items(), self.modes, strict=False):
                port = int(mode.rsplit("@", 1)[1])
                conf = wireguard_client_conf(key_file, host, port)
                self.console.print(Panel(conf, title=f"WireGuard configuration for {peer} "
                                         f"(key file {key_file}, owner-only)"))
                self.console.print(qr_ascii(conf), markup=False, highlight=False)
