"""Passwords reach every file exactly as written and a changed one is applied to the running
cluster (issue 11): site.yml rotates the three database accounts to passwords holding every
character class (quotes, : # { } % \\ @ $ !, spaces, Unicode, {{ {% {# marked !unsafe, one of
them an inline vault value); replication reconnects with the new one; the primary's host is
killed under a writer (the kill_primary drill): no acknowledged write is lost and the old primary
rejoins by pg_rewind with the rotated rewind password. site.yml then puts the lab's own passwords
back the same way."""

import subprocess

from pgha_lab import DEFAULT_INVENTORY, ROOT
from pgha_lab.inventory import load_yaml
from pgha_lab.playbook import ansible_bin, ansible_env, ansible_playbook
from pgha_lab.report import summary
from pgha_lab.runner import Runner

ACCOUNTS = ("superuser", "replication", "rewind")
ROTATED = {
    "superuser": "su 'single' \"double\" :colon #hash {brace} %s \\back @at $HOME !bang {{ x }} {% y %} {# z #} ü€",
    "replication": "repl:{#not a comment#}{{ 6*7 }}-pw \\N 100% \"quoted\" 'q' @ $ ! Grüße",
    # inline-vaulted: ansible-vault encrypt_string (read from its standard input, not the command line)
    "rewind": "rewind {{ 6*7 }} {%raw%} # : \\ @ $ ! 'q' \"dq\" Ünïcødé",
}


def _yaml_single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _vault_value(vault_password_file, name: str, value: str) -> str:
    proc = subprocess.run(
        [ansible_bin("ansible-vault"), "encrypt_string", "--vault-password-file", str(vault_password_file),
         "--stdin-name", name],
        input=value, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, check=True)
    return proc.stdout


def _vars_file(tmp_path):
    vault_password = tmp_path / "vault-password"
    vault_password.write_text("pgha-lab-test-vault\n")
    vault_password.chmod(0o600)
    text = "---\n"
    for account in ("superuser", "replication"):
        text += f"patroni_{account}_password: !unsafe {_yaml_single_quoted(ROTATED[account])}\n"
    text += _vault_value(vault_password, "patroni_rewind_password", ROTATED["rewind"]) + "\n"
    path = tmp_path / "rotated.yml"
    path.write_text(text)
    path.chmod(0o600)
    return ["-e", f"@{path}", "--vault-password-file", str(vault_password)]


def _files_hold(lab, passwords: dict) -> dict:
    """host -> the accounts whose password in patroni.yml differs from `passwords`."""
    wrong = {}
    for host in lab.postgres:
        auth = lab.patroni_config(host)["postgresql"]["authentication"]
        bad = [a for a in ACCOUNTS if auth[a]["password"] != passwords[a]]
        if bad:
            wrong[host] = bad
    return wrong


def _replicas_reconnect(lab):
    """Every replica's WAL receiver restarted: it logs in again with the password it has now."""
    for member in lab.cluster()["members"]:
        if member["role"] != "leader":
            lab.sh(member["name"], "runuser", "-u", "postgres", "--", "psql", "-XAtc",
                   "SELECT pg_terminate_backend(pid) FROM pg_stat_wal_receiver", check=False)
    lab.wait(lab.healthy, "every replica streaming again", timeout=120, interval=2)


def test_rotated_passwords_are_deployed_verbatim_and_survive_a_failover(lab, tmp_path):
    lab.wait(lab.healthy, "a healthy cluster before the rotation", timeout=120)
    original = load_yaml(DEFAULT_INVENTORY / "group_vars" / "all" / "secrets.yml")
    lab_passwords = {a: original[f"patroni_{a}_password"] for a in ACCOUNTS}
    lab_superuser_password = lab.password
    try:
        rotated = ansible_playbook("site.yml", tmp_path, args=_vars_file(tmp_path))
        out = rotated.stdout + rotated.stderr
        assert rotated.returncode == 0, out[-4000:]
        for secret in ROTATED.values():
            assert secret not in out, "a password was printed"
        assert _files_hold(lab, ROTATED) == {}
        lab.password = ROTATED["superuser"]
        _replicas_reconnect(lab)

        runner = Runner(lab, workdir=tmp_path / "drill")
        runner.prepare()
        result = runner.run("kill_primary", "reference")
        print("\n" + summary(result))
        assert result["error"] is None, result["error"]
        assert result["lost_writes"] == 0, f"acknowledged writes lost: {result['lost_seqs']}"
        assert result["healthy_s"] is not None, "the cluster did not become whole again"
        assert all(result["checks"].values()), result["checks"]
    finally:
        restored = ansible_playbook("site.yml", tmp_path, args=[])
        lab.password = lab_superuser_password
    assert restored.returncode == 0, (restored.stdout + restored.stderr)[-4000:]
    assert _files_hold(lab, lab_passwords) == {}
    _replicas_reconnect(lab)
    assert lab.query(lab.write_port, "SELECT 1") == [(1,)]
