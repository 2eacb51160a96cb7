"""`jaga run`: the proxy agent in the foreground (mitmproxy in-process, with jaga's addon).

See ../shared/spec/contracts.md. The data directory holds mitmproxy's confdir (DIR/mitmproxy, with
the CA the phone installs), the alert store (DIR/jaga.db), learned pass-through hosts and the
WireGuard key files; it is created owner-only (umask 077). Clients from public addresses are
refused (mitmproxy's block_global) unless the configuration allows them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
from pathlib import Path

from agent.config import Config, load_config
from agent.errors import UsageError

log = logging.getLogger(__name__)

MODES = ("regular", "transparent", "wireguard")
DEFAULT_WIREGUARD_PORT = 51820
STREAM_LARGE_BODIES = "1m"  # bodies above this are streamed through, never buffered or read


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "run", help="start the proxy agent (mitmproxy with jaga's addon) in the foreground",
        description="Start the proxy agent: the child's phone uses this machine as its proxy "
        "(regular), its gateway (transparent) or its VPN (wireguard); jaga reads chat and web "
        "text passing through, and alerts the parents. Stop it with Ctrl-C or SIGTERM.",
        epilog="The phone installs jaga's certificate from http://mitm.it (through jaga). "
        "jaga's own options for --set: jaga_read=false (read nothing), "
        "jaga_passthrough=REGEX (never intercept these hosts, besides the built-in list), "
        "jaga_max_body=BYTES (how much of a body is read). Transparent and WireGuard set-up: "
        "docs/transparent-mode.md; what jaga can and cannot read: docs/proxy.md.")
    p.add_argument("--config", metavar="FILE", help="configuration file (default: $JAGA_CONFIG "
                   "or ~/.config/jaga/jaga.yaml, if present)")
    p.add_argument("--data-dir", metavar="DIR", help="data directory (default: the configuration's "
                   "storage.data_dir, else $JAGA_DATA_DIR, else ~/.local/share/jaga)")
    p.add_argument("--listen-host", metavar="HOST", help="address to listen on (default: all)")
    p.add_argument("--listen-port", metavar="PORT", type=int,
                   help="port to listen on (default 8080; 51820 in wireguard mode)")
    p.add_argument("--mode", choices=MODES, help="how phones reach jaga (default: regular)")
    p.add_argument("--notify", metavar="APPRISE_URL", action="append", default=[],
                   help="where alerts go, any Apprise URL; may repeat")
    p.add_argument("--set", metavar="OPTION=VALUE", dest="setoptions", action="append", default=[],
                   help="set a mitmproxy option, as `mitmdump --set` does; may repeat")
    p.set_defaults(func=run)


def prepare(args: argparse.Namespace) -> tuple[Config, Path]:
    """The configuration with the command line's overrides, and the data directory, created."""
    config = load_config(args.config)
    if args.data_dir:
        config.storage.data_dir = args.data_dir
    config.storage.data_dir = str(config.data_dir)
    if args.mode:
        config.proxy.mode = args.mode
    if args.listen_host is not None:
        config.proxy.listen_host = args.listen_host
    if args.listen_port is not None:
        if not 0 < args.listen_port < 65536:
            raise UsageError(f"--listen-port {args.listen_port}: not a port number")
        config.proxy.listen_port = args.listen_port
    config.notify.urls = list(config.notify.urls) + list(args.notify)
    os.umask(0o077)  # every file jaga writes (store, keys, CA) is the owner's only
    data_dir = config.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(data_dir, 0o700)
    except OSError as e:
        raise UsageError(f"data directory {data_dir}: {e.strerror or e}") from None
    return config, data_dir


def run(args: argparse.Namespace) -> int:
    config, data_dir = prepare(args)
    return asyncio.run(_serve(args, config, data_dir))


def wireguard_peers(config: Config) -> list[str]:
    """One WireGuard key file per phone: the children's `wg:NAME` devices, else one 'phone'."""
    names = [d[3:] for c in config.children for d in c.devices if d.lower().startswith("wg:")]
    return names or ["phone"]


def wireguard_key_file(data_dir: Path, peer: str) -> Path:
    """DIR/wireguard/PEER.conf in mitmproxy's format, created owner-only if missing."""
    import mitmproxy_rs

    path = data_dir / "wireguard" / f"{peer}.conf"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        keys = {"server_key": mitmproxy_rs.wireguard.genkey(),
                "client_key": mitmproxy_rs.wireguard.genkey()}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(keys, f, indent=4)
    os.chmod(path, 0o600)
    return path


def wireguard_client_conf(key_file: Path, host: str, port: int) -> str:
    """The phone's WireGuard configuration (the same one mitmproxy logs)."""
    import mitmproxy_rs

    keys = json.loads(key_file.read_text())
    return "\n".join([
        "[Interface]", f"PrivateKey = {keys['client_key']}", "Address = 10.0.0.1/32",
        "DNS = 10.0.0.53", "", "[Peer]",
        f"PublicKey = {mitmproxy_rs.wireguard.pubkey(keys['server_key'])}",
        "AllowedIPs = 0.0.0.0/0", f"Endpoint = {host}:{port}"])


def proxy_modes(config: Config, data_dir: Path) -> tuple[list[str], dict[str, Path]]:
    """mitmproxy `mode` specs, and for WireGuard each peer's key file."""
    proxy = config.proxy
    if proxy.mode != "wireguard":
        return [proxy.mode], {}
    base = proxy.listen_port if proxy.listen_port != 8080 else DEFAULT_WIREGUARD_PORT
    keys = {peer: wireguard_key_file(data_dir, peer) for peer in wireguard_peers(config)}
    return [f"wireguard:{path}@{base + i}" for i, path in enumerate(keys.values())], keys


async def _serve(args: argparse.Namespace, config: Config, data_dir: Path) -> int:
    from mitmproxy import exceptions, options
    from mitmproxy.tools.dump import DumpMaster

    from agent.addon.addon import JagaAddon
    from agent.addon.engine import build_engine
    from agent.cli import banner

    # mitmproxy's own log handler prints to the terminal; the CLI's basic handler would repeat it.
    for handler in list(logging.getLogger().handlers):
        logging.getLogger().removeHandler(handler)
    opts = options.Options()
    master = DumpMaster(opts, with_termlog=True, with_dumper=False)
    addon = JagaAddon(config=config)
    modes, wg_keys = proxy_modes(config, data_dir)
    shown = banner.Banner(config, data_dir, None, modes, wg_keys)
    master.addons.add(addon, shown)
    try:
        opts.update(
            confdir=str(data_dir / "mitmproxy"),
            mode=modes,
            listen_host=config.proxy.listen_host,
            listen_port=None if config.proxy.mode == "wireguard" else config.proxy.listen_port,
            block_global=not config.proxy.allow_public_clients,
            stream_large_bodies=STREAM_LARGE_BODIES,
            termlog_verbosity="info" if getattr(args, "verbose", False) else "warn",
            jaga_data_dir=str(data_dir),
        )
        if args.setoptions:
            opts.set(*args.setoptions)
    except exceptions.OptionsError as e:
        raise UsageError(str(e)) from None
    # Loaded once the options are known to be good: the model takes a few seconds on a Pi.
    addon.engine = shown.engine = build_engine(config, data_dir, fault=opts.jaga_test_fault)

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, master.shutdown)
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    await master.run()
    return 0
