"""The contract between the roles, on the deployed lab: every role validates its own
inputs when it is used on its own, and site.yml refuses a bad value for any role in its
first play, before any host is changed."""

from __future__ import annotations

import pytest
import yaml

from pgha_lab import ROOT
from pgha_lab.playbook import ansible_playbook, recap

PROXY_PREFLIGHTS = [
    {"role": "common", "group": "all"},
    {"role": "pgha_tls", "group": "all"},
    {"role": "etcd", "group": "etcd"},
    {"role": "watchdog", "group": "postgres"},
    {"role": "pgbackrest", "group": "postgres:backup"},
    {"role": "patroni", "group": "postgres"},
]
# The lab has a repository host: Patroni's configuration holds the archive, so the patroni
# preflight needs what the pgbackrest preflight publishes.
WITHOUT_PGBACKREST = [step for step in PROXY_PREFLIGHTS if step["role"] != "pgbackrest"]


def _check_tasks(role: str) -> set[str]:
    """The names of the tasks a role runs before it may change anything: its preflight and the include of it."""
    preflight = yaml.safe_load((ROOT / "roles" / role / "tasks" / "preflight.yml").read_text())
    main = yaml.safe_load((ROOT / "roles" / role / "tasks" / "main.yml").read_text())
    return {t["name"] for t in preflight} | {main[0]["name"]}


def _run_alone(tmp_path, role, hosts, preflights, **bad):
    extra = {"role_alone_name": role, "role_alone_hosts": hosts, "role_alone_preflights": preflights, **bad}
    result = ansible_playbook("tests/lab/playbooks/role_alone.yml", tmp_path, extra)
    return result, result.stdout + result.stderr


@pytest.mark.parametrize(
    "role, hosts, preflights, bad, named",
    [
        # The argument spec, checked when the role starts.
        ("haproxy", "haproxy", PROXY_PREFLIGHTS, {"haproxy_retries": "many"}, "haproxy_retries"),
        ("watchdog", "postgres", PROXY_PREFLIGHTS[:2], {"watchdog_mode": "sometimes"}, "watchdog_mode"),
        # The role's own preflight, run from its main.yml.
        ("haproxy", "haproxy", PROXY_PREFLIGHTS, {"haproxy_read_port": 5000}, "haproxy_read_port"),
        ("etcd", "etcd", PROXY_PREFLIGHTS[:2], {"etcd_peer_port": 2379}, "etcd_peer_port"),
        # The facts it reads from another role were never published.
        ("haproxy", "haproxy", PROXY_PREFLIGHTS[:2], {}, "patroni_postgresql_port"),
        ("patroni", "postgres", WITHOUT_PGBACKREST, {}, "pgbackrest_tls_port, pg3: pgbackrest_bin, pg3: pgbackrest_create_replicas"),
    ],
    ids=["haproxy-spec", "watchdog-spec", "haproxy-preflight", "etcd-preflight", "haproxy-without-patroni-facts",
         "patroni-without-pgbackrest-facts"],
)
def test_role_used_alone_refuses_bad_input_before_any_change(tmp_path, role, hosts, preflights, bad, named):
    result, out = _run_alone(tmp_path, role, hosts, preflights, **bad)
    assert result.returncode != 0, out[-3000:]
    assert named in out, out[-3000:]
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]
    # Nothing past the checks ran: no install, configure or service task of the role.
    ran = [line.split(" : ", 1)[1].rstrip(" *]") for line in out.splitlines()
           if line.startswith(f"TASK [pgha.cluster.{role} :")]
    assert ran, out[-3000:]
    allowed = _check_tasks(role)
    assert all(t.startswith("Validating arguments") or t in allowed for t in ran), ran


def test_role_used_alone_with_its_contract_converges_without_change(tmp_path):
    result, out = _run_alone(tmp_path, "haproxy", "haproxy", PROXY_PREFLIGHTS)
    assert result.returncode == 0, out[-3000:]
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]


@pytest.mark.parametrize(
    "bad, named",
    [
        ({"watchdog_mode": "sometimes"}, "watchdog_mode"),
        ({"patroni_maximum_lag_on_failover": "a lot"}, "patroni_maximum_lag_on_failover"),
        ({"keepalived_virtual_router_id": "fifty"}, "keepalived_virtual_router_id"),
        ({"haproxy_backend_port": 6432}, "haproxy_backend_port"),
        # issue 12: the repository passphrase left at a placeholder
        ({"pgbackrest_repo_cipher_pass": "changeme"}, "pgbackrest_repo_cipher_pass is a placeholder"),
        ({"pgbackrest_retention_full": 0}, "pgbackrest_retention_full must be whole numbers of 1 or more"),
    ],
    ids=["watchdog-mode", "maximum-lag", "router-id", "removed-variable", "repository-passphrase-placeholder",
         "retention-zero"],
)
def test_bad_value_for_a_later_role_stops_site_in_its_first_play(tmp_path, bad, named):
    result = ansible_playbook("site.yml", tmp_path, bad)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert named in out, out[-3000:]
    assert "PLAY [Prepare every host" not in out, "the run went past the preflight play"
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]
