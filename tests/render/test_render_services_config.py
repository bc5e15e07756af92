# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rendered etcd environment file, watchdog drop-in, HAProxy and Keepalived
configurations hold the reference's values on every platform."""

from __future__ import annotations

import re

import pytest

import render_tasks as tasks
from render_files import environment, exec_start, haproxy_sections
from render_platforms import DB_HOSTS, PROXY_HOSTS, SUPPORTED, VIP, host_name

DB = [(p, s) for p in SUPPORTED for s in DB_HOSTS]
PROXIES = [(p, s) for p in SUPPORTED for s in PROXY_HOSTS]


def _file(render, platform, short, name) -> str:
    return render[host_name(SUPPORTED[platform], short)]["files"][name]


@pytest.mark.parametrize(("platform", "short"), DB, ids=[f"{p}-{s}" for p, s in DB])
def test_etcd_environment(render, platform, short):
    env = environment(_file(render, platform, short, "etcd"))
    p = SUPPORTED[platform]
    address = DB_HOSTS[short]
    cluster = ",".join(f"{host_name(p, s)}=https://{a}:2380" for s, a in DB_HOSTS.items())
    # TLS by default: clients and peers on https, a certificate of the cluster CA required of both.
    assert env == {
        "ETCD_NAME": host_name(p, short),
        "ETCD_DATA_DIR": "/var/lib/etcd",
        "ETCD_LISTEN_PEER_URLS": f"https://{address}:2380",
        "ETCD_LISTEN_CLIENT_URLS": f"https://{address}:2379,https://127.0.0.1:2379",
        "ETCD_INITIAL_ADVERTISE_PEER_URLS": f"https://{address}:2380",
        "ETCD_ADVERTISE_CLIENT_URLS": f"https://{address}:2379",
        "ETCD_INITIAL_CLUSTER": cluster,
        "ETCD_INITIAL_CLUSTER_STATE": "new",
        "ETCD_INITIAL_CLUSTER_TOKEN": "pgha-etcd-cluster",
        # Housekeeping: an hour of history (Patroni writes a revision per loop), etcd's quota written out.
        "ETCD_AUTO_COMPACTION_MODE": "periodic",
        "ETCD_AUTO_COMPACTION_RETENTION": "1h",
        "ETCD_QUOTA_BACKEND_BYTES": "2147483648",
        "ETCD_CERT_FILE": "/etc/pgha/tls/host.crt",
        "ETCD_KEY_FILE": "/etc/pgha/tls/etcd.key",
        "ETCD_TRUSTED_CA_FILE": "/etc/pgha/tls/ca.crt",
        "ETCD_CLIENT_CERT_AUTH": "true",
        "ETCD_PEER_CERT_FILE": "/etc/pgha/tls/host.crt",
        "ETCD_PEER_KEY_FILE": "/etc/pgha/tls/etcd.key",
        "ETCD_PEER_TRUSTED_CA_FILE": "/etc/pgha/tls/ca.crt",
        "ETCD_PEER_CLIENT_CERT_AUTH": "true",
    }


@pytest.mark.parametrize(("platform", "short"), DB, ids=[f"{p}-{s}" for p, s in DB])
def test_etcd_environment_while_switching_to_tls(render, platform, short):
    """The first etcd step of a switch from plain to TLS (playbooks/tls-switch.yml): the clients are
    served on both schemes on the same port, the member still advertises and peers over plain HTTP,
    and the TLS files and client-certificate checks are in place for the next step."""
    final = environment(_file(render, platform, short, "etcd"))
    env = environment(_file(render, platform, short, "etcd_switching"))
    p = SUPPORTED[platform]
    address = DB_HOSTS[short]
    assert env["ETCD_LISTEN_CLIENT_URLS"] == (f"http://{address}:2379,http://127.0.0.1:2379,"
                                              f"https://{address}:2379,https://127.0.0.1:2379")
    assert env["ETCD_ADVERTISE_CLIENT_URLS"] == f"http://{address}:2379"
    assert env["ETCD_LISTEN_PEER_URLS"] == env["ETCD_INITIAL_ADVERTISE_PEER_URLS"] == f"http://{address}:2380"
    assert env["ETCD_INITIAL_CLUSTER"] == ",".join(f"{host_name(p, s)}=http://{a}:2380" for s, a in DB_HOSTS.items())
    # Everything else is the wanted (TLS) configuration's.
    changed = {"ETCD_LISTEN_CLIENT_URLS", "ETCD_ADVERTISE_CLIENT_URLS", "ETCD_LISTEN_PEER_URLS",
               "ETCD_INITIAL_ADVERTISE_PEER_URLS", "ETCD_INITIAL_CLUSTER"}
    assert {k: v for k, v in env.items() if k not in changed} == {k: v for k, v in final.items() if k not in changed}


