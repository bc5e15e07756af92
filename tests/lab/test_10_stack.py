"""The reference's proofs of a healthy cluster, on the deployed lab."""

import re
import urllib.error
import urllib.request

import pytest


def test_every_etcd_member_is_healthy(lab):
    health = lab.etcd_health(via=lab.etcd[0])
    assert len(health) == len(lab.etcd) == 3
    assert all(e["health"] for e in health), health


def test_etcd_runs_with_its_compaction_and_space_quota(lab):
    """etcd_auto_compaction_mode / _retention and etcd_quota_backend_bytes (the etcd role's defaults)
    reach every running member: Patroni writes a revision per loop, and without compaction the
    database grows until the quota."""
    for member in lab.etcd:
        pid = lab.sh(member, "systemctl", "show", "--property=MainPID", "--value", "etcd").stdout.strip()
        environ = dict(line.split("=", 1) for line in
                       lab.sh(member, "cat", f"/proc/{pid}/environ").stdout.split("\0") if "=" in line)
        assert {k: environ.get(k) for k in ("ETCD_AUTO_COMPACTION_MODE", "ETCD_AUTO_COMPACTION_RETENTION",
                                            "ETCD_QUOTA_BACKEND_BYTES")} == {
            "ETCD_AUTO_COMPACTION_MODE": "periodic", "ETCD_AUTO_COMPACTION_RETENTION": "1h",
            "ETCD_QUOTA_BACKEND_BYTES": "2147483648"}, member


def test_patroni_has_leader_sync_standby_and_streaming_replica(lab):
    lab.wait(lab.healthy, "a healthy Patroni cluster", timeout=120)
    members = lab.cluster()["members"]
    assert sorted(m["role"] for m in members) == ["leader", "replica", "sync_standby"]
    assert len({m["timeline"] for m in members}) == 1


def test_replication_lag_is_zero(lab):
    def zero_lag():
        replicas = [m for m in lab.cluster()["members"] if m["role"] != "leader"]
        # Patroni 4.0 reports `lag`; 4.1 adds receive_lag / replay_lag.
        return replicas and all(m.get("lag", m.get("replay_lag")) == 0 for m in replicas)

    lab.wait(zero_lag, "zero replication lag on every standby", timeout=60)


def test_write_port_lands_on_the_primary(lab):
    leader = lab.leader()
    for _attempt in range(3):
        [(in_recovery, server)] = lab.query(lab.write_port, "SELECT pg_is_in_recovery(), host(inet_server_addr())")
        assert in_recovery is False
        assert server == lab.addresses[leader["name"]]


def test_read_port_lands_on_standbys_and_spreads_over_them(lab):
    leader = lab.leader()["name"]
    standbys = {lab.addresses[h] for h in lab.postgres if h != leader}
    seen = set()
    for _attempt in range(8):
        [(in_recovery, server)] = lab.query(lab.read_port, "SELECT pg_is_in_recovery(), host(inet_server_addr())")
        assert in_recovery is True
        seen.add(server)
    assert seen == standbys


def test_haproxy_routes_by_patroni_health(lab):
    leader = lab.leader()["name"]
    stats = lab.wait(
        lambda: (s := lab.haproxy_stats())
        and all(s[("postgres_primary", h)] == ("UP" if h == leader else "DOWN") for h in lab.postgres)
        and all(s[("postgres_replicas", h)] == ("DOWN" if h == leader else "UP") for h in lab.postgres)
        and s,
        "HAProxy to show the leader UP for writes and the standbys UP for reads",
        timeout=30,
    )
    assert stats[("postgres_primary", leader)] == "UP"


@pytest.mark.parametrize("password", ["", "not-the-password"])
def test_haproxy_metrics_need_the_stats_login(lab, password):
    context = lab.tls_context() if lab.tls else None
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(lab.haproxy_stats_request(path="/metrics", password=password), timeout=5,
                               context=context)
    assert refused.value.code == 401


