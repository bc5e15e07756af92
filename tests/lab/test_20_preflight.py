"""Bad input stops site.yml in its preflight play, with a message naming the
variable to fix, before any host is changed. Runs against the deployed lab."""

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from pgha_lab import DEFAULT_INVENTORY as INVENTORY
from pgha_lab.playbook import ansible_playbook, recap


def run_site(tmp_path: Path, extra_vars=None, inventory=INVENTORY, tags=("preflight",), check=True):
    """site.yml in check mode (only the preflight play by default)."""
    return ansible_playbook("site.yml", tmp_path, extra_vars, inventory=inventory, tags=tags, check=check)


def inventory_variant(tmp_path, edit) -> Path:
    """A copy of the lab inventory with its host layout changed by edit()."""
    inv = tmp_path / "inventory"
    inv.mkdir()
    shutil.copytree(INVENTORY / "group_vars", inv / "group_vars")
    hosts = yaml.safe_load((INVENTORY / "hosts.yml").read_text())
    edit(hosts["all"]["children"])
    (inv / "hosts.yml").write_text(yaml.safe_dump(hosts))
    return inv


# What only real hosts show. Every refusal of the inventory's values alone (the VIP, passwords,
# versions and sources, timing, the watchdog mode, the synchronous posture) is proven by the render
# test tests/render/test_render_site_preflight.py: the same site.yml preflight on faked hosts.
CASES = {
    # PGDG aimed at a closed loopback port: unreachable, without leaving the lab.
    "pgdg-unreachable": (
        {
            "patroni_postgresql_source": "pgdg",
            "patroni_pgdg_apt_url": "http://127.0.0.1:9/apt",
            "patroni_pgdg_yum_url": "http://127.0.0.1:9/yum",
        },
        "patroni_postgresql_source: distro",
    ),
    # issue 11: ports the role does not own here: etcd's client port for Patroni's REST API, and back
    # (the lab's root cannot read other users' /proc/<pid>/fd: the socket's user names the holder)
    "restapi-port-held-by-etcd": ({"patroni_restapi_port": 2379}, "Port 2379 (patroni_restapi_port) is held by"),
    "etcd-port-held-by-patroni": ({"etcd_client_port": 8008}, "Port 8008 (etcd_client_port) is held by"),
    # the monitoring role: node_exporter's port on Patroni's REST API (the database nodes)
    "node-exporter-port-held-by-patroni": ({"monitoring_node_exporter_port": 8008},
                                           "Port 8008 (monitoring_node_exporter_port) is held by"),
}


def _two_etcd(groups):
    del groups["etcd"]["hosts"]["pg3"]


def _one_postgres(groups):
    groups["postgres"]["hosts"] = {"pg1": None}


def _duplicate_address(groups):
    groups["etcd"]["hosts"]["pg2"] = {"common_address": "172.28.0.11"}


def _slot_name_clash(groups):
    """pg2 and pg3 named db-2 and db_2: Patroni would give both the replication slot db_2."""
    for group in ("etcd", "postgres"):
        hosts = groups[group]["hosts"]
        hosts["db-2"] = dict(hosts.pop("pg2") or {}, ansible_host="pg2")
        hosts["db_2"] = dict(hosts.pop("pg3") or {}, ansible_host="pg3")


# layout -> (the edit of the lab's hosts.yml, what the refusal names)
LAYOUTS = {
    "even-etcd-count": (_two_etcd, "etcd"),
    "sync-mode-with-one-node": (_one_postgres, "patroni_synchronous_mode"),
    "duplicate-address": (_duplicate_address, "common_address"),
    "slot-name-clash": (_slot_name_clash, "db-2 and db_2 get the same replication slot name"),
}

# The preflight changes nothing on a host, so the refused runs (bad values and bad layouts) go
# four at a time.
PARALLEL_RUNS = 4


