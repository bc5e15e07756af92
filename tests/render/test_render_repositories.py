# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Repository set-up (the reference's "Repositories"): the install and preflight task
files' arguments and conditions evaluated per platform and package source."""

from __future__ import annotations

import pytest
import yaml

import render_tasks as tasks
from render_platforms import DB_HOSTS, SOURCES, SUPPORTED, host_name
from render_reference import (
    PGDG_APT_KEY,
    PGDG_APT_SUITE,
    PGDG_APT_URI,
    PGDG_YUM_EXTRAS,
    PGDG_YUM_KEY,
    PGDG_YUM_REPO_RPM,
)

DEB = [(p, s) for p in SUPPORTED if SUPPORTED[p].os_family == "Debian" for s in DB_HOSTS]
EL = [(p, s) for p in SUPPORTED if SUPPORTED[p].os_family == "RedHat" for s in DB_HOSTS]


def _vars(render, platform, short):
    p = SUPPORTED[platform]
    return tasks.variables(render, p, host_name(p, short))


def _running(task_list, variables):
    """The tasks that would run on a first deployment (every registered result changed), in
    order, with their arguments rendered."""
    variables = variables | tasks.registered(task_list, changed=True)
    return [(t, tasks.render(t.args, variables)) for t in task_list if tasks.holds(t, variables)]


@pytest.mark.parametrize(("platform", "short"), DEB, ids=[f"{p}-{s}" for p, s in DEB])
def test_apt_repository(render, platform, short):
    variables = _vars(render, platform, short)
    pgdg = SOURCES[short][0] == "pgdg"
    running = _running(tasks.load("patroni", "install-Debian.yml"), variables)
    actions = [t.action for t, _args in running]
    repos = [args for t, args in running if t.action == "ansible.builtin.deb822_repository"]
    if not pgdg:
        assert repos == [], "the distro source must not add PGDG"
        return
    assert repos == [{
        "name": "pgdg",
        "types": ["deb"],
        "uris": [PGDG_APT_URI],
        "suites": [PGDG_APT_SUITE[platform]],
        "components": ["main"],
        "signed_by": PGDG_APT_KEY,
    }]
    # postgresql-common (which ships the key file) first, the repository before the packages.
    first = [args["name"] for t, args in running if t.action == "ansible.builtin.apt"]
    assert first[0] == "postgresql-common"
    assert actions.index("ansible.builtin.deb822_repository") < len(actions) - 1 - actions[::-1].index("ansible.builtin.apt")


@pytest.mark.parametrize("platform", [p for p in SUPPORTED if SUPPORTED[p].os_family == "Debian"])
def test_apt_preflight_probes_the_codename(render, platform):
    variables = _vars(render, platform, "pg1")
    probe = tasks.find(tasks.load("patroni", "preflight-source-Debian.yml"), "ansible.builtin.uri")
    assert len(probe) == 1 and tasks.holds(probe[0], variables)
    assert tasks.render(probe[0].args["url"], variables) == f"{PGDG_APT_URI}/dists/{PGDG_APT_SUITE[platform]}/Release"


@pytest.mark.parametrize(("platform", "short"), EL, ids=[f"{p}-{s}" for p, s in EL])
def test_dnf_repositories(render, platform, short):
    variables = _vars(render, platform, short)
    pgdg = SOURCES[short][0] == "pgdg"
    # install-RedHat.yml imports repos-RedHat.yml first: the same order, spelled out.
    running = _running(tasks.load("patroni", "repos-RedHat.yml") + tasks.load("patroni", "install-RedHat.yml"), variables)

    def index(action, predicate):
        found = [i for i, (t, args) in enumerate(running) if t.action == action and predicate(args)]
        return found[0] if found else None

    def names(args):
        return args["name"] if isinstance(args["name"], list) else [args["name"]]

    published = render[host_name(SUPPORTED[platform], short)]["public"]
    packages = index("ansible.builtin.dnf", lambda a: a["name"] == published["patroni_packages"])
    epel = index("ansible.builtin.dnf", lambda a: a["name"] == "epel-release")
    repo_rpm = index("ansible.builtin.dnf", lambda a: a["name"] == PGDG_YUM_REPO_RPM)
    key = index("ansible.builtin.rpm_key", lambda a: a["key"] == PGDG_YUM_KEY and a.get("state", "present") == "present")
    extras = index("community.general.dnf_config_manager",
                   lambda a: PGDG_YUM_EXTRAS in names(a) and a["state"] == "enabled")
    assert packages is not None and epel is not None and epel < packages, "EPEL before the packages"
    if pgdg:
        assert None not in (repo_rpm, key, extras), (repo_rpm, key, extras)
        # The repo package carries the key; import it before anything is installed from PGDG.
        assert repo_rpm < key < extras < packages
    else:
        assert (repo_rpm, key, extras) == (None, None, None), "the distro source must not add PGDG"


