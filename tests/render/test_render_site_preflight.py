# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""site.yml's first play checks every role on every host before anything changes: a bad
value for a later role stops the run there, before the second play (issue 9).

playbooks/site.yml itself runs, offline, on a faked Debian 13 cluster (groups etcd, postgres,
haproxy; facts from the fact cache) with `--check --tags preflight`: the first play, and of
the later plays only the always-tagged tasks that resolve variables. The patroni preflight's
PGDG probe asks an HTTP server on 127.0.0.1 that answers every request with 200."""

from __future__ import annotations

import datetime
import functools
import json
import tempfile
from pathlib import Path

import pytest
import yaml

from render_platforms import DB_HOSTS, PROXY_HOSTS, SUPPORTED, host_name
from render_run import LOCAL_SOURCE_PROBES, ROOT, ansible_playbook, cluster, describe, inventory, output, prepare, run_all

SITE = ROOT / "playbooks" / "site.yml"
KEY = "site"

# case -> (the variable, short name of the host that sets it, its bad value, the role whose
# preflight refuses it, what the message must say). keepalived_virtual_router_id is refused by
# the keepalived role's `preflight` argument spec (an int); the patroni_users and
# patroni_databases cases by the patroni preflight's rules, each naming the element.
# A CA valid for 5 days, written by _short_lived_ca() before the runs start.
SHORT_CA = Path(tempfile.mkdtemp(prefix="pgha-render-short-ca-"))
REFUSED = {
    "watchdog_mode": ("watchdog_mode", "pg2", "sometimes", "watchdog", "watchdog_mode"),
    # removed: the backends use the members' published ports
    "haproxy_backend_port": ("haproxy_backend_port", "ha1", 6432, "haproxy", "haproxy_backend_port"),
    "keepalived_virtual_router_id": ("keepalived_virtual_router_id", "ha2", "fifty-one", "keepalived",
                                     "keepalived_virtual_router_id"),
    # a placeholder, case-insensitively
    "haproxy_stats_password": ("haproxy_stats_password", "ha1", "Change_Me", "haproxy",
                               "haproxy_stats_password is a placeholder"),
    "common_firewall_admin_sources": ("common_firewall_admin_sources", "pg2", ["10.0.1.300"], "common",
                                      "common_firewall_admin_sources"),  # not an address
    # issue 11: secrets reach their files verbatim or are refused, naming the variable (never the value)
    "superuser-password-not-a-string": ("patroni_superuser_password", "pg2", 123456789012, "patroni",
                                        "patroni_superuser_password is a number, not a string"),
    "replication-password-line-break": ("patroni_replication_password", "pg2", "long-enough-secret\n", "patroni",
                                        "patroni_replication_password holds a line break"),
    "rewind-password-short": ("patroni_rewind_password", "pg2", "short-one", "patroni",
                              "patroni_rewind_password has 9 characters, fewer than the 12 required"),
    "restapi-password-well-known": ("patroni_restapi_password", "pg2", "Zalando", "patroni",
                                    "patroni_restapi_password is a placeholder"),
    "vrrp-key-too-long": ("keepalived_auth_pass", "ha2", "nine-char", "keepalived",
                          "keepalived_auth_pass has 9 characters, more than the 8"),
    "vrrp-key-comment-sign": ("keepalived_auth_pass", "ha2", "ab#cdef!", "keepalived", "keepalived_auth_pass holds '!', '#'"),
    "vip-is-the-network": ("keepalived_vip", "ha1", "10.0.1.0", "keepalived", "neither its network"),
    "vip-is-the-broadcast": ("keepalived_vip", "ha1", "10.0.1.255", "keepalived", "neither its network"),
    "maximum-lag-with-a-unit": ("patroni_maximum_lag_on_failover", "pg2", "1MB", "patroni",
                                "argument 'patroni_maximum_lag_on_failover' is of type str"),
    # issue 11: the synchronous posture, each value Patroni would ignore or could never meet
    "sync-mode-unknown": ("patroni_synchronous_mode", "pg2", "sometimes", "patroni",
                          "patroni_synchronous_mode is sometimes: it takes true"),
    "sync-node-count-zero": ("patroni_synchronous_node_count", "pg2", 0, "patroni",
                             "patroni_synchronous_node_count is 0: it must be at least 1"),
    "sync-node-count-above-the-standbys": ("patroni_synchronous_node_count", "pg2", 3, "patroni",
                                           "patroni_synchronous_node_count is 3 but the postgres group has 2 standby(s)"),
    "strict-without-sync": ("patroni_synchronous_mode_strict", "pg2", True, "patroni",
                            "patroni_synchronous_mode_strict is true but patroni_synchronous_mode is false"),
    # pg1 moved to another /24 (its faked facts follow common_address): the firewall has no one
    # cluster subnet to admit clients from (checked once, on the play's first host)
    "hosts-on-two-subnets": ("common_address", "pg1", "10.0.2.11", "common",
                             "The cluster's hosts are on 2 subnets (10.0.1.0/24, 10.0.2.0/24)"),
    # the inventory's own values, moved here from the lab's table (tests/lab/test_20_preflight.py):
    # the same preflight tasks, without a deployed cluster to wait on
    "vip-outside-subnet": ("keepalived_vip", "ha1", "10.99.0.10", "keepalived",
                           "keepalived_vip '10.99.0.10/24' must be a free IPv4 address inside the proxies' subnet 10.0.1.0/24"),
    "vip-is-a-host-address": ("keepalived_vip", "ha1", "10.0.1.22", "keepalived",
                              "and not any host's address (10.0.1.11, 10.0.1.12, 10.0.1.13, 10.0.1.21, 10.0.1.22)"),
    "superuser-password-unset": ("patroni_superuser_password", "pg2", "", "patroni", "patroni_superuser_password is unset"),
    "replication-password-placeholder": ("patroni_replication_password", "pg2", "CHANGE_ME", "patroni",
                                         "patroni_replication_password is a placeholder"),
    "rewind-password-placeholder": ("patroni_rewind_password", "pg2", "CHANGE_ME", "patroni",
                                    "patroni_rewind_password is a placeholder"),
    "vrrp-password-unset": ("keepalived_auth_pass", "ha2", "", "keepalived", "keepalived_auth_pass is unset"),
    "unsupported-postgresql": ("patroni_postgresql_version", "pg2", 12, "patroni",
                               "patroni_postgresql_version '12': use a source among pgdg, distro and a version among 15, 16, 17, 18"),
    "distro-lacks-version": ("patroni_postgresql_version", "pg2", 15, "patroni",
                             "Debian 13 ships PostgreSQL 17, not patroni_postgresql_version=15"),
    "unknown-source": ("patroni_postgresql_source", "pg2", "ftp", "patroni", "patroni_postgresql_source is 'ftp'"),
    "ttl-below-patroni-minimum": ("patroni_ttl", "pg2", 10, "patroni", "patroni_ttl=10 is below 20"),
    # issue 13: etcd's housekeeping
    "etcd-retention-not-a-duration": ("etcd_auto_compaction_retention", "pg2", "1 hour", "etcd",
                                      "etcd_auto_compaction_retention is '1 hour' with etcd_auto_compaction_mode 'periodic'"),
    "etcd-revision-retention-a-duration": ("etcd_auto_compaction_retention", "pg2", "1h", "etcd",
                                           "etcd_auto_compaction_retention is '1h' with etcd_auto_compaction_mode 'revision'"),
    "etcd-quota-above-8-gib": ("etcd_quota_backend_bytes", "pg2", 17179869184, "etcd",
                               "etcd_quota_backend_bytes is 17179869184: give 0"),
    # issue 15: a CA of the operator's own that has 5 days left, below pgha_tls_min_days_left (30)
    "ca-expires-too-soon": ("pgha_tls_ca_cert", "pg2", str(SHORT_CA / "ca.crt"), "pgha_tls",
                            f"{SHORT_CA / 'ca.crt'} expires 20"),
    "safety-margin-not-below-ttl": ("watchdog_safety_margin", "pg2", 30, "patroni",
                                    "watchdog_safety_margin (30 s) is not below patroni_ttl (30 s)"),
    "users-placeholder-password": ("patroni_users", "pg2", [{"name": "app", "password": "CHANGE_ME"}], "patroni",
                                   "patroni_users[0] (app): password is a placeholder or a published example password"),
    "users-system-account": ("patroni_users", "pg2", [{"name": "app", "password": "app-render-secret"},
                                                      {"name": "replicator", "password": "other-render-secret"}],
                             "patroni", "patroni_users[1] (replicator): replicator is one of the accounts Patroni owns"),
    # The module's own comma-separated form: passed on as it is, each letter would become a flag.
    "users-flags-string": ("patroni_users", "pg2", [{"name": "app", "password": "app-render-secret",
                                                     "role_attr_flags": "LOGIN,CREATEDB"}],
                           "patroni", "patroni_users[0] (app): role_attr_flags must be a list"),
    "databases-unknown-owner": ("patroni_databases", "pg2", [{"name": "app", "owner": "nobody"}], "patroni",
                                "patroni_databases[0] (app): owner nobody is neither the superuser"),
    "databases-absent-without-drop-data": ("patroni_databases", "pg2", [{"name": "app", "owner": "app"},
                                                                        {"name": "old", "state": "absent"}],
                                           "patroni", "patroni_databases[1] (old): state absent drops the database"),
}
# More of a case's host's variables, beside its bad value.
REFUSED_WITH = {"strict-without-sync": {"patroni_synchronous_mode": False},
                "etcd-revision-retention-a-duration": {"etcd_auto_compaction_mode": "revision"},
                "ca-expires-too-soon": {"pgha_tls_ca_key": str(SHORT_CA / "ca.key")},
                "distro-lacks-version": {"patroni_postgresql_source": "distro"}}
# Valid lists on the whole cluster: every case but its own host passes them.
APP_OBJECTS = {
    "patroni_users": [{"name": "app", "password": "app-render-secret", "role_attr_flags": ["LOGIN", "nocreatedb"],
                       "connection_limit": 20},
                      {"name": "gone", "state": "absent"}],
    "patroni_databases": [{"name": "app", "owner": "app"},
                          {"name": "scratch", "state": "absent", "drop_data": True}],
}


# A member's deployed etcd environment file, as the switch cases below give it (etcd_config_file).
DEPLOYED_ETCD_ENV = {
    "http": 'ETCD_NAME="site-pg3"\nETCD_LISTEN_CLIENT_URLS="http://10.0.1.13:2379,http://127.0.0.1:2379"\n'
            'ETCD_ADVERTISE_CLIENT_URLS="http://10.0.1.13:2379"\n',
    "https": 'ETCD_NAME="site-pg3"\nETCD_LISTEN_CLIENT_URLS="https://10.0.1.13:2379,https://127.0.0.1:2379"\n'
             'ETCD_ADVERTISE_CLIENT_URLS="https://10.0.1.13:2379"\n',
    # stopped half way through a switch to TLS: both schemes served, plain still advertised
    "both": 'ETCD_NAME="site-pg3"\nETCD_LISTEN_CLIENT_URLS="http://10.0.1.13:2379,http://127.0.0.1:2379,'
            'https://10.0.1.13:2379,https://127.0.0.1:2379"\nETCD_ADVERTISE_CLIENT_URLS="http://10.0.1.13:2379"\n',
}
# case -> (how pg3's etcd member was deployed, the cluster's TLS settings): a running cluster
# changed between plain and TLS by the inventory.
SWITCHES = {
    "plain-to-tls": ("http", {}),
    "half-way-to-tls": ("both", {}),
    "tls-kept": ("https", {}),
    "tls-to-plain-refused": ("https", {"pgha_tls_enabled": False}),
    "tls-to-plain-allowed": ("https", {"pgha_tls_enabled": False, "pgha_tls_allow_downgrade": True}),
}


def _start_site(tmp_path_factory, pgdg_mirror, name: str, host_vars: dict, cluster_vars: dict):
    """site.yml --check --tags preflight on the faked cluster, started (not waited for)."""
    work = tmp_path_factory.mktemp(f"site-{name}")
    cache: dict[str, dict] = {}
    host_vars = {short: dict(LOCAL_SOURCE_PROBES.get(short, {}), **host_vars.get(short, {}))
                 for short in {*LOCAL_SOURCE_PROBES, *host_vars}}
    if DEPLOYED_ETCD_ENV.get(host_vars.get("pg3", {}).get("etcd_config_file")):
        (work / "etcd.env").write_text(DEPLOYED_ETCD_ENV[host_vars["pg3"]["etcd_config_file"]])
        host_vars["pg3"]["etcd_config_file"] = str(work / "etcd.env")
    children = {KEY: cluster(KEY, SUPPORTED["debian13"], cache, groups={g: g for g in ("etcd", "postgres", "haproxy")},
                             cluster_vars={"patroni_pgdg_apt_url": pgdg_mirror, **APP_OBJECTS, **cluster_vars},
                             host_vars=host_vars)}
    env = prepare(work, inventory(children), cache) | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
    return work, ansible_playbook(work, env, "--check", "--tags", "preflight", str(SITE))


def _short_lived_ca(days: int = 5) -> None:
    """SHORT_CA/ca.crt and ca.key: a self-signed CA that expires in `days` days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "short-lived render CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (SHORT_CA / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (SHORT_CA / "ca.key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
    (SHORT_CA / "ca.key").chmod(0o600)


