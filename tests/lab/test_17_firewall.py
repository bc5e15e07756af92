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


def test_the_monitoring_ports_admit_the_monitoring_host_only(lab, outsider):
    """The exporters on every host and Prometheus/Alertmanager admit the monitoring host (and the
    admin sources), not a machine outside the inventory; the monitoring host reaches what it
    scrapes and nothing more (not PostgreSQL, not etcd's peer port)."""
    if not lab.monitoring:
        pytest.fail("the lab inventory has no monitoring host (group monitoring)")
    mon = lab.monitoring[0]
    node_port, pg_port = int(lab.var("monitoring_node_exporter_port")), int(lab.var("monitoring_postgres_exporter_port"))
    servers = [int(lab.var("monitoring_prometheus_port")), int(lab.var("monitoring_alertmanager_port"))]
    targets = [(h, node_port) for h in lab.postgres + lab.proxies + lab.backup] + [(h, pg_port) for h in lab.postgres]
    for host, port in targets:
        assert lab.tcp_open(mon, lab.addresses[host], port), f"{mon} could not reach {host}:{port}"
        assert not lab.tcp_open(outsider, lab.addresses[host], port), f"{outsider} reached {host}:{port}"
    for host, port in [(h, lab.restapi_port) for h in lab.postgres] + [(h, lab.etcd_client_port) for h in lab.etcd] \
            + [(h, lab.stats_port) for h in lab.proxies]:
        assert lab.tcp_open(mon, lab.addresses[host], port), f"{mon} could not reach {host}:{port}"
    for port in servers:
        assert not lab.tcp_open(outsider, lab.addresses[mon], port), f"{outsider} reached {mon}:{port}"
    for host in lab.postgres:
        for port in (lab.postgresql_port, lab.etcd_peer_port):
            assert not lab.tcp_open(mon, lab.addresses[host], port), f"{mon} reached {host}:{port}"
