"""What the lab code knows about the cluster, read from its Ansible inventory.

Hosts, group names, addresses, ports, the Patroni scope and the VIP come from
``ansible-inventory -i <inventory> --list`` (so group_vars, host_vars and every inventory
source Ansible reads count). A variable the inventory leaves unset takes its role's default
from ``roles/<role>/defaults/main.yml``, the role being the variable's prefix
(``haproxy_write_port`` -> roles/haproxy): this module holds no default value of its own.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from dataclasses import dataclass, field, fields
from pathlib import Path

import yaml

from pgha_lab import DEFAULT_INVENTORY, ROOT
from pgha_lab.playbook import ansible_bin, ansible_env

ROLES_DIR = ROOT / "roles"

# The group whose hosts' variables hold a role's settings (the group the role runs on).
# common's variables (the group names among them) are read from the inventory's first host.
_ROLE_GROUP = {"patroni": "postgres", "etcd": "etcd", "haproxy": "haproxy", "keepalived": "haproxy"}

# Inventory field -> the variable that sets it.
_VARIABLES = {
    "vip": "keepalived_vip",
    "superuser": "patroni_superuser_username",
    "password": "patroni_superuser_password",
    "restapi_user": "patroni_restapi_username",
    "restapi_password": "patroni_restapi_password",
    "scope": "patroni_scope",
    "namespace": "patroni_namespace",
    "restapi_port": "patroni_restapi_port",
    "postgresql_port": "patroni_postgresql_port",
    "write_port": "haproxy_write_port",
    "read_port": "haproxy_read_port",
    "stats_port": "haproxy_stats_port",
    "stats_username": "haproxy_stats_username",
    "stats_password": "haproxy_stats_password",
    "etcd_client_port": "etcd_client_port",
    "etcd_peer_port": "etcd_peer_port",
    "haproxy_config_file": "haproxy_config_file",
}

_REFERENCE = re.compile(r"^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$")


class InventoryError(ValueError):
    """The inventory (or a role's defaults) does not say what the lab code needs."""


class _InventoryLoader(yaml.SafeLoader):
    """YAML as an inventory file holds it: `!unsafe` marks a plain string (Ansible never templates it)."""


_InventoryLoader.add_constructor("!unsafe", lambda loader, node: loader.construct_scalar(node))


def load_yaml(path: Path) -> dict:
    """An inventory YAML file (group_vars, the lab's secrets.yml) as a dict."""
    return yaml.load(Path(path).read_text(), Loader=_InventoryLoader) or {}  # noqa: S506 - a SafeLoader subclass


@functools.lru_cache(maxsize=None)
def role_defaults(role: str) -> dict:
    """roles/<role>/defaults/main.yml as a dict."""
    path = ROLES_DIR / role / "defaults" / "main.yml"
    return yaml.safe_load(path.read_text()) or {}


def role_default(name: str):
    """The default of variable `name` in the role its prefix names."""
    role = name.split("_", 1)[0]
    defaults = role_defaults(role)
    if name not in defaults:
        raise InventoryError(f"{name} is not set by the inventory and roles/{role}/defaults/main.yml has no default for it")
    return defaults[name]


def _plain(obj: dict):
    """ansible-inventory's JSON for a `!unsafe` value ({"__ansible_unsafe": text}) as the text."""
    return obj["__ansible_unsafe"] if obj.keys() == {"__ansible_unsafe"} else obj


def ansible_inventory(path: Path) -> dict:
    """`ansible-inventory -i path --list` as a dict."""
    argv = [ansible_bin("ansible-inventory"), "-i", str(path), "--list"]
    proc = subprocess.run(argv, cwd=ROOT, env=ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        raise InventoryError(f"{' '.join(argv)} failed (rc {proc.returncode}): {proc.stderr.strip()[-2000:]}")
    try:
        return json.loads(proc.stdout, object_hook=_plain)
    except ValueError as exc:
        raise InventoryError(f"{' '.join(argv)} printed no JSON: {proc.stdout[:500]!r}") from exc


def group_hosts(listing: dict, group: str) -> list[str]:
    """The hosts of `group` and of its children, in inventory order, each once."""
    if group not in listing:
        raise InventoryError(f"the inventory has no group {group!r} (groups: {sorted(k for k in listing if k != '_meta')})")

    def members(name: str) -> list[str]:
        entry = listing.get(name, {})  # `--list` leaves out a group without hosts
        return list(entry.get("hosts", [])) + [h for child in entry.get("children", []) for h in members(child)]

    return list(dict.fromkeys(members(group)))


@dataclass(frozen=True, kw_only=True)
class Inventory:  # pylint: disable=too-many-instance-attributes  # one field per fact the lab code uses
    """The lab cluster as its inventory describes it."""

    path: Path
    addresses: dict[str, str]
    postgres: list[str]
    etcd: list[str]
    proxies: list[str]
    #: The pgBackRest repository host (the backup group; empty: no backups).
    backup: list[str] = field(default_factory=list)
    #: The monitoring host (Prometheus, Alertmanager; the monitoring group; empty: no monitoring).
    monitoring: list[str] = field(default_factory=list)
    vip: str
    superuser: str
    password: str = field(repr=False)
    restapi_user: str
    restapi_password: str = field(repr=False)
    scope: str
    namespace: str
    restapi_port: int
    postgresql_port: int
    write_port: int
    read_port: int
    stats_port: int
    stats_username: str
    stats_password: str = field(repr=False)
    etcd_client_port: int
    etcd_peer_port: int
    haproxy_config_file: str
    #: TLS on every link (pgha_tls_enabled), and the controller directory of the cluster CA
    #: (pgha_tls_pki_dir; unset: `.pki` in the inventory directory, the role's default).
    tls: bool = True
    pki_dir: Path | None = None
    #: Where the pgha_tls role installs the CA and the host certificate on every host.
    host_tls_dir: str = "/etc/pgha/tls"
    #: libpq's sslmode for the clients through the VIP; None: verify-full against the CA with TLS.
    client_sslmode: str | None = None
    hostvars: dict[str, dict] = field(repr=False, compare=False, default_factory=dict)

    @classmethod
    def load(cls, path: Path | str | None = None):
        """Read the inventory at `path` (default: the lab's, or $PGHA_LAB_INVENTORY)."""
        path = Path(path or DEFAULT_INVENTORY)
        return cls.from_listing(path, ansible_inventory(path))

    @classmethod
    def from_listing(cls, path: Path, listing: dict):
        """Build from the JSON of `ansible-inventory --list`."""
        hostvars = listing.get("_meta", {}).get("hostvars", {})
        first = group_hosts(listing, "all")[:1]
        groups = {g: group_hosts(listing, str(variable(hostvars, first, f"common_{g}_group"))) for g in ("etcd", "postgres", "haproxy")}
        backup_group = str(variable(hostvars, first, "common_backup_group"))
        backup = group_hosts(listing, backup_group) if backup_group in listing else []
        monitoring_group = str(variable(hostvars, first, "common_monitoring_group"))
        monitoring = group_hosts(listing, monitoring_group) if monitoring_group in listing else []

        def var(name: str):
            return variable(hostvars, _role_hosts(name, groups) or first, name)

        types = {f.name: {"int": int, "str": str}[f.type] for f in fields(cls) if f.name in _VARIABLES}
        first_vars = hostvars.get(first[0], {}) if first else {}
        tls = first_vars.get("pgha_tls_enabled", role_defaults("pgha_tls")["pgha_tls_enabled"])
        pki_dir = first_vars.get("pgha_tls_pki_dir")
        return cls(
            tls=str(tls).lower() in ("true", "yes", "on", "1"),
            pki_dir=Path(pki_dir) if pki_dir and "{{" not in str(pki_dir) else path / ".pki",
            host_tls_dir=str(first_vars.get("pgha_tls_dir", role_defaults("pgha_tls")["pgha_tls_dir"])),
            path=path,
            addresses={h: str(v["common_address"]) for h, v in hostvars.items() if v.get("common_address")},
            postgres=groups["postgres"],
            etcd=groups["etcd"],
            proxies=groups["haproxy"],
            backup=backup,
            monitoring=monitoring,
            hostvars=hostvars,
            **{name: types[name](var(variable_name)) for name, variable_name in _VARIABLES.items()},
        )

    def var(self, name: str):
        """Any variable as the hosts of its role's group see it, else its role's default."""
        groups = {"postgres": self.postgres, "etcd": self.etcd, "haproxy": self.proxies}
        return variable(self.hostvars, _role_hosts(name, groups) or list(self.hostvars)[:1], name)


def _role_hosts(name: str, groups: dict[str, list[str]]) -> list[str]:
    """The hosts that run the role owning variable `name` (none for common's variables)."""
    return groups.get(_ROLE_GROUP.get(name.split("_", 1)[0], ""), [])


def variable(hostvars: dict[str, dict], hosts: list, name: str, _seen: tuple[str, ...] = ()):
    """`name` as the first of `hosts` has it, else its role's default. A value that only
    references another variable (``"{{ other }}"``) is resolved the same way."""
    hv = hostvars.get(hosts[0], {}) if hosts else {}
    value = hv[name] if name in hv else role_default(name)
    match = _REFERENCE.match(value) if isinstance(value, str) else None
    if match:
        if match.group(1) in _seen:
            raise InventoryError(f"{name} refers to itself through {' -> '.join(_seen)}")
        return variable(hostvars, hosts, match.group(1), _seen + (name,))
    if isinstance(value, str) and "{{" in value:
        raise InventoryError(f"{name} is the template {value!r}: the lab code resolves only a plain '{{{{ variable }}}}'")
    return value
