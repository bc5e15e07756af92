# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Each port has one owner and every consumer follows it (issue 9's contract).

Two clusters move HAProxy's write port, PostgreSQL's, Patroni's REST API's and etcd's client
port (render_platforms.MOVED_PORTS): "ports" for every host, "groupports" only in the vars of
the owner's group, so that the proxies can learn the database nodes' ports only from the facts
those publish. The firewall, HAProxy's backends and checks, Patroni and etcd move with them.
The default clusters open the reference's ports."""

from __future__ import annotations

import pytest

from render_files import environment, exec_start, haproxy_sections, patroni_config
from render_firewall import applied
from render_platforms import DB_HOSTS, PORT_CLUSTERS, PROXY_HOSTS, SUPPORTED, host_name
from render_reference import PORTS

# What moves, written out: the ports each side's firewall opens, and the defaults they replace.
MOVED_FIREWALL = {"postgres": [2479, 2380, 6432, 8018], "haproxy": [6000, 5001, 7000]}
REPLACED = [5000, 5432, 8008, 2379]

HOSTS = list(DB_HOSTS) + list(PROXY_HOSTS)
DEFAULT = [(p, s) for p in SUPPORTED for s in HOSTS]
MOVED = [(c, s) for c in PORT_CLUSTERS for s in HOSTS]
MOVED_DB = [(c, s) for c in PORT_CLUSTERS for s in DB_HOSTS]
MOVED_PROXIES = [(c, s) for c in PORT_CLUSTERS for s in PROXY_HOSTS]


def _ids(params):
    return [f"{c}-{s}" for c, s in params]


def _side(short: str) -> str:
    return "postgres" if short in DB_HOSTS else "haproxy"


def _cluster(key: str):
    return PORT_CLUSTERS.get(key) or SUPPORTED[key]


def _host(render, key, short) -> dict:
    return render[host_name(_cluster(key), short)]


def _opened(render, key, short) -> list[int]:
    """The TCP ports the host's firewall tasks open: the ports of the rules the family's module
    applies (render_firewall.applied), each once."""
    cluster = _cluster(key)
    _module, rules = applied(render, getattr(cluster, "platform", cluster), host_name(cluster, short))
    return sorted({r["port"] for r in rules if r["proto"] == "tcp"})


@pytest.mark.parametrize(("key", "short"), DEFAULT, ids=_ids(DEFAULT))
def test_firewall_opens_the_reference_ports(render, key, short):
    assert sorted(_host(render, key, short)["public"]["common_firewall_ports"]) == sorted(PORTS[_side(short)])
    assert sorted(_opened(render, key, short)) == sorted(PORTS[_side(short)])


@pytest.mark.parametrize(("key", "short"), MOVED, ids=_ids(MOVED))
def test_firewall_follows_the_moved_ports(render, key, short):
    published = _host(render, key, short)["public"]["common_firewall_ports"]
    assert sorted(published) == sorted(MOVED_FIREWALL[_side(short)])
    opened = _opened(render, key, short)
    assert sorted(opened) == sorted(MOVED_FIREWALL[_side(short)])
    assert not set(opened) & set(REPLACED)


@pytest.mark.parametrize(("key", "short"), MOVED_PROXIES, ids=_ids(MOVED_PROXIES))
def test_haproxy_follows_the_moved_ports(render, key, short):
    """HAProxy binds its own moved write port, and its backends and checks use the ports the
    database nodes publish (in "groupports" the proxies' own variables do not hold them)."""
    cluster = _cluster(key)
    sections = haproxy_sections(_host(render, key, short)["files"]["haproxy"])
    assert "bind *:6000" in sections["listen postgres_primary"]
    assert "bind *:5001" in sections["listen postgres_replicas"]
    tls = (" check-ssl verify required ca-file /etc/pgha/tls/ca.crt verifyhost {} crt /etc/pgha/tls/haproxy.pem"
           if cluster.tls else "")
    servers = [f"server {host_name(cluster, s)} {a}:6432 maxconn 200 check port 8018" + tls.format(host_name(cluster, s))
               for s, a in DB_HOSTS.items()]
    for pool in ("postgres_primary", "postgres_replicas"):
        assert [line for line in sections[f"listen {pool}"] if line.startswith("server ")] == servers


