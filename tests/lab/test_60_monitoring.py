"""Monitoring on the lab (the monitoring role, mon1): Prometheus reads every component over
TLS with its client certificate, the exporters admit nobody else, postgres_exporter holds
pg_monitor and nothing more, and the collection's alert rules reach Alertmanager on real
faults: a killed primary raises "primary missing" (resolved once the sync standby is
promoted) and "timeline changed"; WAL replay held on a replica raises the lag alert.

The tests run in file order and each leaves the cluster healthy.
"""

import socket
import ssl
import urllib.error

import pytest

JOBS = {"patroni", "etcd", "haproxy", "postgres", "node", "prometheus", "alertmanager"}


@pytest.fixture(scope="module", autouse=True)
def monitored(lab):
    if not lab.monitoring:
        pytest.fail("the lab inventory has no monitoring host (group monitoring): these tests need mon1")
    lab.wait(lab.healthy, "a healthy cluster", timeout=180)


def alert_names(lab, state="active"):
    return {a["labels"]["alertname"] for a in lab.alertmanager_alerts() if a["status"]["state"] == state}


def test_prometheus_reads_every_component_of_every_host(lab):
    def all_up():
        targets = lab.monitoring_request("monitoring_prometheus_port", "/api/v1/targets")["data"]["activeTargets"]
        return targets if targets and all(t["health"] == "up" for t in targets) else None

    targets = lab.wait(all_up, "every scrape target up", timeout=90, interval=2)
    by_job = {}
    for target in targets:
        by_job.setdefault(target["labels"]["job"], set()).add(target["labels"]["node"])
    assert set(by_job) == JOBS
    assert by_job["patroni"] == by_job["postgres"] == set(lab.postgres)
    assert by_job["etcd"] == set(lab.etcd)
    assert by_job["haproxy"] == set(lab.proxies)
    assert by_job["node"] == set(lab.postgres + lab.etcd + lab.proxies + lab.backup + lab.monitoring)
    if lab.tls:
        assert {t["scrapeUrl"].split(":", 1)[0] for t in targets} == {"https"}
    # The exporter is up and so is its login to PostgreSQL on every node.
    assert {r["metric"]["node"]: r["value"][1] for r in lab.prometheus_query("pg_up")} == dict.fromkeys(lab.postgres, "1")
    # The rule files are loaded (the synchronous group with synchronous_mode on).
    groups = lab.monitoring_request("monitoring_prometheus_port", "/api/v1/rules")["data"]["groups"]
    assert {"pgha-patroni", "pgha-etcd", "pgha-haproxy"} <= {g["name"] for g in groups}


def test_the_web_pages_need_the_login(lab):
    with pytest.raises(urllib.error.HTTPError) as refused:
        lab.monitoring_request("monitoring_prometheus_port", "/api/v1/targets", login=False)
    assert refused.value.code == 401
    with pytest.raises(urllib.error.HTTPError) as refused:
        lab.monitoring_request("monitoring_alertmanager_port", "/api/v2/alerts", login=False)
    assert refused.value.code == 401


def test_the_exporters_admit_only_a_client_certificate_of_the_cluster_ca(lab):
    if not lab.tls:
        pytest.skip("the lab runs without TLS (pgha_tls_enabled false): the exporters speak plain HTTP")
    host = lab.postgres[0]
    address = lab.addresses[host]
    for port in (int(lab.var("monitoring_node_exporter_port")), int(lab.var("monitoring_postgres_exporter_port"))):
        # Without a certificate the handshake (or the first read) fails.
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            with socket.create_connection((address, port), timeout=5) as sock:
                with lab.tls_context().wrap_socket(sock, server_hostname=address) as tls:
                    tls.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
                    tls.recv(1)
        # The monitoring host's certificate (signed by the cluster CA) is admitted.
        with socket.create_connection((address, port), timeout=5) as sock:
            with lab.tls_context(lab.client_cert(lab.monitoring[0])).wrap_socket(sock, server_hostname=address) as tls:
                tls.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
                assert tls.recv(64).startswith(b"HTTP/1.0 200"), (host, port)