@pytest.mark.parametrize(("platform", "short"), DB, ids=[f"{p}-{s}" for p, s in DB])
def test_watchdog_drop_in(render, platform, short):
    lines = [line for line in _file(render, platform, short, "watchdog").splitlines() if line and not line.startswith("#")]
    assert lines == [
        "[Service]",
        "ExecStartPre=-+/sbin/modprobe softdog",
        "ExecStartPre=-+/bin/chown postgres /dev/watchdog",
    ]


@pytest.mark.parametrize(("platform", "short"), DB, ids=[f"{p}-{s}" for p, s in DB])
def test_etcd_leader_placement(render, platform, short):
    """The placement unit runs the etcd role's program with every etcd member's endpoint,
    its own member's endpoint and the local Patroni REST API, and the timer runs every 5 s."""
    timer = _file(render, platform, short, "leader_away_timer")
    assert "OnUnitActiveSec=5s" in timer.splitlines()
    service = _file(render, platform, short, "leader_away_service")
    assert exec_start(service) == [
        "ExecStart=/usr/bin/python3 -I /usr/local/lib/pgha/etcd-leader-away.py"
        f" --endpoints={','.join(f'https://{a}:2379' for a in DB_HOSTS.values())}"
        f" --own-endpoint=https://{DB_HOSTS[short]}:2379"
        " --primary-url=https://127.0.0.1:8008/primary --cacert=/etc/pgha/tls/ca.crt"
    ]
    # It runs as etcd's user, with etcd's certificate and key (etcdctl reads them from the environment).
    lines = service.splitlines()
    assert {"User=etcd", "Group=etcd", "Environment=ETCDCTL_CACERT=/etc/pgha/tls/ca.crt"
            " ETCDCTL_CERT=/etc/pgha/tls/host.crt ETCDCTL_KEY=/etc/pgha/tls/etcd.key"} <= set(lines)
    assert "DynamicUser=yes" not in lines


@pytest.mark.parametrize(("platform", "short"), PROXIES, ids=[f"{p}-{s}" for p, s in PROXIES])
def test_haproxy(render, platform, short):
    p = SUPPORTED[platform]
    sections = haproxy_sections(_file(render, platform, short, "haproxy"))
    assert "maxconn 2000" in sections["global"]
    defaults = sections["defaults"]
    for line in ("mode tcp", "retries 2", "timeout client 30m", "timeout server 30m", "timeout connect 4s", "timeout check 5s"):
        assert line in defaults, line
    # The stats page: on the proxy's own address only, behind basic auth, without HAProxy's version.
    stats = sections["listen stats"]
    # Served over TLS with the proxy's certificate (pgha_tls_enabled, the default).
    bind = f"bind {PROXY_HOSTS[short]}:7000 ssl crt /etc/pgha/tls/haproxy.pem"
    assert {"mode http", bind, "stats hide-version", "stats auth 'admin:test-stats-secret'"} <= set(stats)
    assert not [line for line in stats if line.startswith("bind") and line != bind]
    # The Prometheus exporter at /metrics (haproxy_prometheus_exporter), asking for the same user:
    # use-service answers before `stats auth` would, so the request is authenticated first.
    assert sections["userlist pgha_stats"] == ["user admin insecure-password 'test-stats-secret'"]
    auth = "http-request auth realm pgha if { path /metrics } !{ http_auth(pgha_stats) }"
    exporter = "http-request use-service prometheus-exporter if { path /metrics }"
    assert stats.index(auth) < stats.index(exporter)
    # The checks speak TLS to Patroni, verify its certificate (CA and name) and show the proxy's own.
    servers = [f"server {host_name(p, s)} {a}:5432 maxconn 200 check port 8008 check-ssl verify required"
               f" ca-file /etc/pgha/tls/ca.crt verifyhost {host_name(p, s)} crt /etc/pgha/tls/haproxy.pem"
               for s, a in DB_HOSTS.items()]
    for pool, port, uri in (("postgres_primary", 5000, "/primary"), ("postgres_replicas", 5001, "/replica")):
        lines = sections[f"listen {pool}"]
        assert f"bind *:{port}" in lines
        assert "option httpchk" in lines
        assert f"http-check send meth OPTIONS uri {uri}" in lines
        assert "http-check expect status 200" in lines
        # The reference's keywords verbatim, then the faster state changes (haproxy role defaults).
        assert "default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions fastinter 1s downinter 1s" in lines
        assert [line for line in lines if line.startswith("server ")] == servers
    assert "balance roundrobin" in sections["listen postgres_replicas"]
    assert not [line for line in sections["listen postgres_primary"] if line.startswith("balance")]
    assert not re.search(r"\b/master\b", _file(render, platform, short, "haproxy"))


