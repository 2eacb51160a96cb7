"""Which child a connection belongs to: client address (and MAC, where visible) to configuration.

The configuration lists each child's devices as IP addresses, MAC addresses or WireGuard peer
names (`wg:NAME`). A MAC is found in the kernel's neighbour table (`/proc/net/arp`, else
`ip neigh`), which is only visible when the phone is on the same network segment as jaga: on a
Raspberry Pi gateway it is; behind another router it is not, and the address is used instead.
Unknown devices are still watched, under their address. Pure logic: no mitmproxy import.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from agent.config import Child

_MAC = re.compile(r"^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$", re.IGNORECASE)
NEIGHBOUR_TTL_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Device:
    key: str  # what conversations and learned pass-through hosts are keyed by
    address: str
    mac: str | None = None
    child: str | None = None  # the child's name, None for an unknown device


@functools.lru_cache(maxsize=1024)  # a home has a few devices; the worker asks per capture
def normalize_address(address: str) -> str:
    """'::ffff:192.168.1.5' -> '192.168.1.5'; anything unparsable is returned unchanged."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ip)


def normalize_mac(mac: str) -> str | None:
    mac = mac.strip().lower().replace("-", ":")
    return mac if _MAC.match(mac) and mac != "00:00:00:00:00:00" else None


def parse_proc_net_arp(text: str) -> dict[str, str]:
    """Address -> MAC from /proc/net/arp (header line, then `IP HWtype Flags HWaddr Mask Device`)."""
    table = {}
    for line in text.splitlines()[1:]:
        cols = line.split()
        if len(cols) >= 4 and (mac := normalize_mac(cols[3])):
            table[normalize_address(cols[0])] = mac
    return table


def parse_ip_neigh(text: str) -> dict[str, str]:
    """Address -> MAC from `ip neigh` (`192.168.1.5 dev wlan0 lladdr aa:bb:.. REACHABLE`)."""
    table = {}
    for line in text.splitlines():
        cols = line.split()
        if "lladdr" in cols:
            i = cols.index("lladdr")
            if i + 1 < len(cols) and (mac := normalize_mac(cols[i + 1])):
                table[normalize_address(cols[0])] = mac
    return table


def read_neighbours() -> dict[str, str]:
    """This machine's neighbour table; empty where it cannot be read."""
    try:
        table = parse_proc_net_arp(Path("/proc/net/arp").read_text())
    except OSError:
        table = {}
    ip = shutil.which("ip")
    if ip:  # IPv6 neighbours are only in `ip neigh`
        try:
            out = subprocess.run([ip, "neigh"], capture_output=True, text=True, timeout=2).stdout
            table = {**parse_ip_neigh(out), **table}
        except (OSError, subprocess.SubprocessError):
            pass
    return table


class DeviceMap:
    """Looks devices up by address; the neighbour table is re-read at most every 30 seconds."""

    def __init__(self, children: Iterable[Child],
                 neighbours: Callable[[], dict[str, str]] = read_neighbours,
                 ttl: float = NEIGHBOUR_TTL_SECONDS):
        self.by_address: dict[str, str] = {}
        self.by_mac: dict[str, str] = {}
        self.by_peer: dict[str, str] = {}
        for child in children:
            for spec in child.devices:
                spec = spec.strip()
                if spec.lower().startswith("wg:"):
                    self.by_peer[spec[3:]] = child.name
                elif mac := normalize_mac(spec):
                    self.by_mac[mac] = child.name
                else:
                    self.by_address[normalize_address(spec)] = child.name
        self._neighbours_source = neighbours
        self._neighbours: dict[str, str] = {}
        self._read_at = float("-inf")
        self._ttl = ttl
        self._lock = threading.Lock()

    def _mac_of(self, address: str, refresh: bool) -> str | None:
        with self._lock:
            now = time.monotonic()
            if refresh and now - self._read_at > self._ttl:
                self._read_at = now
                try:
                    self._neighbours = self._neighbours_source()
                except Exception:
                    self._neighbours = {}
            return self._neighbours.get(address)

    def lookup(self, address: str, wg_peer: str | None = None, refresh: bool = True) -> Device:
        """The device at `address` (or WireGuard peer `wg_peer`). With refresh=False only the
        cached neighbour table is used: cheap enough for the proxy's event loop."""
        address = normalize_address(address)
        if wg_peer is not None:
            return Device(f"wg:{wg_peer}", address, None, self.by_peer.get(wg_peer))
        mac = self._mac_of(address, refresh)
        if mac and mac in self.by_mac:
            return Device(mac, address, mac, self.by_mac[mac])
        if address in self.by_address:
            return Device(address, address, mac, self.by_address[address])
        # Unknown device: watched under its MAC where visible (stable across DHCP), else address.
        return Device(mac or address, address, mac, None)
