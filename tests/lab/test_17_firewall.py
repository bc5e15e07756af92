"""The host firewall runs in the lab (ufw inside the containers): a machine on the cluster's
network that is not in the inventory reaches the clients' ports on the proxies and nothing on
the database nodes; a member reaches what the cluster needs."""

from __future__ import annotations

import json

import pytest

OUTSIDER = "pgha-outsider"
OUTSIDER_ADDRESS = "172.28.0.50"


@pytest.fixture(scope="module")
def outsider(lab):
    """A container on the lab network, at an address no host of the inventory has."""
    assert OUTSIDER_ADDRESS not in lab.addresses.values()
    image = lab.docker("inspect", "-f", "{{.Config.Image}}", lab.postgres[0]).stdout.strip()
    network = list(json.loads(lab.docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", lab.postgres[0]).stdout))[0]
    if lab.docker("ps", "-aq", "-f", f"name=^{OUTSIDER}$").stdout.strip():
        lab.docker("rm", "-f", OUTSIDER)
    lab.docker("run", "-d", "--name", OUTSIDER, "--network", network, "--ip", OUTSIDER_ADDRESS, image, "sleep", "infinity")
    yield OUTSIDER
    lab.docker("rm", "-f", OUTSIDER)


def test_the_firewall_is_on_everywhere(lab):
    for host in lab.postgres + lab.proxies:
        out = lab.sh(host, "ufw", "status").stdout
        assert out.startswith("Status: active"), f"{host}: {out}"


def test_an_outsider_reaches_nothing_on_the_database_nodes(lab, outsider):
    for host in lab.postgres:
        for port in (lab.postgresql_port, lab.restapi_port, lab.etcd_client_port, lab.etcd_peer_port):
            assert not lab.tcp_open(outsider, lab.addresses[host], port), f"{outsider} reached {host}:{port}"


def test_an_outsider_reaches_the_clients_ports_on_the_proxies(lab, outsider):
    for host in lab.proxies:
        for port in (lab.write_port, lab.read_port):
            assert lab.tcp_open(outsider, lab.addresses[host], port), f"{outsider} could not reach {host}:{port}"
    assert lab.tcp_open(outsider, lab.vip, lab.write_port)
    for host in lab.proxies:
        assert not lab.tcp_open(outsider, lab.addresses[host], lab.stats_port), f"{outsider} reached {host}'s stats"


def test_members_reach_what_the_cluster_needs(lab):
    """The same ports answer a member (the refusals above are the firewall's, not closed ports)."""
    member, other = lab.postgres[0], lab.postgres[1]
    for port in (lab.postgresql_port, lab.restapi_port, lab.etcd_client_port, lab.etcd_peer_port):
        assert lab.tcp_open(member, lab.addresses[other], port), f"{member} could not reach {other}:{port}"
    proxy = lab.proxies[0]
    for port in (lab.postgresql_port, lab.restapi_port):
        assert lab.tcp_open(proxy, lab.addresses[other], port), f"{proxy} could not reach {other}:{port}"
    assert not lab.tcp_open(proxy, lab.addresses[other], lab.etcd_peer_port), f"{proxy} reached {other}'s etcd peer port"
