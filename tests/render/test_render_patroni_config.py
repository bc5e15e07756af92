# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The rendered Patroni configuration parses and holds the reference's values on every
platform and package source (only name and the two connect_address values differ)."""

from __future__ import annotations

import pytest

import render_tasks as tasks
from render_files import patroni_config
from render_platforms import DB_HOSTS, PORT_CLUSTERS, SUPPORTED, host_name
from render_reference import POSTGRES

DB = [(p, s) for p in SUPPORTED for s in DB_HOSTS]


def _config(render, platform, short) -> dict:
    return patroni_config(render[host_name(SUPPORTED[platform], short)]["files"]["patroni"])


@pytest.mark.parametrize(("platform", "short"), DB, ids=[f"{p}-{s}" for p, s in DB])
def test_patroni_uses_exactly_the_inventory_s_etcd_members_while_switching(render, platform, short):
    """tasks/switch.yml's configuration: etcd3.use_proxies, and otherwise the final one."""
    final = _config(render, platform, short)
    switching = patroni_config(render[host_name(SUPPORTED[platform], short)]["files"]["patroni_switching"])
    assert switching["etcd3"].pop("use_proxies") is True
    assert switching == final


@pytest.mark.parametrize(("cluster", "posture"), [
    ("ports", {"synchronous_mode": "quorum", "synchronous_mode_strict": True, "synchronous_node_count": 2}),
    ("groupports", {"synchronous_mode": False, "synchronous_mode_strict": False, "synchronous_node_count": 1}),
    ("debian13", {"synchronous_mode": True, "synchronous_mode_strict": False, "synchronous_node_count": 1}),
])
def test_the_synchronous_posture_reaches_the_dcs_as_patroni_takes_it(render, cluster, posture):
    """patroni_synchronous_mode true, false or quorum (a string), strict and the node count, as dcs.yml
    applies them to the running cluster: booleans and an int (a quoted "False" would be a true value to
    Patroni). bootstrap.dcs holds true for quorum: Patroni 4.0.7's --validate-config refuses quorum there
    ("bootstrap.dcs.synchronous_mode quorum is not a boolean"), and dcs.yml applies it after bootstrap."""
    apply = tasks.find(tasks.load("patroni", "dcs.yml"), "pgha.cluster.patroni_config")[0]
    platform = PORT_CLUSTERS[cluster].platform if cluster in PORT_CLUSTERS else SUPPORTED[cluster]
    for short in DB_HOSTS:
        name = host_name(cluster, short)
        settings = tasks.render(apply.args["settings"], tasks.variables(render, platform, name))
        assert {key: settings[key] for key in posture} == posture
        assert all(type(settings[key]) is type(value) for key, value in posture.items()), settings
        bootstrap = patroni_config(render[name]["files"]["patroni"])["bootstrap"]["dcs"]
        assert bootstrap["synchronous_mode"] is (posture["synchronous_mode"] is not False)
        assert {key: bootstrap[key] for key in posture if key != "synchronous_mode"} == \
            {key: settings[key] for key in posture if key != "synchronous_mode"}


