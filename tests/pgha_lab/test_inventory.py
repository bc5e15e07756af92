"""pgha_lab.inventory: the lab code's facts come from the inventory, unset ones from the roles' defaults."""

from __future__ import annotations

import base64
import shutil

import pytest
import yaml

from pgha_lab import ROOT
from pgha_lab.inventory import Inventory, InventoryError, group_hosts, load_yaml, role_default, variable

LAB = ROOT / "inventory" / "lab"


def defaults(role):
    return yaml.safe_load((ROOT / "roles" / role / "defaults" / "main.yml").read_text())


@pytest.fixture(scope="module")
def lab_inventory():
    return Inventory.load(LAB)


def test_hosts_and_addresses_are_those_of_the_lab_inventory(lab_inventory):
    groups = yaml.safe_load((LAB / "hosts.yml").read_text())["all"]["children"]
    assert lab_inventory.postgres == list(groups["postgres"]["hosts"])
    assert lab_inventory.etcd == list(groups["etcd"]["hosts"])
    assert lab_inventory.proxies == list(groups["haproxy"]["hosts"])
    wanted = {h: v["common_address"] for g in groups.values() for h, v in g["hosts"].items() if v}
    assert lab_inventory.addresses == wanted


def test_vip_and_password_come_from_the_group_vars(lab_inventory):
    """The VIP from the committed group_vars, the passwords from the generated secrets (lab/secrets.sh)."""
    group_vars = yaml.safe_load((LAB / "group_vars" / "all" / "main.yml").read_text())
    secrets = load_yaml(LAB / "group_vars" / "all" / "secrets.yml")
    assert lab_inventory.vip == group_vars["keepalived_vip"]
    assert lab_inventory.password == secrets["patroni_superuser_password"]
    assert lab_inventory.restapi_password == secrets["patroni_restapi_password"]
    for secret in ("patroni_superuser_password", "patroni_restapi_password", "haproxy_stats_password"):
        assert secrets[secret] not in repr(lab_inventory), secret


def test_tls_settings_come_from_the_inventory(lab_inventory, tmp_path):
    """TLS is on (the pgha_tls role's default); the CA directory is the one lab/secrets.sh wrote;
    without pgha_tls_pki_dir it is `.pki` in the inventory directory (the role's default)."""
    secrets = load_yaml(LAB / "group_vars" / "all" / "secrets.yml")
    assert lab_inventory.tls is True
    assert str(lab_inventory.pki_dir) == secrets["pgha_tls_pki_dir"] == str((LAB / ".pki").resolve())
    inv = tmp_path / "inventory"
    shutil.copytree(LAB, inv, ignore=shutil.ignore_patterns(".pki"))
    (inv / "group_vars" / "all" / "secrets.yml").write_text("patroni_superuser_password: x\n")
    (inv / "group_vars" / "all" / "tls.yml").write_text("pgha_tls_enabled: false\n")
    plain = Inventory.load(inv)
    assert plain.tls is False and plain.pki_dir == inv / ".pki"


@pytest.mark.parametrize("field, variable_name, role", [
    ("restapi_port", "patroni_restapi_port", "patroni"),
    ("postgresql_port", "patroni_postgresql_port", "patroni"),
    ("scope", "patroni_scope", "patroni"),
    ("namespace", "patroni_namespace", "patroni"),
    ("superuser", "patroni_superuser_username", "patroni"),
    ("write_port", "haproxy_write_port", "haproxy"),
    ("read_port", "haproxy_read_port", "haproxy"),
    ("stats_port", "haproxy_stats_port", "haproxy"),
    ("stats_username", "haproxy_stats_username", "haproxy"),
    ("haproxy_config_file", "haproxy_config_file", "haproxy"),
    ("etcd_client_port", "etcd_client_port", "etcd"),
    ("etcd_peer_port", "etcd_peer_port", "etcd"),
])
def test_what_the_lab_inventory_leaves_unset_is_the_roles_default(lab_inventory, field, variable_name, role):
    assert getattr(lab_inventory, field) == defaults(role)[variable_name]