@pytest.mark.parametrize(("platform", "short"), PROXIES, ids=[f"{p}-{s}" for p, s in PROXIES])
def test_keepalived(render, platform, short):
    text = " ".join(_file(render, platform, short, "keepalived").split())
    state, priority = {"ha1": ("MASTER", 101), "ha2": ("BACKUP", 100)}[short]
    assert (
        'vrrp_script chk_haproxy { script "/usr/bin/pidof haproxy" interval 2 weight 2 fall 2 rise 2 }' in text
    )
    instance = re.search(r"vrrp_instance \S+ \{(.*)\}", text)[1]
    assert f"state {state} " in instance
    assert f"priority {priority} " in instance
    assert f"interface {SUPPORTED[platform].interface} " in instance
    assert "virtual_router_id 51 " in instance
    assert "advert_int 1 " in instance
    assert "authentication { auth_type PASS auth_pass tst-vrrp }" in instance
    assert f"virtual_ipaddress {{ {VIP}/24 }}" in instance
    assert "track_script { chk_haproxy }" in instance
    # VRRP unicast (keepalived_unicast, on by default): from this proxy's address to the other's.
    peer = {"ha1": "10.0.1.22", "ha2": "10.0.1.21"}[short]
    assert f"unicast_src_ip {PROXY_HOSTS[short]} unicast_peer {{ {peer} }}" in instance


@pytest.mark.parametrize(("platform", "short"), PROXIES, ids=[f"{p}-{s}" for p, s in PROXIES])
def test_haproxy_while_switching_between_plain_and_tls(render, platform, short):
    """While a switch moves Patroni's REST API between HTTP and HTTPS, each node is in each pool twice,
    checked over each scheme: whichever its REST API speaks passes, so the pools are never empty."""
    p = SUPPORTED[platform]
    sections = haproxy_sections(_file(render, platform, short, "haproxy_switching"))
    servers = []
    for s, a in DB_HOSTS.items():
        name = host_name(p, s)
        servers += [f"server {name}-http {a}:5432 maxconn 200 check port 8008",
                    f"server {name}-https {a}:5432 maxconn 200 check port 8008 check-ssl verify required"
                    f" ca-file /etc/pgha/tls/ca.crt verifyhost {name} crt /etc/pgha/tls/haproxy.pem"]
    for pool in ("postgres_primary", "postgres_replicas"):
        assert [line for line in sections[f"listen {pool}"] if line.startswith("server ")] == servers


def test_haproxy_config_file_holds_a_secret():
    """The configuration holds the stats password: root's, mode 0600, never printed (no diff, no log)."""
    [task] = tasks.find(tasks.load("haproxy", "main.yml"), "ansible.builtin.template", src="haproxy.cfg.j2")
    assert (task.args["owner"], task.args["group"], task.args["mode"]) == ("root", "root", "0600")
    assert task.raw["diff"] is False and task.raw["no_log"] is True
