"""Monitoring on the lab (the monitoring role, mon1): Prometheus reads every component over
TLS with its client certificate, the exporters admit nobody else, postgres_exporter holds
pg_monitor and nothing more, and the collection's alert rules reach Alertmanager on real
faults: a killed primary raises "primary missing" (resolved once the sync standby is
promoted) and "timeline changed"; WAL replay held on a replica raises the lag alert; the VIP
gone from both proxies raises "VIP down". The blackbox exporter reads every host's certificate
expiry.

The tests run in file order and each leaves the cluster healthy.
"""

import datetime
import socket
import ssl
import urllib.error

import pytest
from cryptography import x509

JOBS = {"patroni", "etcd", "haproxy", "postgres", "node", "prometheus", "alertmanager", "blackbox", "vip", "certificates"}


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
        # The VIP probe's target is the VIP, on no host.
        by_job.setdefault(target["labels"]["job"], set()).add(target["labels"].get("node", target["labels"]["instance"]))
    assert set(by_job) == JOBS
    assert by_job["patroni"] == by_job["postgres"] == set(lab.postgres)
    assert by_job["etcd"] == set(lab.etcd)
    assert by_job["haproxy"] == set(lab.proxies)
    assert by_job["vip"] == {f"{lab.vip}:{lab.write_port}"}
    assert by_job["prometheus"] == by_job["alertmanager"] == by_job["blackbox"] == set(lab.monitoring)
    assert by_job["node"] == by_job["certificates"] == set(lab.postgres + lab.etcd + lab.proxies + lab.backup + lab.monitoring)
    if lab.tls:
        assert {t["scrapeUrl"].split(":", 1)[0] for t in targets} == {"https"}
    # The exporter is up and so is its login to PostgreSQL on every node.
    assert {r["metric"]["node"]: r["value"][1] for r in lab.prometheus_query("pg_up")} == dict.fromkeys(lab.postgres, "1")
    # The rule files are loaded (the synchronous group with synchronous_mode on).
    groups = lab.monitoring_request("monitoring_prometheus_port", "/api/v1/rules")["data"]["groups"]
    assert {"pgha-patroni", "pgha-etcd", "pgha-haproxy"} <= {g["name"] for g in groups}


def test_the_blackbox_exporter_reads_every_certificate_expiry_and_the_vip(lab):
    """The earliest expiry of each host's served chain is its certificate's (825 days) or the CA's."""
    def not_after(path):
        with open(path, "rb") as f:
            return x509.load_pem_x509_certificate(f.read()).not_valid_after_utc

    ca = not_after(lab.ca_file)
    read = {r["metric"]["node"]: float(r["value"][1]) for r in lab.prometheus_query("probe_ssl_earliest_cert_expiry")}
    expected = {host: min(not_after(lab.client_cert(host)[0]), ca).timestamp()
                for host in lab.postgres + lab.etcd + lab.proxies + lab.backup + lab.monitoring}
    assert read == expected
    assert all(datetime.datetime.fromtimestamp(t, datetime.timezone.utc) > datetime.datetime.now(datetime.timezone.utc)
               for t in read.values())
    vip = lab.prometheus_query('probe_success{job="vip"}')
    assert [(r["metric"]["instance"], r["value"][1]) for r in vip] == [(f"{lab.vip}:{lab.write_port}", "1")]


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
    # PghaTimelineChanged fires for 15 minutes after any promotion (an earlier test's switchover
    # too): this failover is told by the alert's value, the highest timeline, in Prometheus.
    lab.wait(lambda: "PghaPrimaryMissing" not in alert_names(lab), "no PghaPrimaryMissing before the fault", timeout=180)
    old = lab.leader()
    lab.docker("kill", old["name"])
    try:
        lab.wait(lambda: "PghaPrimaryMissing" in alert_names(lab), "Alertmanager to receive PghaPrimaryMissing",
                 timeout=120, interval=1)
        new = lab.wait(lambda: (leader := lab.leader(exclude=(old["name"],))) and leader["timeline"] > old["timeline"]
                       and leader, "a promoted sync standby on a new timeline", timeout=120)
        lab.wait(lambda: "PghaTimelineChanged" in alert_names(lab), "Alertmanager to receive PghaTimelineChanged",
                 timeout=120, interval=2)
        lab.wait(lambda: [float(a["value"]) for a in lab.monitoring_request("monitoring_prometheus_port", "/api/v1/alerts")
                          ["data"]["alerts"] if a["labels"]["alertname"] == "PghaTimelineChanged"
                          and a["state"] == "firing"] == [new["timeline"]],
                 f"PghaTimelineChanged firing with the new timeline {new['timeline']}", timeout=60, interval=2)
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


def test_the_vip_gone_from_both_proxies_raises_vip_down(lab):
    for proxy in lab.proxies:
        lab.sh(proxy, "systemctl", "stop", "keepalived")
    try:
        lab.wait(lambda: not any(lab.holds_vip(p) for p in lab.proxies), "the VIP to leave both proxies", timeout=30)
        firing = lab.wait(lambda: [a for a in lab.alertmanager_alerts() if a["labels"]["alertname"] == "PghaVipDown"],
                          "Alertmanager to receive PghaVipDown", timeout=120, interval=2)
        assert [a["labels"]["instance"] for a in firing] == [f"{lab.vip}:{lab.write_port}"]
    finally:
        for proxy in lab.proxies:
            lab.sh(proxy, "systemctl", "start", "keepalived")
    lab.wait(lambda: "PghaVipDown" not in alert_names(lab), "PghaVipDown to resolve once a proxy holds the VIP",
             timeout=120, interval=2)
    lab.wait(lambda: lab.query(lab.write_port, "SELECT 1"), "writes through the VIP again", timeout=60)