def _run_all(starts: dict) -> dict:
    """case -> (rc, the plays as the ansible.posix.json callback reports them)."""
    runs = {}
    for case, (work, rc) in run_all(starts).items():
        try:
            runs[case] = (rc, json.loads((work / "ansible-playbook.log").read_text())["plays"])
        except (ValueError, KeyError):
            pytest.fail(f"site.yml ({case or 'valid'}) printed no JSON report ({describe(rc)}):\n" + output(work)[-6000:])
    return runs


@pytest.fixture(scope="module")
def site_runs(tmp_path_factory, pgdg_mirror) -> dict:
    """case -> (rc, the plays as the ansible.posix.json callback reports them), for each
    refused value and for the same cluster with none (case None); the runs go in parallel."""
    _short_lived_ca()
    starts = {}
    for case in [None, *REFUSED]:
        # The valid cluster has pg1's watchdog_mode written as a bare YAML off (false).
        host_vars = {} if case else {"pg1": {"watchdog_mode": False}}
        if case:
            variable, short, value, _role, _message = REFUSED[case]
            host_vars[short] = {variable: value, **REFUSED_WITH.get(case, {})}
        starts[case] = functools.partial(_start_site, tmp_path_factory, pgdg_mirror, case or "valid", host_vars, {})
    return _run_all(starts)