def test_the_exporter_role_holds_pg_monitor_and_no_privilege_beyond(lab):
    user = lab.var("monitoring_postgres_username")
    leader = lab.leader()["name"]
    row = lab.psql(leader, f"SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin, "
                           f"pg_has_role('{user}', 'pg_monitor', 'MEMBER'), "
                           f"(SELECT count(*) FROM pg_auth_members WHERE member = '{user}'::regrole) "
                           f"FROM pg_roles WHERE rolname = '{user}'")
    assert row.split("|") == ["f", "f", "f", "f", "f", "t", "t", "1"], row


def test_a_killed_primary_raises_primary_missing_then_timeline_changed(lab):
    lab.wait(lambda: not alert_names(lab) & {"PghaPrimaryMissing", "PghaTimelineChanged"},
             "no failover alert before the fault", timeout=30)
    old = lab.leader()
    lab.docker("kill", old["name"])
    try:
        lab.wait(lambda: "PghaPrimaryMissing" in alert_names(lab), "Alertmanager to receive PghaPrimaryMissing",
                 timeout=120, interval=1)
        new = lab.wait(lambda: (leader := lab.leader(exclude=(old["name"],))) and leader["timeline"] > old["timeline"]
                       and leader, "a promoted sync standby on a new timeline", timeout=120)
        lab.wait(lambda: "PghaTimelineChanged" in alert_names(lab), "Alertmanager to receive PghaTimelineChanged",
                 timeout=120, interval=2)
        # Resolved alerts leave Alertmanager's active list.
        lab.wait(lambda: "PghaPrimaryMissing" not in alert_names(lab),
                 f"PghaPrimaryMissing to resolve once {new['name']} leads", timeout=120, interval=2)
        timeline = [a for a in lab.alertmanager_alerts() if a["labels"]["alertname"] == "PghaTimelineChanged"]
        assert [a["labels"]["scope"] for a in timeline] == [lab.scope]
    finally:
        lab.docker("start", old["name"])
    lab.wait(lab.healthy, f"{old['name']} back as a replica", timeout=300, interval=2)


def test_stalled_replay_on_a_replica_raises_the_lag_alert(lab):
    """Patroni resumes a pg_wal_replay_pause() within its loop (seen on 4.0.7: "not paused"
    12 s after the pause was requested), so replay is held by stopping the replica's startup
    process, the one that replays WAL: the replica keeps receiving, replays nothing."""
    replica = next(m["name"] for m in lab.cluster()["members"] if m["role"] == "replica")
    startup = lab.sh(replica, "pgrep", "-f", "^postgres: .*startup recovering").stdout.split()
    assert len(startup) == 1, startup
    lab.sh(replica, "kill", "-STOP", startup[0])
    try:
        # About 40 MiB of WAL, well above the rule's 16 MiB, which the stalled replica does not replay.
        lab.query(lab.write_port, "CREATE TABLE pgha_lag_probe AS SELECT g, repeat('x', 200) AS filler "
                                  "FROM generate_series(1, 150000) AS g")
        firing = lab.wait(
            lambda: [a for a in lab.alertmanager_alerts() if a["labels"]["alertname"] == "PghaReplicationLag"],
            "Alertmanager to receive PghaReplicationLag", timeout=180, interval=2)
        assert {a["labels"]["name"] for a in firing} == {replica}
    finally:
        lab.sh(replica, "kill", "-CONT", startup[0])
        lab.query(lab.write_port, "DROP TABLE IF EXISTS pgha_lag_probe")
    lab.wait(lambda: "PghaReplicationLag" not in alert_names(lab), "the lag alert to resolve once replay goes on",
             timeout=120, interval=2)
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