@pytest.mark.parametrize("platform", [p for p in SUPPORTED if SUPPORTED[p].os_family == "RedHat"])
def test_dnf_preflight_probes_el10(render, platform):
    variables = _vars(render, platform, "pg1")
    probe = tasks.find(tasks.load("patroni", "preflight-source-RedHat.yml"), "ansible.builtin.uri")
    assert len(probe) == 1 and tasks.holds(probe[0], variables)
    assert tasks.render(probe[0].args["url"], variables) == PGDG_YUM_REPO_RPM.rsplit("/", 1)[0] + "/"


def _tasks_file(name: str) -> str:
    return name if name.endswith((".yml", ".yaml")) else name + ".yml"


def _site_sequence(family: str) -> list[tuple[str, tasks.Task]]:
    """(role, task) in the order site.yml runs them on a host of `family`."""
    def expand(role, tasks_file):
        out = []
        for t in tasks.load(role, tasks_file.replace("{{ ansible_facts['os_family'] }}", family)):
            if t.action in ("ansible.builtin.import_tasks", "ansible.builtin.include_tasks"):
                out += expand(role, t.args)
            elif t.action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                out += expand(t.args["name"].split(".")[-1], _tasks_file(t.args.get("tasks_from", "main")))
            else:
                out.append((role, t))
        return out

    def expand_tasks(task_list):
        out = []
        for t in tasks.flatten(task_list):
            if t.action in ("ansible.builtin.include_role", "ansible.builtin.import_role"):
                out += expand(t.args["name"].split(".")[-1], _tasks_file(t.args.get("tasks_from", "main")))
            else:
                out.append(("site.yml", t))
        return out

    sequence = []
    for play in yaml.safe_load((tasks.ROOT / "playbooks" / "site.yml").read_text()):
        sequence += expand_tasks(play.get("pre_tasks"))
        for role in play.get("roles", []):
            sequence += expand(role["role"].split(".")[-1], "main.yml")
        sequence += expand_tasks(play.get("tasks"))
        sequence += expand_tasks(play.get("post_tasks"))
    return sequence


def test_el_etcd_package_comes_after_its_repository():
    sequence = _site_sequence("RedHat")
    etcd_install = [i for i, (role, t) in enumerate(sequence) if role == "etcd" and t.action == "ansible.builtin.package"]
    extras = [i for i, (role, t) in enumerate(sequence)
              if t.action == "community.general.dnf_config_manager" and "extras" in str(t.args)]
    assert etcd_install and extras
    assert extras[0] < etcd_install[0]


def test_el_repository_host_gets_pgdg_before_pgbackrest():
    """The repository host runs no patroni role: the play that installs pgBackRest adds PGDG on
    it first (the database nodes have it from the patroni role)."""
    [play] = [p for p in yaml.safe_load((tasks.ROOT / "playbooks" / "site.yml").read_text())
              if any(r["role"].endswith(".pgbackrest") for r in p.get("roles", []))]
    [pre] = play["pre_tasks"]
    assert pre["ansible.builtin.include_role"] == {"name": "pgha.cluster.patroni", "tasks_from": "repos-RedHat"}
    assert "RedHat" in pre["when"] and "common_backup_group" in pre["when"]
    repo_tasks = [t.name for t in tasks.load("patroni", "repos-RedHat.yml")]
    assert "Install the PGDG repository package" in repo_tasks
