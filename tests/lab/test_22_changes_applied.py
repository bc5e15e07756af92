"""What the operator writes is applied to the running cluster exactly (issue 11). One site.yml run
changes, on the running lab:
- the three database accounts' passwords, to values holding every character class (quotes,
  : # { } % \\ @ $ !, spaces, Unicode, {{ {% {# marked !unsafe; the rewind one an inline vault
  value): every patroni.yml holds them verbatim, PostgreSQL has them before the files name them,
  replication reconnects with them;
- pg_hba (a line added), a PostgreSQL parameter (work_mem) and loop_wait: patronictl show-config,
  pg_settings and pg_hba_file_rules show them.
A second run changes nothing. The primary's host is then killed under a writer (the kill_primary
drill): no acknowledged write is lost and the old primary rejoins by pg_rewind with the rotated
rewind password. site.yml with the lab's own inventory then takes everything back (the parameter
removed, not left behind)."""

import dataclasses
import subprocess

import pytest

from pgha_lab import DEFAULT_INVENTORY, ROOT
from pgha_lab.inventory import load_yaml
from pgha_lab.playbook import ansible_bin, ansible_env, ansible_playbook, recap
from pgha_lab.report import summary
from pgha_lab.runner import Runner

ACCOUNTS = ("superuser", "replication", "rewind")
ROTATED = {
    "superuser": "su 'single' \"double\" :colon #hash {brace} %s \\back @at $HOME !bang {{ x }} {% y %} {# z #} ü€",
    "replication": "repl:{#not a comment#}{{ 6*7 }}-pw \\N 100% \"quoted\" 'q' @ $ ! Grüße",
    # inline-vaulted: ansible-vault encrypt_string (read from its standard input, not the command line)
    "rewind": "rewind {{ 6*7 }} {%raw%} # : \\ @ $ ! 'q' \"dq\" Ünïcødé",
}
NETWORK = "10.77.0.0/16"
state: dict = {}


def _quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _vault_value(vault_password_file, name: str, value: str) -> str:
    proc = subprocess.run(
        [ansible_bin("ansible-vault"), "encrypt_string", "--vault-password-file", str(vault_password_file),
         "--stdin-name", name],
        input=value, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, check=True)
    return proc.stdout


def _changes_file(work, pg_hba) -> list[str]:
    """ansible-playbook options passing the changed inventory values (a YAML file, as group_vars hold them)."""
    vault_password = work / "vault-password"
    vault_password.write_text("pgha-lab-test-vault\n")
    vault_password.chmod(0o600)
    text = "---\n"
    for account in ("superuser", "replication"):
        text += f"patroni_{account}_password: !unsafe {_quoted(ROTATED[account])}\n"
    text += _vault_value(vault_password, "patroni_rewind_password", ROTATED["rewind"]) + "\n"
    text += "patroni_loop_wait: 9\npatroni_postgresql_parameters_extra: {work_mem: 8MB}\npatroni_pg_hba:\n"
    text += "".join(f"  - {_quoted(line)}\n" for line in pg_hba + [f"hostssl app app {NETWORK} scram-sha-256"])
    path = work / "changes.yml"
    path.write_text(text)
    path.chmod(0o600)
    return ["-e", f"@{path}", "--vault-password-file", str(vault_password)]


def _wrong_passwords(lab, passwords: dict) -> dict:
    """host -> the accounts whose password in patroni.yml is not `passwords`'."""
    wrong = {}
    for host in lab.postgres:
        auth = lab.patroni_config(host)["postgresql"]["authentication"]
        bad = [a for a in ACCOUNTS if auth[a]["password"] != passwords[a]]
        if bad:
            wrong[host] = bad
    return wrong


def _psql(lab, host, sql) -> str:
    return lab.sh(host, "runuser", "-u", "postgres", "--", "psql", "-XAtc", sql).stdout.strip()


def _hba_admits(lab, host) -> bool:
    return _psql(lab, host, "SELECT count(*) FROM pg_hba_file_rules WHERE address = '10.77.0.0' "
                            "AND netmask = '255.255.0.0'") == "1"


