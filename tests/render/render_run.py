# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Offline ansible-playbook runs against faked hosts: the inventory of a faked cluster,
a work directory (config, fact cache, the collection linked from this checkout) and the
run itself. Every host connects locally and its facts come from the fact cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from render_platforms import BACKUP_HOSTS, DB_HOSTS, PROXY_HOSTS, SOURCES, VIP, Platform, facts, host_name

ROOT = Path(__file__).resolve().parents[2]
ROLE_GROUPS = ("etcd", "postgres", "haproxy")

FILL_FACT_CACHE = """
import json, sys
from ansible import constants as C
from ansible.plugins.loader import cache_loader
cache = cache_loader.get(C.CACHE_PLUGIN)
for host, facts in json.loads(open(sys.argv[1]).read()).items():
    cache.set(host, facts)
"""


# Host variables for a site.yml preflight run on the faked cluster: pg3 (the distro source in
# SOURCES) installs from PGDG too, so every package source probe goes to the pgdg_mirror
# fixture's local server and none to the controller's own apt (parallel runs would contend
# for its lock, and apt on the CI machine is not the faked host's).
LOCAL_SOURCE_PROBES = {"pg3": {"patroni_postgresql_source": "pgdg"}}


def inventory(children: dict) -> dict:
    """An inventory of local hosts with the settings every cluster needs (VIP, passwords)."""
    return {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "keepalived_vip": VIP,
                "keepalived_vip_prefix": 24,
                "keepalived_auth_pass": "tst-vrrp",
                "patroni_superuser_password": "test-superuser-secret",
                "patroni_replication_password": "test-replicator-secret",
                "patroni_rewind_password": "test-rewind-secret",
                "patroni_restapi_password": "test-restapi-secret",
                "haproxy_stats_password": "test-stats-secret",
                # The faked hosts are this machine: its own PostgreSQL data, if any, is not theirs.
                "patroni_preflight_data_roots": [],
                # The common preflight's listener scan is not an always-tagged task: no faked host
                # has a listener.
                "common_listeners": [],
            },
            "hosts": {"localhost": {}},
            "children": children,
        }
    }


def cluster(
    key: str,
    platform: Platform,
    cache: dict,
    *,
    groups: dict[str, str] | None = None,
    cluster_vars: dict | None = None,
    group_vars: dict[str, dict] | None = None,
    host_vars: dict[str, dict] | None = None,
    backup: bool = False,
) -> dict:
    """The reference's five hosts as one inventory group (etcd and PostgreSQL on pg1-3, the
    proxies on ha1-2), their facts added to `cache`.

    groups: the inventory group of each role group ('etcd', 'postgres', 'haproxy'), by default
    `<key>_<role group>`, named to the roles through common_*_group; cluster_vars: vars of the
    whole cluster; group_vars: vars of one role group; host_vars: extra vars per short host name;
    backup: add the pgBackRest repository host bk1 in the group `<key>_backup`."""
    groups = groups or {g: f"{key}_{g}" for g in ROLE_GROUPS}
    group_vars = group_vars or {}
    host_vars = host_vars or {}
    db, proxies = {}, {}
    for short, address in DB_HOSTS.items():
        source, version = SOURCES[short]
        db[host_name(key, short)] = {
            "common_address": address,
            "patroni_postgresql_source": source,
            "patroni_postgresql_version": int(version or platform.distro_postgresql),
            **host_vars.get(short, {}),
        }
    for short, address in PROXY_HOSTS.items():
        proxies[host_name(key, short)] = {"common_address": address, **host_vars.get(short, {})}
    repo = {host_name(key, short): {"common_address": address} for short, address in BACKUP_HOSTS.items()} if backup else {}
    for name, hostvars in (db | proxies | repo).items():
        cache[name] = facts(platform, name, hostvars["common_address"])
    members = {"etcd": {n: None for n in db}, "postgres": db, "haproxy": proxies}
    result = {
        "vars": {f"common_{g}_group": groups[g] for g in ROLE_GROUPS} | (cluster_vars or {}),
        "children": {groups[g]: {"hosts": members[g], "vars": group_vars.get(g, {})} for g in ROLE_GROUPS},
    }
    # Every cluster names its own backup group: without one it is empty (no backups).
    result["vars"]["common_backup_group"] = f"{key}_backup"
    if backup:
        result["vars"]["pgbackrest_repo_cipher_pass"] = "test-repository-passphrase-0123456789"
        result["children"][f"{key}_backup"] = {"hosts": repo}
    return result