@pytest.fixture(scope="module")
def switch_runs(tmp_path_factory, pgdg_mirror) -> dict:
    """case -> (rc, plays) for each of SWITCHES."""
    return _run_all({case: functools.partial(_start_site, tmp_path_factory, pgdg_mirror, case,
                                             {"pg3": {"etcd_config_file": deployed}}, cluster_vars)
                     for case, (deployed, cluster_vars) in SWITCHES.items()})


def _first_play_name() -> str:
    return yaml.safe_load(SITE.read_text())[0]["name"]


def _results(play: dict) -> list[tuple[str, str, str, dict]]:
    """(tasks file path, task name, host, result) of every task result of the play, in order."""
    return [(task["task"]["path"], task["task"]["name"], host, result)
            for task in play["tasks"] for host, result in task["hosts"].items()]


def test_valid_cluster_passes_every_preflight(site_runs):
    """Without a bad value, every role's preflight passes on every host (the faked cluster
    is valid, so a refusal below is the bad value's)."""
    rc, plays = site_runs[None]
    assert rc == 0, plays
    assert plays[0]["play"]["name"] == _first_play_name()
    results = _results(plays[0])
    assert not [r for r in results if r[3].get("failed")]
    for role in ("common", "pgha_tls", "etcd", "watchdog", "patroni", "haproxy", "keepalived"):
        assert [r for r in results if f"/roles/{role}/tasks/preflight.yml" in r[0]], f"{role}'s preflight did not run"


