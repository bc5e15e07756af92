"""What the inventory says about the running cluster is applied by site.yml (issue 11): a changed
pg_hba, a new PostgreSQL parameter and a changed loop_wait reach the cluster (patronictl
show-config, pg_settings, pg_hba_file_rules), a second run changes nothing, and a run with the
lab's own inventory takes them back out (the parameter removed, not left behind)."""

import pytest

from pgha_lab.playbook import ansible_playbook, recap

NETWORK = "10.77.0.0/16"


def _setting(lab, host, name):
    return lab.sh(host, "runuser", "-u", "postgres", "--", "psql", "-XAtc", f"SHOW {name}").stdout.strip()


def _hba_admits(lab, host) -> bool:
    out = lab.sh(host, "runuser", "-u", "postgres", "--", "psql", "-XAtc",
                 "SELECT count(*) FROM pg_hba_file_rules WHERE address = '10.77.0.0' AND netmask = '255.255.0.0'").stdout
    return out.strip() == "1"


@pytest.fixture(scope="module")
def changed(lab, tmp_path_factory):
    lab.wait(lab.healthy, "a healthy cluster", timeout=120)
    pg_hba = lab.patroni_config(lab.postgres[0])["postgresql"]["pg_hba"]
    extra = {
        "patroni_loop_wait": 9,
        "patroni_postgresql_parameters_extra": {"work_mem": "8MB"},
        "patroni_pg_hba": pg_hba + [f"hostssl app app {NETWORK} scram-sha-256"],
    }
    work = tmp_path_factory.mktemp("dcs")
    first = ansible_playbook("site.yml", work, extra)
    second = ansible_playbook("site.yml", work, extra) if first.returncode == 0 else None
    yield first, second
    restored = ansible_playbook("site.yml", work)
    assert restored.returncode == 0, restored.stdout[-3000:]
    assert lab.dcs_config()["loop_wait"] == 10
    assert "work_mem" not in lab.dcs_config()["postgresql"].get("parameters", {})
    for host in lab.postgres:
        lab.wait(lambda h=host: not _hba_admits(lab, h), f"{host}'s pg_hba without {NETWORK}", timeout=60)
        lab.wait(lambda h=host: _setting(lab, h, "work_mem") == "4MB", f"{host}'s work_mem back to 4MB", timeout=60)


def test_the_inventory_s_changes_reach_the_running_cluster(lab, changed):
    first, _second = changed
    assert first.returncode == 0, first.stdout[-3000:]
    dcs = lab.dcs_config()
    assert dcs["loop_wait"] == 9
    assert dcs["postgresql"]["parameters"]["work_mem"] == "8MB"
    for host in lab.postgres:
        lab.wait(lambda h=host: _setting(lab, h, "work_mem") == "8MB", f"{host} to run work_mem 8MB", timeout=60)
        lab.wait(lambda h=host: _hba_admits(lab, h), f"{host}'s pg_hba to admit {NETWORK}", timeout=60)


def test_a_second_run_changes_nothing(changed):
    _first, second = changed
    assert second is not None and second.returncode == 0, (second.stdout if second else "")[-3000:]
    assert all(r["changed"] == 0 for r in recap(second.stdout).values()), second.stdout[-3000:]
