"""Backups and point-in-time restore with pgBackRest, on the deployed lab (the backup group:
bk1, the repository host): the archive works and the backups are scheduled, a wiped replica
comes back from the repository (no pg_basebackup from the primary), restore.yml refuses what it
cannot do before anything stops, and a DROP TABLE is undone by a restore to a named restore
point with every acknowledged row before it and none after it (pgha_lab/restore.py, whose
`python -m pgha_lab.restore` runs the time, LSN and name drills)."""

from __future__ import annotations

from dataclasses import asdict

import pytest

from pgha_lab import restore
from pgha_lab.playbook import ansible_playbook, recap


def _pgbackrest(lab, host, *argv, check=True):
    return lab.sh(host, "runuser", "-u", "postgres", "--", "pgbackrest", f"--stanza={lab.scope}", *argv, check=check)


def test_the_archive_works_and_the_backups_are_scheduled(lab):
    [repo] = lab.backup
    assert _pgbackrest(lab, repo, "check").returncode == 0
    for kind in ("full", "diff"):
        assert lab.sh(repo, "systemctl", "is-active", f"pgha-backup-{kind}.timer").stdout.strip() == "active"
    # The repository passphrase: in the repository host's file alone, which only its user reads.
    assert lab.sh(repo, "stat", "-c", "%U %a", "/etc/pgbackrest/pgbackrest.conf").stdout.split() == ["postgres", "600"]
    assert "repo1-cipher-pass=" in lab.sh(repo, "cat", "/etc/pgbackrest/pgbackrest.conf").stdout
    for host in lab.postgres:
        assert "repo1-cipher-pass" not in lab.sh(host, "cat", "/etc/pgbackrest/pgbackrest.conf").stdout
    dcs = lab.dcs_config()["postgresql"]
    assert dcs["parameters"]["archive_mode"] == "on"
    assert "archive-push" in dcs["parameters"]["archive_command"]
    assert "archive-get" in dcs["recovery_conf"]["restore_command"]


def test_a_wiped_replica_comes_back_from_the_repository(lab, tmp_path):
    lab.wait(lab.healthy, "a healthy cluster", timeout=180)
    result = ansible_playbook("playbooks/backup.yml", tmp_path, {"backup_type": "full"})
    assert result.returncode == 0, result.stdout[-3000:]
    leader = lab.leader()["name"]
    replica = next(m["name"] for m in lab.cluster()["members"] if m["role"] == "replica")
    since = lab.sh(replica, "date", "+%Y-%m-%d %H:%M:%S").stdout.strip()
    lab.sh(replica, "systemctl", "stop", "patroni")
    lab.sh(replica, "rm", "-rf", lab.data_dir(replica))
    lab.sh(replica, "systemctl", "start", "patroni")
    lab.wait(lab.healthy, "the wiped replica streaming again", timeout=300)
    journal = lab.sh(replica, "journalctl", "-u", "patroni", "--since", since, "--no-pager").stdout
    assert "replica has been created using pgbackrest" in journal, journal[-3000:]
    assert "basebackup" not in journal, "the replica fell back to pg_basebackup"
    assert lab.leader()["name"] == leader


@pytest.mark.parametrize("extra, named", [
    ({}, "Confirm it with -e restore_confirm="),
    ({"restore_confirm": "some-other-cluster"}, "Confirm it with -e restore_confirm="),
    ({"restore_target_type": "time", "restore_target": "2001-01-01 00:00:00+00"},
     "is before the stop of the oldest backup"),
    ({"restore_target_type": "lsn", "restore_target": "FF/0"}, "is not before the end of the archive"),
    ({"restore_target_type": "time"}, "need restore_target"),
], ids=["no-confirmation", "wrong-confirmation", "time-before-the-oldest-backup", "lsn-past-the-archive",
        "time-without-target"])
def test_restore_refuses_before_anything_stops(lab, tmp_path, extra, named):
    lab.wait(lab.healthy, "a healthy cluster", timeout=180)
    before = {m["name"]: (m["role"], m["timeline"]) for m in lab.cluster()["members"]}
    pids = {h: lab.sh(h, "systemctl", "show", "-p", "MainPID", "--value", "patroni").stdout.strip() for h in lab.postgres}
    confirm = {} if "restore_confirm" in extra or not extra else {"restore_confirm": lab.scope}
    result = ansible_playbook("playbooks/restore.yml", tmp_path, {**confirm, **extra})
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert named in out, out[-3000:]
    assert "Stop Patroni" not in out, "the run went past the checks"
    assert all(r["changed"] == 0 for r in recap(out).values()), out[-2000:]
    assert {m["name"]: (m["role"], m["timeline"]) for m in lab.cluster()["members"]} == before
    assert {h: lab.sh(h, "systemctl", "show", "-p", "MainPID", "--value", "patroni").stdout.strip()
            for h in lab.postgres} == pids


def test_drop_table_is_undone_by_a_restore_to_a_named_point(lab, tmp_path):
    outcome = restore.drill(lab, tmp_path, "name", disaster=True, seconds=2.0)
    detail = asdict(outcome)
    assert outcome.rows_before > 0 and outcome.rows_after > 0, detail
    assert outcome.missing_before == [], detail
    assert outcome.present_after == [], detail
    assert outcome.timeline_after > outcome.timeline_before, detail
    assert outcome.members_streaming == 3 and outcome.write_after, detail
    # The directories the restore kept aside, then removed only when asked.
    aside = [h for h in lab.postgres if lab.sh(h, "sh", "-c", f"ls -d {lab.data_dir(h)}.pre-restore-*", check=False).returncode == 0]
    assert aside == lab.postgres
    result = ansible_playbook("playbooks/restore.yml", tmp_path, {"restore_cleanup": True})
    assert result.returncode == 0, result.stdout[-3000:]
    assert all(lab.sh(h, "sh", "-c", f"ls -d {lab.data_dir(h)}.pre-restore-*", check=False).returncode != 0
               for h in lab.postgres)