def test_a_bare_yaml_off_is_the_watchdog_mode_off(site_runs):
    """watchdog_mode: off (YAML false) passes and is published as 'off' for the patroni role."""
    _rc, plays = site_runs[None]
    published = {host: result["ansible_facts"]["watchdog_mode"] for _path, name, host, result in _results(plays[0])
                 if name.endswith("Publish the watchdog settings")}
    assert published[host_name(KEY, "pg1")] == "off"
    assert published[host_name(KEY, "pg2")] == "automatic"


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_value_for_a_later_role_stops_the_first_play(site_runs, case):
    """The role's preflight refuses the value, naming the variable, on the host that sets it."""
    _variable, short, _value, role, message = REFUSED[case]
    rc, plays = site_runs[case]
    assert rc != 0
    # The run ends in the first play: no later play starts, so no host changes.
    assert [p["play"]["name"] for p in plays] == [_first_play_name()], [p["play"]["name"] for p in plays]
    results = _results(plays[0])
    failed = [r for r in results if r[3].get("failed")]
    assert [host for _path, _name, host, _result in failed] == [host_name(KEY, short)], failed
    path, name, _host, result = failed[0]
    assert f"pgha.cluster.{role} :" in name or f"/roles/{role}/" in path, (path, name)
    # A check on a secret runs under no_log: its result is censored, and its name names the variable.
    assert message in (name if result.get("censored") else result["msg"]), (name, result)
    # It is the last task the play ran: nothing after it, on any host.
    assert results[-1][0:2] == (path, name)