@pytest.mark.parametrize(("platform", "short"), DB, ids=[f"{p}-{s}" for p, s in DB])
def test_patroni_config(render, platform, short):
    config = _config(render, platform, short)
    name = host_name(SUPPORTED[platform], short)
    address = DB_HOSTS[short]

    assert config["scope"] == "pg-cluster"
    assert config["namespace"] == "/service/"
    assert config["name"] == name
    # TLS is on by default (pgha_tls_enabled): HTTPS with the host certificate, the unsafe
    # endpoints behind a password and a client certificate of the cluster CA.
    tls = {"certfile": "/etc/pgha/tls/host.crt", "keyfile": "/etc/pgha/tls/postgres.key", "cafile": "/etc/pgha/tls/ca.crt"}
    assert config["restapi"] == {"listen": "0.0.0.0:8008", "connect_address": f"{address}:8008",
                                 "authentication": {"username": "patroni", "password": "test-restapi-secret"},
                                 **tls, "verify_client": "optional"}
    assert config["ctl"] == {"certfile": tls["certfile"], "keyfile": tls["keyfile"], "cacert": tls["cafile"]}
    # Discovery from the inventory's members, without use_proxies (set only during a switch between
    # plain and TLS: with it Patroni 4.0 fails to start while the first listed member is down).
    assert config["etcd3"] == {"hosts": ["10.0.1.11:2379", "10.0.1.12:2379", "10.0.1.13:2379"],
                               "protocol": "https",
                               "cacert": tls["cafile"], "cert": tls["certfile"], "key": tls["keyfile"]}

    dcs = config["bootstrap"]["dcs"]
    # Patroni needs numbers and booleans, not the strings "30" or "True".
    for key, value in (("ttl", 30), ("loop_wait", 10), ("retry_timeout", 10), ("maximum_lag_on_failover", 1048576)):
        assert dcs[key] == value and isinstance(dcs[key], int) and not isinstance(dcs[key], bool), key
    assert dcs["synchronous_mode"] is True
    assert dcs["postgresql"]["use_pg_rewind"] is True
    assert dcs["postgresql"]["use_slots"] is True
    assert dcs["postgresql"]["parameters"] == {
        "wal_level": "replica",
        "hot_standby": "on",
        "max_wal_senders": 10,
        "max_replication_slots": 10,
        "wal_keep_size": "256MB",
        "wal_log_hints": "on",
    }

    assert config["bootstrap"]["initdb"] == [{"encoding": "UTF8"}, "data-checksums"]
    # pg_hba is node configuration (kept applied), the same at bootstrap: every TCP line hostssl,
    # replication and rewind from the three members' addresses only.
    hba = config["postgresql"]["pg_hba"]
    assert config["bootstrap"]["pg_hba"] == hba
    members = ["10.0.1.11/32", "10.0.1.12/32", "10.0.1.13/32"]
    assert hba == [
        "local all all peer",
        "hostssl all all 127.0.0.1/32 scram-sha-256",
        # Patroni reads a replica's own timeline over a replication connection to localhost.
        "hostssl replication replicator 127.0.0.1/32 scram-sha-256",
        "hostssl replication replicator ::1/128 scram-sha-256",
        *[f"hostssl replication replicator {m} scram-sha-256" for m in members],
        *[f"hostssl all rewind_user {m} scram-sha-256" for m in members],
        "hostssl all rewind_user 0.0.0.0/0 reject",
        "hostssl all rewind_user ::/0 reject",
        "hostssl all all 10.0.1.0/24 scram-sha-256",
    ]

    pg = config["postgresql"]
    assert pg["listen"] == "0.0.0.0:5432"
    assert pg["connect_address"] == f"{address}:5432"
    assert pg["data_dir"] == POSTGRES[platform][short]["data_dir"]
    assert pg["bin_dir"] == POSTGRES[platform][short]["bin_dir"]
    auth = pg["authentication"]
    assert (auth["superuser"]["username"], auth["replication"]["username"], auth["rewind"]["username"]) == (
        "postgres", "replicator", "rewind_user")
    assert all(auth[k]["password"] for k in ("superuser", "replication", "rewind"))
    assert pg["parameters"]["password_encryption"] == "scram-sha-256"
    assert {k: pg["parameters"][k] for k in ("ssl", "ssl_cert_file", "ssl_key_file", "ssl_ca_file")} == {
        "ssl": "on", "ssl_cert_file": tls["certfile"], "ssl_key_file": tls["keyfile"], "ssl_ca_file": tls["cafile"]}
    # Replication and rewind verify the primary's certificate against the CA and its address.
    for account in ("replication", "rewind"):
        assert auth[account]["sslmode"] == "verify-full" and auth[account]["sslrootcert"] == tls["cafile"], account

    assert config["watchdog"] == {"mode": "automatic", "device": "/dev/watchdog", "safety_margin": 5}
    assert config["tags"] == {"nofailover": False, "noloadbalance": False, "clonefrom": False, "nosync": False}


@pytest.mark.parametrize("platform", list(SUPPORTED))
def test_patroni_configs_differ_only_in_node_values(render, platform):
    """Within one source, only name and the connect addresses differ between nodes
    (pg1 and pg2 differ also in their PostgreSQL version, so compare against pg1 after
    putting pg1's version-dependent paths in)."""
    base = _config(render, platform, "pg1")
    for short in DB_HOSTS:
        other = _config(render, platform, short)
        for key in ("name",):
            other[key] = base[key]
        other["restapi"]["connect_address"] = base["restapi"]["connect_address"]
        other["postgresql"]["connect_address"] = base["postgresql"]["connect_address"]
        other["postgresql"]["bin_dir"] = base["postgresql"]["bin_dir"]
        other["postgresql"]["data_dir"] = base["postgresql"]["data_dir"]
        assert other == base, short