def test_haproxy_exports_its_backends_to_prometheus(lab):
    """HAProxy's built-in exporter (haproxy_prometheus_exporter): the metrics the alert rules in
    roles/monitoring/files/rules/haproxy.rules.yml read, one server UP for writes, the standbys
    for reads."""
    context = lab.tls_context() if lab.tls else None
    for proxy in lab.proxies:
        with urllib.request.urlopen(lab.haproxy_stats_request(proxy, path="/metrics"), timeout=5,
                                    context=context) as resp:
            text = resp.read().decode()
        active = dict(re.findall(r'^haproxy_backend_active_servers\{proxy="(postgres_\w+)"\} (\d+)$', text, re.M))
        assert active == {"postgres_primary": "1", "postgres_replicas": str(len(lab.postgres) - 1)}, (proxy, active)


def test_vip_sits_on_the_first_proxy(lab):
    assert lab.holds_vip(lab.proxies[0])
    assert not any(lab.holds_vip(h) for h in lab.proxies[1:])


def test_initdb_and_dcs_settings_of_the_reference(lab):
    rows = dict(
        lab.query(
            lab.write_port,
            "SELECT name, setting FROM pg_settings WHERE name IN "
            "('data_checksums', 'server_encoding', 'wal_level', 'wal_log_hints', 'hot_standby', "
            "'max_wal_senders', 'max_replication_slots', 'wal_keep_size', 'password_encryption')",
        )
    )
    assert rows == {
        "data_checksums": "on",
        "server_encoding": "UTF8",
        "wal_level": "replica",
        "wal_log_hints": "on",
        "hot_standby": "on",
        "max_wal_senders": "10",
        "max_replication_slots": "10",
        "wal_keep_size": "256",
        "password_encryption": "scram-sha-256",
    }
    [(names,)] = lab.query(lab.write_port, "SHOW synchronous_standby_names")
    sync = [m["name"] for m in lab.cluster()["members"] if m["role"] == "sync_standby"]
    assert sync and sync[0] in names


def test_replication_uses_the_replicator_account_and_slots(lab):
    rows = lab.query(lab.write_port, "SELECT usename, sync_state FROM pg_stat_replication ORDER BY sync_state")
    assert [r[0] for r in rows] == ["replicator", "replicator"]
    assert sorted(r[1] for r in rows) == ["async", "sync"]
    [(slots,)] = lab.query(lab.write_port, "SELECT count(*) FROM pg_replication_slots WHERE active")
    assert slots == 2


@pytest.mark.parametrize(
    "host_group, path, owner, mode",
    [
        ("postgres", "patroni-config", "postgres", "600"),
        ("haproxy", "/etc/keepalived/keepalived.conf", "root", "600"),
        ("postgres", "/etc/systemd/system/patroni.service.d/watchdog.conf", "root", "644"),
    ],
)
def test_files_holding_secrets_are_private(lab, host_group, path, owner, mode):
    hosts = lab.postgres if host_group == "postgres" else lab.proxies
    for host in hosts:
        target = lab.patroni_config_file(host) if path == "patroni-config" else path
        out = lab.sh(host, "stat", "-c", "%U %a", target).stdout.split()
        assert out == [owner, mode], f"{host}:{path}"


def test_no_cluster_outside_patroni(lab):
    """Debian's auto-created `main` cluster is gone; the plain postgresql service never runs."""
    for host in lab.postgres:
        active = lab.sh(host, "systemctl", "list-units", "--state=active", "--no-legend", "postgresql*", check=False).stdout
        assert active.strip() == "", f"{host} runs a PostgreSQL service beside Patroni: {active}"
        enabled = lab.sh(host, "systemctl", "list-unit-files", "--state=enabled", "--no-legend", "postgresql*", check=False).stdout
        assert enabled.strip() == "", f"{host} enables a PostgreSQL service beside Patroni: {enabled}"
        if lab.sh(host, "sh", "-c", "command -v pg_lsclusters", check=False).returncode != 0:
            continue  # the RHEL family has no pg_createcluster clusters
        out = lab.sh(host, "pg_lsclusters", "--json").stdout
        assert out.strip() in ("", "[]"), f"{host} still has a pg_createcluster cluster: {out}"