def _replicas_reconnect(lab):
    """Every replica's WAL receiver restarted: it logs in again with the password it has now."""
    for member in lab.cluster()["members"]:
        if member["role"] != "leader":
            _psql(lab, member["name"], "SELECT pg_terminate_backend(pid) FROM pg_stat_wal_receiver")
    lab.wait(lab.healthy, "every replica streaming again", timeout=120, interval=2)


@pytest.fixture(scope="module")
def changed(lab, tmp_path_factory):
    lab.wait(lab.healthy, "a healthy cluster before the changes", timeout=120)
    work = tmp_path_factory.mktemp("changes")
    options = _changes_file(work, lab.patroni_config(lab.postgres[0])["postgresql"]["pg_hba"])
    try:
        first = ansible_playbook("site.yml", work, args=options)
        second = ansible_playbook("site.yml", work, args=options) if first.returncode == 0 else None
        yield first, second
    finally:
        if "restored" not in state:
            state["restored"] = ansible_playbook("site.yml", work)


@pytest.fixture(scope="module")
def rotated_lab(lab):
    """The lab as a client with the rotated superuser password sees it."""
    return dataclasses.replace(lab, password=ROTATED["superuser"])


def test_passwords_reach_every_file_verbatim_and_postgresql(lab, rotated_lab, changed):
    first, _second = changed
    out = first.stdout + first.stderr
    assert first.returncode == 0, out[-4000:]
    assert not [a for a, secret in ROTATED.items() if secret in out], "a password was printed"
    assert _wrong_passwords(lab, ROTATED) == {}
    # Replication logs in again with the rotated password.
    _replicas_reconnect(lab)
    assert rotated_lab.query(lab.write_port, "SELECT current_user") == [("postgres",)]


def test_pg_hba_a_parameter_and_loop_wait_reach_the_running_cluster(lab, changed):
    first, _second = changed
    assert first.returncode == 0, first.stdout[-3000:]
    dcs = lab.dcs_config()
    assert dcs["loop_wait"] == 9
    assert dcs["postgresql"]["parameters"]["work_mem"] == "8MB"
    for host in lab.postgres:
        lab.wait(lambda h=host: _psql(lab, h, "SHOW work_mem") == "8MB", f"{host} to run work_mem 8MB", timeout=60)
        lab.wait(lambda h=host: _hba_admits(lab, h), f"{host}'s pg_hba to admit {NETWORK}", timeout=60)


def test_a_second_run_changes_nothing(changed):
    _first, second = changed
    assert second is not None and second.returncode == 0, (second.stdout if second else "")[-3000:]
    assert all(r["changed"] == 0 for r in recap(second.stdout).values()), second.stdout[-3000:]


def test_a_failover_after_the_rotation_loses_nothing_and_the_old_primary_rewinds(rotated_lab, changed, tmp_path):
    first, _second = changed
    assert first.returncode == 0, first.stdout[-3000:]
    runner = Runner(rotated_lab, workdir=tmp_path)
    runner.prepare()
    result = runner.run("kill_primary", "reference")
    print("\n" + summary(result))
    assert result["error"] is None, result["error"]
    assert result["lost_writes"] == 0, f"acknowledged writes lost: {result['lost_seqs']}"
    assert result["healthy_s"] is not None, "the cluster did not become whole again"
    assert all(result["checks"].values()), result["checks"]


def test_the_lab_s_own_inventory_takes_everything_back(lab, changed, tmp_path):
    state["restored"] = restored = ansible_playbook("site.yml", tmp_path)
    assert restored.returncode == 0, (restored.stdout + restored.stderr)[-4000:]
    lab_passwords = {a: load_yaml(DEFAULT_INVENTORY / "group_vars" / "all" / "secrets.yml")[f"patroni_{a}_password"]
                     for a in ACCOUNTS}
    assert _wrong_passwords(lab, lab_passwords) == {}
    assert lab.dcs_config()["loop_wait"] == 10
    assert "work_mem" not in lab.dcs_config()["postgresql"].get("parameters", {})
    for host in lab.postgres:
        lab.wait(lambda h=host: not _hba_admits(lab, h), f"{host}'s pg_hba without {NETWORK}", timeout=60)
        lab.wait(lambda h=host: _psql(lab, h, "SHOW work_mem") == "4MB", f"{host}'s work_mem back to 4MB", timeout=60)
    _replicas_reconnect(lab)
