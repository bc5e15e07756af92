# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Each port admits its own sources only, on both families (issue 15): etcd's client port the
etcd and Patroni nodes, its peer port the etcd members; PostgreSQL and Patroni's REST API the
Patroni nodes and the proxies; the pools the clients' networks (the cluster subnet by default);
the stats page the proxies; VRRP the other proxy; the admin sources every port but etcd's peer
port. What is checked is both the published fact common_firewall_rules and what the family's
task (ufw's from_ip, firewalld's rich rules) renders from it: no port is opened to everyone."""

from __future__ import annotations

import pytest

from render_firewall import applied
from render_platforms import (
    ADMIN_SOURCES,
    CLIENT_SOURCES,
    DB_HOSTS,
    LEGACY_SOURCE,
    PROXY_HOSTS,
    SOURCES_CLUSTER,
    SOURCES_PLATFORM,
    SUBNET,
    SUPPORTED,
    host_name,
)

MODULE = {"RedHat": "ansible.posix.firewalld", "Debian": "community.general.ufw"}

# Written out: the reference's members as host networks.
PG = {"10.0.1.11/32", "10.0.1.12/32", "10.0.1.13/32"}
HA = {"10.0.1.21/32", "10.0.1.22/32"}
PEER = {"ha1": {"10.0.1.22/32"}, "ha2": {"10.0.1.21/32"}}
ADMIN = {"192.0.2.5/32", "2001:db8:1::/64"}


def expected(short: str, admin: set = frozenset(), clients: set = frozenset({SUBNET})) -> dict:
    """(proto, port) -> the sources allowed, for a host of the reference's cluster."""
    if short in DB_HOSTS:
        return {("tcp", 2379): PG | admin, ("tcp", 2380): PG, ("tcp", 5432): PG | HA | admin, ("tcp", 8008): PG | HA | admin}
    return {("tcp", 5000): set(clients) | admin, ("tcp", 5001): set(clients) | admin, ("tcp", 7000): HA | admin,
            ("vrrp", None): PEER[short]}


def _by_port(rules: list[dict]) -> dict:
    table: dict = {}
    for r in rules:
        table.setdefault((r["proto"], r["port"]), set()).add(r["source"])
    return table


def _keys(rules: list[dict]) -> list[tuple]:
    return [(r["proto"], r["port"], r["source"]) for r in rules]


HOSTS = list(DB_HOSTS) + list(PROXY_HOSTS)
DEFAULT = [(p, s) for p in SUPPORTED for s in HOSTS]


@pytest.mark.parametrize(("platform", "short"), DEFAULT, ids=[f"{p}-{s}" for p, s in DEFAULT])
def test_each_port_admits_its_sources_only(render, platform, short):
    p = SUPPORTED[platform]
    name = host_name(p, short)
    published = render[name]["public"]["common_firewall_rules"]
    assert _by_port(published) == expected(short)
    assert len(set(_keys(published))) == len(published), "a rule is published twice"
    for r in published:
        assert r["family"] == "ipv4" and r["comment"] == f"pgha {r['name']}", r
    module, rules = applied(render, p, name)
    assert module == MODULE[p.os_family]
    assert _keys(rules) == _keys(published)


@pytest.mark.parametrize("short", HOSTS)
def test_admin_client_and_legacy_sources(render, short):
    """On Rocky 10 (firewalld rich rules, IPv6 sources in family ipv6 rules): the admin sources reach
    every port but etcd's peer port; the clients' networks replace the subnet on the pools; the
    deprecated common_firewall_source is the clients' source and opens nothing else."""
    p = SUPPORTED[SOURCES_PLATFORM]
    name = host_name(SOURCES_CLUSTER, short)
    admin = ADMIN if short in ("pg1", "ha1") else set()
    clients = {"ha1": set(CLIENT_SOURCES), "ha2": {LEGACY_SOURCE}}.get(short, {SUBNET})
    published = render[name]["public"]["common_firewall_rules"]
    assert _by_port(published) == expected(short, admin, clients)
    module, rules = applied(render, p, name)
    assert module == "ansible.posix.firewalld"
    assert _keys(rules) == _keys(published)
    for r in rules:
        assert r["family"] == ("ipv6" if ":" in r["source"] else "ipv4"), r


def test_the_admin_sources_are_the_inventory_s():
    """The literal table above is the inventory's value, as a network each."""
    assert {s if "/" in s else f"{s}/32" for s in ADMIN_SOURCES} == ADMIN
