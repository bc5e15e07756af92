# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every row of the reference's OS-family differences table, per platform and package
source, as the roles publish it (their public facts, render.yml) and as their tasks use it
(task arguments and conditions evaluated with the roles' variables)."""

from __future__ import annotations

import pytest
import yaml

import render_tasks as tasks
from render_platforms import DB_HOSTS, OVERRIDE_HOST, OVERRIDES, PROXY_HOSTS, SOURCES, SUPPORTED, host_name
from render_reference import DISTRO_POSTGRESQL, FAMILY, POSTGRES

DB = [(p, s) for p in SUPPORTED for s in DB_HOSTS]
ALL = [(p, s) for p in SUPPORTED for s in list(DB_HOSTS) + list(PROXY_HOSTS)]


def _ids(params):
    return [f"{p}-{s}" for p, s in params]


def _host(render, platform, short):
    return render[host_name(SUPPORTED[platform], short)]


def _public(render, platform, short):
    return _host(render, platform, short)["public"]


def _vars(render, platform, short, **extra):
    p = SUPPORTED[platform]
    return tasks.variables(render, p, host_name(p, short), **extra)


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_source_and_version_reach_the_host(render, platform, short):
    source, version = SOURCES[short]
    v = _public(render, platform, short)
    assert v["patroni_postgresql_source"] == source
    assert str(v["patroni_postgresql_version"]) == (version or DISTRO_POSTGRESQL[platform])


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_postgresql_packages_and_etcd_driver(render, platform, short):
    p = SUPPORTED[platform]
    packages = _public(render, platform, short)["patroni_packages"]
    assert packages == POSTGRES[platform][short]["packages"]
    assert FAMILY[p.os_family]["etcd_driver"] in packages


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_postgresql_install_task_installs_the_resolved_packages(render, platform, short):
    p = SUPPORTED[platform]
    install = tasks.load("patroni", f"install-{p.os_family}.yml")
    module = "ansible.builtin.dnf" if p.os_family == "RedHat" else "ansible.builtin.apt"
    task = tasks.find(install, module, name="{{ patroni_packages }}")
    assert len(task) == 1, f"install-{p.os_family}.yml must install patroni_packages once"
    variables = _vars(render, platform, short)
    assert tasks.holds(task[0], variables)
    assert tasks.render(task[0].args["name"], variables) == POSTGRES[platform][short]["packages"]


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_bin_dir_and_data_dir(render, platform, short):
    v = _public(render, platform, short)
    assert v["patroni_bin_dir"] == POSTGRES[platform][short]["bin_dir"]
    assert v["patroni_data_dir"] == POSTGRES[platform][short]["data_dir"]
    config = yaml.safe_load(_host(render, platform, short)["files"]["patroni"])
    assert config["postgresql"]["bin_dir"] == POSTGRES[platform][short]["bin_dir"]
    assert config["postgresql"]["data_dir"] == POSTGRES[platform][short]["data_dir"]


@pytest.mark.parametrize("platform", list(SUPPORTED))
def test_distribution_postgresql_version(render, platform):
    """The patroni preflight accepts the release's own version for `distro` and refuses another."""
    check = tasks.find(tasks.load("patroni", "preflight.yml"), "ansible.builtin.assert")
    check = [t for t in check if t.name == "Check the distribution ships the wanted PostgreSQL"]
    assert len(check) == 1
    task = check[0]
    wanted = DISTRO_POSTGRESQL[platform]
    for version, accepted in ((wanted, True), ("15", False), ("99", False)):
        variables = _vars(render, platform, "pg3", patroni_postgresql_version=version)
        variables |= {k: tasks.render(val, variables) for k, val in task.raw["vars"].items()}
        assert tasks.holds(task, variables)  # source is distro
        assert tasks.render("{{ " + task.args["that"] + " }}", variables) is accepted, version


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_etcd_packages(render, platform, short):
    p = SUPPORTED[platform]
    assert _public(render, platform, short)["etcd_packages"] == FAMILY[p.os_family]["etcd_packages"]
    install = tasks.find(tasks.load("etcd", "install.yml"), "ansible.builtin.package")
    assert len(install) == 1
    assert tasks.render(install[0].args["name"], _vars(render, platform, short)) == FAMILY[p.os_family]["etcd_packages"]


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_etcd_env_file_and_patroni_config_file(render, platform, short):
    p = SUPPORTED[platform]
    v = _public(render, platform, short)
    assert v["etcd_config_file"] == FAMILY[p.os_family]["etcd_env_file"]
    assert v["patroni_config_file"] == FAMILY[p.os_family]["patroni_config_file"]
    write_env = tasks.find(tasks.load("etcd", "configure.yml"), "ansible.builtin.template", src="etcd.env.j2")
    assert tasks.render(write_env[0].args["dest"], _vars(render, platform, short)) == FAMILY[p.os_family]["etcd_env_file"]
    write_config = tasks.find(tasks.load("patroni", "configure.yml"), "ansible.builtin.template", src="patroni.yml.j2")
    assert len(write_config) == 1
    args = write_config[0].args
    assert tasks.render(args["dest"], _vars(render, platform, short)) == FAMILY[p.os_family]["patroni_config_file"]
    # It holds the passwords: postgres only, never logged.
    assert (args["owner"], args["mode"], write_config[0].raw.get("no_log")) == ("postgres", "0600", True)


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_auto_created_cluster(render, platform, short):
    """Debian/Ubuntu: the package's `main` cluster is prevented, and dropped while untouched;
    RHEL: nothing to drop (and no initdb, no plain postgresql service anywhere)."""
    p = SUPPORTED[platform]
    install = tasks.load("patroni", f"install-{p.os_family}.yml")
    drop = [t for t in install if t.action == "ansible.builtin.include_tasks" and t.args == "drop-default-cluster.yml"]
    variables = _vars(render, platform, short)
    if p.os_family == "RedHat":
        assert drop == []
    else:
        assert len(drop) == 1 and tasks.holds(drop[0], variables)
        names = [t.name for t in install]
        no_main = tasks.find(install, "ansible.builtin.lineinfile", path="/etc/postgresql-common/createcluster.conf")
        assert no_main and no_main[0].args["line"] == "create_main_cluster = false"
        packages = tasks.find(install, "ansible.builtin.apt", name="{{ patroni_packages }}")[0]
        assert names.index(no_main[0].name) < names.index(packages.name), "createcluster.conf must be set before the server package"
        dropcluster = tasks.find(tasks.load("patroni", "drop-default-cluster.yml"), "ansible.builtin.command")
        argv = [[str(a) for a in tasks.render(t.args["argv"], variables)]
                for t in dropcluster if t.args["argv"][0] == "pg_dropcluster"]
        version = str(_public(render, platform, short)["patroni_postgresql_version"])
        assert argv == [["pg_dropcluster", "--stop", version, FAMILY[p.os_family]["auto_cluster"]]]
    for family in ("RedHat", "Debian"):
        text = (tasks.ROLES / "patroni" / "tasks" / f"install-{family}.yml").read_text()
        assert "initdb" not in text and "postgresql-setup" not in text


@pytest.mark.parametrize(("platform", "short"), ALL, ids=_ids(ALL))
def test_firewall_tool(render, platform, short):
    """The firewall tasks that run on the host install the family's firewall and open the
    ports with its module, never the other family's."""
    p = SUPPORTED[platform]
    variables = _vars(render, platform, short)
    running = [t for t in tasks.load("common", "firewall.yml") if tasks.holds(t, variables)]
    install = [t for t in running if t.action == "ansible.builtin.package"]
    assert len(install) == 1
    assert tasks.render(install[0].args["name"], variables) == FAMILY[p.os_family]["firewall_packages"]
    modules = {"firewalld": "ansible.posix.firewalld", "ufw": "community.general.ufw"}
    wanted = modules[FAMILY[p.os_family]["firewall_tool"]]
    used = {t.action for t in running}
    assert wanted in used
    assert (set(modules.values()) - {wanted}).isdisjoint(used)


@pytest.mark.parametrize("platform", list(SUPPORTED))
def test_installed_packages_are_not_installed_again(render, platform):
    """With the host's installed packages known (common_installed_packages), every role's install
    task runs only when one of its packages is missing; unknown (the fact absent, as above) it runs."""
    p = SUPPORTED[platform]
    installs = [(role, t) for role, tasks_file in (("common", "firewall.yml"), ("etcd", "install.yml"),
                                                   ("haproxy", "main.yml"), ("keepalived", "main.yml"),
                                                   ("pgbackrest", "main.yml"))
                for t in tasks.load(role, tasks_file) if t.action == "ansible.builtin.package"]
    assert len(installs) == 5, [t.name for _role, t in installs]
    variables = _vars(render, platform, "pg1") | {
        "etcd_packages": ["etcd-server"], "haproxy_packages": ["haproxy"], "keepalived_packages": ["keepalived"],
        "pgbackrest_packages": ["pgbackrest"]}
    for role, task in installs:
        wanted = tasks.render(task.args["name"], variables)
        everything = wanted + ["postgresql-common"]
        assert not tasks.holds(task, variables | {"common_installed_packages": everything}), (p.key, role)
        assert tasks.holds(task, variables | {"common_installed_packages": everything[1:]}), (p.key, role)
        assert tasks.holds(task, variables | {"common_installed_packages": None}), (p.key, role)


@pytest.mark.parametrize(("platform", "short"), ALL, ids=_ids(ALL))
def test_host_facts_resolved(render, platform, short):
    p = SUPPORTED[platform]
    common = _public(render, platform, short)
    assert common["common_node_address"] == (DB_HOSTS | PROXY_HOSTS)[short]
    assert common["common_node_interface"] == p.interface
    assert common["common_node_subnet"] == "10.0.1.0/24"
    assert common["common_in_container"] is False


def test_inventory_values_win(render):
    """Every "empty: the OS family's" variable, when set, beats the vars files: in the
    published facts, in the tasks that use them and in the rendered files."""
    host = render[OVERRIDE_HOST]
    v = host["public"]
    for name in ("patroni_packages", "patroni_bin_dir", "patroni_data_dir", "patroni_config_file",
                 "etcd_packages", "etcd_config_file"):
        assert v[name] == OVERRIDES[name], name
    variables = tasks.variables(render, SUPPORTED["debian13"], OVERRIDE_HOST)
    install = tasks.find(tasks.load("etcd", "install.yml"), "ansible.builtin.package")[0]
    assert tasks.render(install.args["name"], variables) == OVERRIDES["etcd_packages"]
    install = tasks.find(tasks.load("patroni", "install-Debian.yml"), "ansible.builtin.apt", name="{{ patroni_packages }}")[0]
    assert tasks.render(install.args["name"], variables) == OVERRIDES["patroni_packages"]
    write_env = tasks.find(tasks.load("etcd", "configure.yml"), "ansible.builtin.template", src="etcd.env.j2")[0]
    assert tasks.render(write_env.args["dest"], variables) == OVERRIDES["etcd_config_file"]
    write_config = tasks.find(tasks.load("patroni", "configure.yml"), "ansible.builtin.template", src="patroni.yml.j2")[0]
    assert tasks.render(write_config.args["dest"], variables) == OVERRIDES["patroni_config_file"]
    config = yaml.safe_load(host["files"]["patroni"])
    assert config["postgresql"]["bin_dir"] == OVERRIDES["patroni_bin_dir"]
    assert config["postgresql"]["data_dir"] == OVERRIDES["patroni_data_dir"]
    assert config["bootstrap"]["dcs"]["postgresql"]["parameters"]["max_connections"] == 300
    assert config["bootstrap"]["dcs"]["postgresql"]["parameters"]["wal_level"] == "replica"