@pytest.mark.parametrize(("key", "short"), MOVED_DB, ids=_ids(MOVED_DB))
def test_patroni_follows_the_moved_ports(render, key, short):
    host = _host(render, key, short)
    address = DB_HOSTS[short]
    assert (host["public"]["patroni_postgresql_port"], host["public"]["patroni_restapi_port"]) == (6432, 8018)
    config = patroni_config(host["files"]["patroni"])
    assert {k: config["restapi"][k] for k in ("listen", "connect_address")} == {
        "listen": "0.0.0.0:8018", "connect_address": f"{address}:8018"}
    assert (config["postgresql"]["listen"], config["postgresql"]["connect_address"]) == ("0.0.0.0:6432", f"{address}:6432")
    assert config["etcd3"]["hosts"] == [f"{a}:2479" for a in DB_HOSTS.values()]


@pytest.mark.parametrize(("key", "short"), MOVED_DB, ids=_ids(MOVED_DB))
def test_etcd_follows_the_moved_ports(render, key, short):
    host = _host(render, key, short)
    address = DB_HOSTS[short]
    scheme = "https" if _cluster(key).tls else "http"
    assert host["public"]["etcd_client_endpoint"] == f"{scheme}://{address}:2479"
    env = environment(host["files"]["etcd"])
    assert env["ETCD_LISTEN_CLIENT_URLS"] == f"{scheme}://{address}:2479,{scheme}://127.0.0.1:2479"
    assert env["ETCD_ADVERTISE_CLIENT_URLS"] == f"{scheme}://{address}:2479"
    assert env["ETCD_LISTEN_PEER_URLS"] == f"{scheme}://{address}:2380"
    # The leader placement program reaches every member on the moved port, and Patroni on its own.
    assert exec_start(host["files"]["leader_away_service"]) == [
        "ExecStart=/usr/bin/python3 -I /usr/local/lib/pgha/etcd-leader-away.py"
        f" --endpoints={','.join(f'{scheme}://{a}:2479' for a in DB_HOSTS.values())}"
        f" --own-endpoint={scheme}://{address}:2479"
        f" --primary-url={scheme}://127.0.0.1:8018/primary" + (" --cacert=/etc/pgha/tls/ca.crt" if scheme == "https" else "")
    ]


@pytest.mark.parametrize(("key", "short"), MOVED_DB, ids=_ids(MOVED_DB))
def test_tls_follows_pgha_tls_enabled(render, key, short):
    """With pgha_tls_enabled false ("ports") no link carries TLS settings and pg_hba keeps plain
    `host` lines (still scram-sha-256, replication from the members only); with it on
    ("groupports") every link has them."""
    host = _host(render, key, short)
    config = patroni_config(host["files"]["patroni"])
    env = environment(host["files"]["etcd"])
    hba = config["postgresql"]["pg_hba"]
    members = [f"{a}/32" for a in DB_HOSTS.values()]
    if _cluster(key).tls:
        assert config["etcd3"]["protocol"] == "https" and "certfile" in config["restapi"] and "ctl" in config
        assert env["ETCD_CLIENT_CERT_AUTH"] == "true" and env["ETCD_PEER_CLIENT_CERT_AUTH"] == "true"
        assert config["postgresql"]["parameters"]["ssl"] == "on"
        assert [line.split()[0] for line in hba if not line.startswith("local")] == ["hostssl"] * (len(hba) - 1)
    else:
        assert "protocol" not in config["etcd3"] and "certfile" not in config["restapi"] and "ctl" not in config
        assert not [k for k in env if "CERT" in k or "CA_FILE" in k], env
        assert "ssl" not in config["postgresql"]["parameters"]
        assert "sslmode" not in config["postgresql"]["authentication"]["replication"]
        assert [line.split()[0] for line in hba if not line.startswith("local")] == ["host"] * (len(hba) - 1)
    # The REST API's unsafe endpoints need the password either way.
    assert config["restapi"]["authentication"] == {"username": "patroni", "password": "test-restapi-secret"}
    assert [line.split()[-2] for line in hba if " replication " in line] == ["127.0.0.1/32", "::1/128", *members]