@pytest.fixture(scope="module")
def refused_runs(tmp_path_factory) -> dict:
    """case or layout -> site.yml --tags preflight's result with its bad value or host layout."""
    with ThreadPoolExecutor(max_workers=PARALLEL_RUNS) as pool:
        futures = {case: pool.submit(run_site, tmp_path_factory.mktemp(case), extra)
                   for case, (extra, _named) in CASES.items()}
        for layout, (edit, _named) in LAYOUTS.items():
            work = tmp_path_factory.mktemp(layout)
            futures[layout] = pool.submit(run_site, work, inventory=inventory_variant(work, edit))
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_variable_fails_preflight_naming_it(refused_runs, case):
    _extra, named = CASES[case]
    result = refused_runs[case]
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert named in out, out[-3000:]
    assert "PLAY [Prepare every host" not in out, "the run went past preflight"
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]


@pytest.mark.parametrize("layout", LAYOUTS, ids=list(LAYOUTS))
def test_bad_layout_fails_preflight_naming_it(refused_runs, layout):
    _edit, named = LAYOUTS[layout]
    result = refused_runs[layout]
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert named in out, out[-3000:]
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]


def test_required_watchdog_in_a_container_is_refused_before_anything_runs(lab, tmp_path):
    """A lab node is a container: no watchdog device can ever exist there. The whole site.yml (not
    only its preflight tags) stops in its first play, and Patroni keeps running as it was."""
    before = {h: lab.sh(h, "systemctl", "show", "-p", "MainPID", "--value", "patroni").stdout.strip() for h in lab.postgres}
    result = run_site(tmp_path, {"watchdog_mode": "required"}, tags=())
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "is a container: it cannot load softdog nor have a watchdog device" in out, out[-3000:]
    assert "but watchdog_mode is 'required'" in out, out[-3000:]
    assert "PLAY [Prepare every host" not in out, "the run went past preflight"
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]
    after = {h: lab.sh(h, "systemctl", "show", "-p", "MainPID", "--value", "patroni").stdout.strip() for h in lab.postgres}
    assert before == after and all(pid != "0" for pid in after.values())


def _refused_naming(result, *named):
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    for text in named:
        assert text in out, out[-3000:]
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]


@pytest.fixture
def other_cluster(lab):
    """A PostgreSQL cluster pgha did not make, beside Patroni's on pg2 (Debian's pg_createcluster)."""
    lab.sh("pg2", "pg_createcluster", "17", "legacy", "-p", "5499", "--", "--no-sync", timeout=120)
    yield "pg2"
    lab.sh("pg2", "pg_dropcluster", "--stop", "17", "legacy", check=False, timeout=120)


def test_another_postgresql_on_a_node_is_refused_running_or_not(lab, tmp_path, other_cluster):
    lab.sh(other_cluster, "pg_ctlcluster", "17", "legacy", "start")
    _refused_naming(run_site(tmp_path / "running"), "A PostgreSQL pgha does not manage runs here", "port 5499")
    lab.sh(other_cluster, "pg_ctlcluster", "17", "legacy", "stop")
    _refused_naming(run_site(tmp_path / "stopped"), "data directories pgha did not create",
                    "/var/lib/postgresql/17/legacy")
    # Nothing of it was touched.
    assert "legacy" in lab.sh(other_cluster, "pg_lsclusters", "--no-header").stdout


def test_a_port_another_program_holds_is_refused(lab, tmp_path):
    unit = "pgha-test-foreign"
    lab.sh("ha1", "systemd-run", f"--unit={unit}", "python3", "-m", "http.server", "7001")
    try:
        lab.wait(lambda: lab.tcp_open("ha1", "127.0.0.1", 7001), "the foreign listener on ha1:7001", timeout=30)
        _refused_naming(run_site(tmp_path, {"haproxy_stats_port": 7001}), "Port 7001 (haproxy_stats_port) is held by python3",
                        f"{unit}.service")
    finally:
        lab.sh("ha1", "systemctl", "stop", unit, check=False)


def test_a_bare_yaml_off_is_the_watchdog_mode_off(lab, tmp_path):
    """watchdog_mode: off written without quotes is YAML's false: the preflight takes it as off."""
    result = run_site(tmp_path, {"watchdog_mode": False})
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