def test_an_inventory_override_wins(tmp_path):
    inv = tmp_path / "inventory"
    shutil.copytree(LAB, inv)
    all_vars = yaml.safe_load((inv / "group_vars" / "all" / "main.yml").read_text())
    all_vars.update(haproxy_write_port=6543, patroni_scope="other-cluster")
    (inv / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(all_vars))
    (inv / "group_vars" / "postgres.yml").write_text("patroni_restapi_port: 8010\n")
    read = Inventory.load(inv)
    assert read.write_port == 6543
    assert read.scope == "other-cluster"
    assert read.restapi_port == 8010  # set for the postgres group only, where Patroni runs
    assert read.read_port == defaults("haproxy")["haproxy_read_port"]


def _with_stats_password(tmp_path, password):
    inv = tmp_path / "inventory"
    shutil.copytree(LAB, inv)
    (inv / "group_vars" / "haproxy.yml").write_text(yaml.safe_dump({"haproxy_stats_password": password}))
    return inv


def test_stats_password_comes_from_the_proxies_vars_and_is_not_shown(tmp_path):
    read = Inventory.load(_with_stats_password(tmp_path, "stats-secret-1"))
    assert read.stats_password == "stats-secret-1"
    assert "stats-secret-1" not in repr(read)


def test_stats_page_is_read_on_the_first_proxy_with_basic_auth(tmp_path):
    """Not through the VIP: the stats page listens on each proxy's own address, behind basic auth."""
    from pgha_lab.lab import Lab  # pylint: disable=import-outside-toplevel

    lab = Lab.load(_with_stats_password(tmp_path, "stats-secret-1"))
    request = lab.haproxy_stats_request()
    first = lab.proxies[0]
    assert request.full_url == f"https://{lab.addresses[first]}:{lab.stats_port}/;csv"
    assert lab.vip not in request.full_url
    kind, credentials = request.get_header("Authorization").split()
    assert (kind, base64.b64decode(credentials).decode()) == ("Basic", f"{lab.stats_username}:stats-secret-1")
    assert lab.haproxy_stats_request(lab.proxies[1]).full_url.startswith(f"https://{lab.addresses[lab.proxies[1]]}:")


def test_renamed_groups_are_followed(tmp_path):
    inv = tmp_path / "inventory"
    shutil.copytree(LAB, inv)
    hosts = yaml.safe_load((inv / "hosts.yml").read_text())
    hosts["all"]["children"]["db"] = hosts["all"]["children"].pop("postgres")
    (inv / "hosts.yml").write_text(yaml.safe_dump(hosts))
    all_vars = yaml.safe_load((inv / "group_vars" / "all" / "main.yml").read_text())
    (inv / "group_vars" / "all" / "main.yml").write_text(yaml.safe_dump(dict(all_vars, common_postgres_group="db")))
    assert Inventory.load(inv).postgres == list(hosts["all"]["children"]["db"]["hosts"])


def test_group_hosts_follows_children_and_skips_groups_without_hosts():
    listing = {"all": {"children": ["ungrouped", "db"]}, "db": {"children": ["db_a", "db_b"]},
               "db_a": {"hosts": ["a1", "a2"]}, "db_b": {"hosts": ["a2", "b1"]}}
    assert group_hosts(listing, "all") == ["a1", "a2", "b1"]
    with pytest.raises(InventoryError, match="no group 'proxies'"):
        group_hosts(listing, "proxies")


def test_a_plain_reference_is_resolved_and_a_template_refused():
    hostvars = {"h": {"haproxy_write_port": "{{ haproxy_read_port }}", "haproxy_stats_port": "{{ 7000 + 1 }}"}}
    assert variable(hostvars, ["h"], "haproxy_write_port") == role_default("haproxy_read_port")
    with pytest.raises(InventoryError, match="template"):
        variable(hostvars, ["h"], "haproxy_stats_port")


def test_a_variable_no_role_defines_is_named():
    with pytest.raises(InventoryError, match="haproxy_no_such_thing .*roles/haproxy/defaults/main.yml"):
        role_default("haproxy_no_such_thing")
