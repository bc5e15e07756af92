# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every row of the reference's OS-family differences table, per platform and package
source, as the roles resolve it (render.yml) and as their tasks use it."""

from __future__ import annotations

import pytest
import yaml

import render_tasks as tasks
from render_platforms import DB_HOSTS, OVERRIDE_HOST, OVERRIDES, PROXY_HOSTS, SOURCES, SUPPORTED, facts, host_name
from render_reference import DISTRO_POSTGRESQL, FAMILY, POSTGRES

DB = [(p, s) for p in SUPPORTED for s in DB_HOSTS]
ALL = [(p, s) for p in SUPPORTED for s in list(DB_HOSTS) + list(PROXY_HOSTS)]


def _ids(params):
    return [f"{p}-{s}" for p, s in params]


def _host(render, platform, short):
    return render[host_name(SUPPORTED[platform], short)]


def _vars(render, platform, short, **extra):
    p = SUPPORTED[platform]
    name = host_name(p, short)
    return tasks.variables(facts(p, name, (DB_HOSTS | PROXY_HOSTS)[short]), render[name]["vars"], **extra)


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_source_and_version_reach_the_host(render, platform, short):
    source, version = SOURCES[short]
    v = _host(render, platform, short)["vars"]
    assert v["patroni_postgresql_source"] == source
    assert str(v["patroni_postgresql_version"]) == (version or DISTRO_POSTGRESQL[platform])


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_postgresql_packages_and_etcd_driver(render, platform, short):
    p = SUPPORTED[platform]
    packages = _host(render, platform, short)["vars"]["__patroni_packages_resolved"]
    assert packages == POSTGRES[platform][short]["packages"]
    assert FAMILY[p.os_family]["etcd_driver"] in packages


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_postgresql_install_task_installs_the_resolved_packages(render, platform, short):
    p = SUPPORTED[platform]
    install = tasks.load("patroni", f"install-{p.os_family}.yml")
    module = "ansible.builtin.dnf" if p.os_family == "RedHat" else "ansible.builtin.apt"
    task = tasks.find(install, module, name="{{ __patroni_packages_resolved }}")
    assert len(task) == 1, f"install-{p.os_family}.yml must install __patroni_packages_resolved once"
    variables = _vars(render, platform, short)
    assert tasks.holds(task[0], variables)
    assert tasks.render(task[0].args["name"], variables) == POSTGRES[platform][short]["packages"]


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_bin_dir_and_data_dir(render, platform, short):
    v = _host(render, platform, short)["vars"]
    assert v["__patroni_bin_dir_resolved"] == POSTGRES[platform][short]["bin_dir"]
    assert v["__patroni_data_dir_resolved"] == POSTGRES[platform][short]["data_dir"]
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
    v = _host(render, platform, "pg3")["vars"]
    assert v["__patroni_distro_versions"][SUPPORTED[platform].major] == DISTRO_POSTGRESQL[platform]
    wanted = DISTRO_POSTGRESQL[platform]
    for version, accepted in ((wanted, True), ("15", False), ("99", False)):
        variables = _vars(render, platform, "pg3", patroni_postgresql_version=version)
        variables |= {k: tasks.render(val, variables) for k, val in task.raw["vars"].items()}
        assert tasks.holds(task, variables)  # source is distro
        assert tasks.render("{{ " + task.args["that"] + " }}", variables) is accepted, version


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_etcd_packages(render, platform, short):
    p = SUPPORTED[platform]
    v = _host(render, platform, short)["vars"]
    assert v["__etcd_packages"] == FAMILY[p.os_family]["etcd_packages"]
    install = tasks.find(tasks.load("etcd", "install.yml"), "ansible.builtin.package")
    assert len(install) == 1
    assert tasks.render(install[0].args["name"], _vars(render, platform, short)) == FAMILY[p.os_family]["etcd_packages"]


@pytest.mark.parametrize(("platform", "short"), DB, ids=_ids(DB))
def test_etcd_env_file_and_patroni_config_file(render, platform, short):
    p = SUPPORTED[platform]
    v = _host(render, platform, short)["vars"]
    assert v["__etcd_env_file"] == FAMILY[p.os_family]["etcd_env_file"]
    assert v["__patroni_config_file_resolved"] == FAMILY[p.os_family]["patroni_config_file"]
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
    v = _host(render, platform, short)["vars"]
    assert v["__patroni_auto_cluster"] == FAMILY[p.os_family]["auto_cluster"]
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
        packages = tasks.find(install, "ansible.builtin.apt", name="{{ __patroni_packages_resolved }}")[0]
        assert names.index(no_main[0].name) < names.index(packages.name), "createcluster.conf must be set before the server package"
        dropcluster = tasks.find(tasks.load("patroni", "drop-default-cluster.yml"), "ansible.builtin.command")
        argv = [[str(a) for a in tasks.render(t.args["argv"], variables)]
                for t in dropcluster if t.args["argv"][0] == "pg_dropcluster"]
        version = str(v["patroni_postgresql_version"])
        assert argv == [["pg_dropcluster", "--stop", version, "main"]]
    for family in ("RedHat", "Debian"):
        text = (tasks.ROLES / "patroni" / "tasks" / f"install-{family}.yml").read_text()
        assert "initdb" not in text and "postgresql-setup" not in text


@pytest.mark.parametrize(("platform", "short"), ALL, ids=_ids(ALL))
def test_firewall_tool(render, platform, short):
    p = SUPPORTED[platform]
    common = _host(render, platform, short)["common"]
    assert common["firewall_tool"] == FAMILY[p.os_family]["firewall_tool"]
    assert common["firewall_packages"] == FAMILY[p.os_family]["firewall_packages"]
    firewall = tasks.load("common", "firewall.yml")
    variables = _vars(render, platform, short, __common_firewall_tool=common["firewall_tool"],
                      common_firewall_enabled=True, common_in_container=False,
                      common_haproxy_group="haproxy", group_names=["etcd", "postgres"])
    used = {t.action for t in firewall if tasks.holds(t, variables)}
    expected = {"firewalld": "ansible.posix.firewalld", "ufw": "community.general.ufw"}
    assert expected[common["firewall_tool"]] in used
    assert (set(expected.values()) - {expected[common["firewall_tool"]]}).isdisjoint(used)


@pytest.mark.parametrize(("platform", "short"), ALL, ids=_ids(ALL))
def test_host_facts_resolved(render, platform, short):
    p = SUPPORTED[platform]
    common = _host(render, platform, short)["common"]
    assert common["node_address"] == (DB_HOSTS | PROXY_HOSTS)[short]
    assert common["node_interface"] == p.interface
    assert common["node_subnet"] == "10.0.1.0/24"
    assert common["in_container"] is False


def test_inventory_values_win(render):
    """Every "empty: the OS family's" variable, when set, beats the vars files."""
    host = render[OVERRIDE_HOST]
    v = host["vars"]
    assert v["__patroni_packages_resolved"] == OVERRIDES["patroni_packages"]
    assert v["__patroni_bin_dir_resolved"] == OVERRIDES["patroni_bin_dir"]
    assert v["__patroni_data_dir_resolved"] == OVERRIDES["patroni_data_dir"]
    assert v["__patroni_config_file_resolved"] == OVERRIDES["patroni_config_file"]
    install = tasks.find(tasks.load("etcd", "install.yml"), "ansible.builtin.package")[0]
    variables = tasks.variables(facts(SUPPORTED["debian13"], OVERRIDE_HOST, "10.0.1.14"), v)
    assert tasks.render(install.args["name"], variables) == OVERRIDES["etcd_packages"]
    config = yaml.safe_load(host["files"]["patroni"])
    assert config["postgresql"]["bin_dir"] == OVERRIDES["patroni_bin_dir"]
    assert config["postgresql"]["data_dir"] == OVERRIDES["patroni_data_dir"]
    assert config["bootstrap"]["dcs"]["postgresql"]["parameters"]["max_connections"] == 300
    assert config["bootstrap"]["dcs"]["postgresql"]["parameters"]["wal_level"] == "replica"