def prepare(work: Path, inventory: dict, cache: dict) -> dict[str, str]:
    """Write the inventory, the Ansible config and the fact cache into `work`; the environment to run in."""
    (work / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (work / "facts.json").write_text(json.dumps(cache))
    link = work / "collections" / "ansible_collections" / "pgha" / "cluster"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    (work / "ansible.cfg").write_text(
        "[defaults]\n"
        f"collections_path = {work / 'collections'}\n"
        "gathering = smart\n"
        "fact_caching = jsonfile\n"
        f"fact_caching_connection = {work / 'facts'}\n"
        "fact_caching_prefix = facts_\n"
        "fact_caching_timeout = 0\n"
        "forks = 10\n"
        "retry_files_enabled = False\n"
        "stdout_callback = ansible.builtin.default\n"
        "callback_result_format = yaml\n"
        "interpreter_python = auto_silent\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(work / "ansible.cfg"), ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
               ANSIBLE_HOME=str(work / "home"), ANSIBLE_NOCOLOR="1")
    # Fill the fact cache through Ansible's own cache plugin (its on-disk format is internal).
    subprocess.run([sys.executable, "-c", FILL_FACT_CACHE, str(work / "facts.json")], env=env, check=True, timeout=120)
    return env


def ansible_playbook(work: Path, env: dict[str, str], *args: str) -> subprocess.Popen:
    """Start ansible-playbook on the work directory's inventory, its output going to
    ansible-playbook.log (stdout) and ansible-playbook.err (stderr) there."""
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(work / "hosts.yml"), *args]
    with open(work / "ansible-playbook.log", "w") as out, open(work / "ansible-playbook.err", "w") as err:
        return subprocess.Popen(argv, env=env, cwd=work, stdout=out, stderr=err, text=True)


def output(work: Path) -> str:
    return (work / "ansible-playbook.log").read_text() + (work / "ansible-playbook.err").read_text()


# At most this many ansible-playbook runs at once (each forks per host). The default starts them
# all: on CI's 2 cores beside Molecule's lab, 3 at a time kept the load average at 12-18 instead of
# a burst of 28, but `make unit` took 29.6 min instead of about 24 and the checks ran further into
# Molecule's verify (.ci/run at 312d4ad). Set PGHA_RENDER_PARALLEL lower on a machine with less memory.
PARALLEL_RUNS = int(os.environ.get("PGHA_RENDER_PARALLEL", "64"))


# A run still going after this many seconds hangs: it is killed (rc None). Only a guard against a
# hang, never a speed limit: with every run started at once on CI's 2 cores beside Molecule, the
# later runs took more than 600 s (the former limit; CI on cb47bc6 killed one of them).
HANG_AFTER = float(os.environ.get("PGHA_RENDER_HANG_AFTER", "3600"))


def run_all(starts: dict, timeout: float = HANG_AFTER) -> dict:
    """case -> (work, rc) for each case -> start() (returning (work, Popen)), PARALLEL_RUNS at a time;
    a run past `timeout` seconds is killed (rc None)."""
    pending, running, done = list(starts.items()), {}, {}
    while pending or running:
        while pending and len(running) < PARALLEL_RUNS:
            case, start = pending.pop(0)
            running[case] = (*start(), time.monotonic())
        for case, (work, proc, began) in list(running.items()):
            if proc.poll() is None:
                if time.monotonic() - began < timeout:
                    continue
                proc.kill()
                proc.wait()
                done[case] = (work, None)
            else:
                done[case] = (work, proc.returncode)
            del running[case]
        time.sleep(0.2)
    return done


def describe(rc: int | None) -> str:
    """How a run of run_all ended, for a failure message."""
    return f"killed: still running after {HANG_AFTER:.0f} s" if rc is None else f"rc={rc}"
