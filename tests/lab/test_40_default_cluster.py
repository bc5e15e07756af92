"""Debian's packages create a `main` cluster on install. pgha drops it only
while it is the untouched default: a cluster holding data is never dropped.

Runs on a throw-away container of the lab image (not one of the lab hosts),
on docker's default bridge, which reaches Debian's archive like the lab does.
"""

import json
import subprocess
import uuid

import pytest

from pgha_lab.playbook import ansible_playbook, recap

IMAGE = "pgha/debian13-systemd:latest"
RUN_FLAGS = [
    "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined", "--cgroupns=host",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw", "--tmpfs", "/run", "--tmpfs", "/run/lock", "--tmpfs", "/tmp",
]


@pytest.fixture(scope="module")
def used_host(lab, tmp_path_factory):
    """A host where PostgreSQL 17 was installed before pgha and a table was stored."""
    name = f"pgha-default-{uuid.uuid4().hex[:6]}"
    lab.docker("run", "-d", "--name", name, "--hostname", name, *RUN_FLAGS, IMAGE, "/lib/systemd/systemd")
    try:
        lab.wait(lambda: lab.sh(name, "systemctl", "is-system-running", check=False).stdout.strip() in ("running", "degraded"),
                 f"{name} to boot", timeout=60)
        lab.sh(name, "sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-17",
               timeout=600)
        lab.sh(name, "runuser", "-u", "postgres", "--", "psql", "-XAtc", "CREATE TABLE keepme (x int); INSERT INTO keepme VALUES (42)")
        inventory = tmp_path_factory.mktemp("inv") / "hosts.yml"
        inventory.write_text(f"all:\n  hosts:\n    {name}:\n      ansible_connection: community.docker.docker\n"
                             "      ansible_python_interpreter: /usr/bin/python3\n")
        yield name, inventory
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def clusters(lab, host):
    return json.loads(lab.sh(host, "pg_lsclusters", "--json").stdout or "[]")


def test_a_default_cluster_holding_data_is_never_dropped(lab, used_host, tmp_path):
    host, inventory = used_host
    result = ansible_playbook("tests/lab/playbooks/install_patroni_packages.yml", tmp_path, inventory=inventory)
    out = result.stdout + result.stderr
    assert result.returncode != 0, out[-3000:]
    assert "pgha will not drop it" in out and "patroni_data_dir" in out, out[-3000:]
    assert [c["cluster"] for c in clusters(lab, host)] == ["main"]
    rows = lab.sh(host, "runuser", "-u", "postgres", "--", "psql", "-XAtc", "SELECT x FROM keepme").stdout.split()
    assert rows == ["42"]


def test_the_untouched_default_cluster_is_dropped(lab, used_host, tmp_path):
    host, inventory = used_host
    lab.sh(host, "runuser", "-u", "postgres", "--", "psql", "-XAtc", "DROP TABLE keepme")
    result = ansible_playbook("tests/lab/playbooks/install_patroni_packages.yml", tmp_path, inventory=inventory)
    assert result.returncode == 0, result.stdout[-3000:]
    assert clusters(lab, host) == []
    again = ansible_playbook("tests/lab/playbooks/install_patroni_packages.yml", tmp_path, inventory=inventory)
    assert again.returncode == 0, again.stdout[-3000:]
    assert recap(again.stdout)[host]["changed"] == 0
