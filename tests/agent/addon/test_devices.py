"""Devices: client address and MAC to the configured child; unknown devices watched by address."""

from __future__ import annotations

import pytest

from agent.addon.devices import (
    DeviceMap,
    normalize_address,
    parse_ip_neigh,
    parse_proc_net_arp,
)
from agent.config import Child

PROC_NET_ARP = """\
IP address       HW type     Flags       HW address            Mask     Device
192.168.1.20     0x1         0x2         AA:BB:CC:00:00:20     *        wlan0
192.168.1.21     0x1         0x0         00:00:00:00:00:00     *        wlan0
192.168.1.22     0x1         0x2         aa-bb-cc-00-00-22     *        wlan0
"""

IP_NEIGH = """\
192.168.1.30 dev wlan0 lladdr aa:bb:cc:00:00:30 REACHABLE
192.168.1.31 dev wlan0  FAILED
fe80::1 dev wlan0 lladdr aa:bb:cc:00:00:31 router STALE
"""


# --- Neighbour tables ---

def test_proc_net_arp_is_parsed_skipping_incomplete_entries():
    assert parse_proc_net_arp(PROC_NET_ARP) == {
        "192.168.1.20": "aa:bb:cc:00:00:20",
        "192.168.1.22": "aa:bb:cc:00:00:22",
    }


def test_ip_neigh_is_parsed_skipping_failed_entries():
    assert parse_ip_neigh(IP_NEIGH) == {
        "192.168.1.30": "aa:bb:cc:00:00:30",
        "fe80::1": "aa:bb:cc:00:00:31",
    }


@pytest.mark.parametrize(("address", "normal"), [
    ("::ffff:192.168.1.5", "192.168.1.5"),
    ("192.168.1.5", "192.168.1.5"),
    ("FE80::1", "fe80::1"),
    ("not-an-address", "not-an-address"),
])
def test_addresses_are_normalized(address, normal):
    assert normalize_address(address) == normal


# --- Lookup ---

CHILDREN = [
    Child(name="Ani", devices=["192.168.1.50", "AA:BB:CC:00:00:20"]),
    Child(name="Budi", devices=["wg:budi-phone"]),
]


@pytest.fixture
def devices():
    return DeviceMap(CHILDREN, neighbours=lambda: parse_proc_net_arp(PROC_NET_ARP))


@pytest.mark.parametrize(("address", "peer", "key", "child"), [
    # a configured address
    ("192.168.1.50", None, "192.168.1.50", "Ani"),
    ("::ffff:192.168.1.50", None, "192.168.1.50", "Ani"),
    # a configured MAC, whatever address DHCP gave it
    ("192.168.1.20", None, "aa:bb:cc:00:00:20", "Ani"),
    # a WireGuard peer by its key file name
    ("10.0.0.1", "budi-phone", "wg:budi-phone", "Budi"),
    # unknown devices are still watched: by MAC where visible, else by address
    ("192.168.1.22", None, "aa:bb:cc:00:00:22", None),
    ("192.168.1.99", None, "192.168.1.99", None),
    ("10.0.0.1", "stranger", "wg:stranger", None),
])
def test_lookup_maps_devices_to_children(devices, address, peer, key, child):
    device = devices.lookup(address, peer)
    assert (device.key, device.child) == (key, child)


def test_lookup_without_refresh_uses_only_the_cached_table():
    calls = []

    def neighbours():
        calls.append(1)
        return {"192.168.1.20": "aa:bb:cc:00:00:20"}

    devices = DeviceMap(CHILDREN, neighbours=neighbours)
    assert devices.lookup("192.168.1.20", refresh=False).child is None
    assert calls == []
    assert devices.lookup("192.168.1.20").child == "Ani"
    assert devices.lookup("192.168.1.20").child == "Ani"
    assert calls == [1]  # re-read at most once per TTL


def test_a_failing_neighbour_table_falls_back_to_addresses():
    def broken():
        raise OSError("no /proc here")

    devices = DeviceMap(CHILDREN, neighbours=broken)
    assert devices.lookup("192.168.1.50").child == "Ani"
    assert devices.lookup("192.168.1.20").key == "192.168.1.20"