def test_application_passwords_stay_out_of_the_output(site_runs):
    """The patroni_users checks name the element and what is wrong, never the password."""
    for case, (_rc, plays) in site_runs.items():
        text = json.dumps(plays)
        for secret in ("app-render-secret", "other-render-secret"):
            assert secret not in text, f"{case or 'valid'}: {secret} appears in the run's output"


def _switch_facts(plays) -> dict:
    """host -> pgha_tls_switch as the preflight published it."""
    return {host: result["ansible_facts"]["pgha_tls_switch"]
            for _path, name, host, result in _results(plays[0])
            if name.endswith("Find whether the running cluster changes between plain and TLS")}


@pytest.mark.parametrize(("case", "switch"), [("plain-to-tls", True), ("half-way-to-tls", True), ("tls-kept", False),
                                              ("tls-to-plain-allowed", True)])
def test_preflight_finds_a_switch_between_plain_and_tls(switch_runs, case, switch):
    """A member deployed on the other scheme (or serving both, a switch stopped half way) makes the run a
    switch on every host (playbooks/tls-switch.yml then moves every link); a cluster deployed as wanted
    is not one. Turning TLS on needs no flag; turning it off needs pgha_tls_allow_downgrade."""
    rc, plays = switch_runs[case]
    assert rc == 0, plays
    facts = _switch_facts(plays)
    assert sorted(facts) == sorted(host_name(KEY, s) for s in (*DB_HOSTS, *PROXY_HOSTS))
    assert set(facts.values()) == {switch}, facts


def test_preflight_refuses_turning_tls_off_a_running_cluster(switch_runs):
    """pgha_tls_enabled: false over a cluster deployed with TLS stops the first play on every host,
    naming the members, the risk and both ways out; nothing after it runs."""
    rc, plays = switch_runs["tls-to-plain-refused"]
    assert rc != 0
    assert [p["play"]["name"] for p in plays] == [_first_play_name()]
    failed = [r for r in _results(plays[0]) if r[3].get("failed")]
    assert sorted(host for _p, _n, host, _r in failed) == sorted(host_name(KEY, s) for s in (*DB_HOSTS, *PROXY_HOSTS))
    for _path, name, _host, result in failed:
        assert name.endswith("Refuse to turn TLS off on a running cluster unless asked to"), name
        assert host_name(KEY, "pg3") in result["msg"] and "pgha_tls_allow_downgrade: true" in result["msg"], result["msg"]
