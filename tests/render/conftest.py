# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Resolve the roles' variables and render their templates for faked platforms.

One `ansible-playbook` run (tests/render/render.yml) does it all, offline and without
containers: the hosts' facts are written into a jsonfile fact cache, the roles are
included the way site.yml includes them, and only their `always`-tagged tasks run
(argument validation, include_vars, set_fact), in check mode. Ansible itself resolves
defaults, vars/main.yml, the OS-family vars files and the inventory, and renders the
templates. The result is one JSON file, read by the `rendered` fixture.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).parent))

from render_platforms import (  # noqa: E402
    DB_HOSTS,
    OVERRIDE_HOST,
    OVERRIDES,
    PROXY_HOSTS,
    SOURCES,
    SUPPORTED,
    UNSUPPORTED,
    VIP,
    facts,
    host_name,
)

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent

FILL_FACT_CACHE = """
import json, sys
from ansible import constants as C
from ansible.plugins.loader import cache_loader
cache = cache_loader.get(C.CACHE_PLUGIN)
for host, facts in json.loads(open(sys.argv[1]).read()).items():
    cache.set(host, facts)
"""


def _inventory() -> tuple[dict, dict]:
    """The inventory and the fact cache (host -> facts)."""
    cache: dict[str, dict] = {}
    supported: dict = {"children": {}}
    for p in SUPPORTED.values():
        etcd, postgres, haproxy = f"{p.key}_etcd", f"{p.key}_postgres", f"{p.key}_haproxy"
        db = {}
        for short, address in DB_HOSTS.items():
            name = host_name(p, short)
            source, version = SOURCES[short]
            db[name] = {
                "common_address": address,
                "patroni_postgresql_source": source,
                "patroni_postgresql_version": int(version or p.distro_postgresql),
            }
            cache[name] = facts(p, name, address)
        proxies = {}
        for short, address in PROXY_HOSTS.items():
            name = host_name(p, short)
            proxies[name] = {"common_address": address}
            cache[name] = facts(p, name, address)
        supported["children"][p.key] = {
            "vars": {"common_etcd_group": etcd, "common_postgres_group": postgres, "common_haproxy_group": haproxy},
            "children": {
                etcd: {"hosts": {n: None for n in db}},
                postgres: {"hosts": db},
                haproxy: {"hosts": proxies},
            },
        }
    debian13 = SUPPORTED["debian13"]
    cache[OVERRIDE_HOST] = facts(debian13, OVERRIDE_HOST, "10.0.1.14")
    supported["children"]["custom"] = {
        "vars": {"common_etcd_group": "debian13_etcd", "common_postgres_group": "custom_postgres",
                 "common_haproxy_group": "custom_haproxy"},
        "children": {
            "custom_postgres": {"hosts": {OVERRIDE_HOST: {"common_address": "10.0.1.14", **OVERRIDES}}},
            "custom_haproxy": {"hosts": {}},
        },
    }
    unsupported: dict = {"hosts": {}}
    for p in UNSUPPORTED.values():
        name = f"{p.key}-pg1"
        unsupported["hosts"][name] = {"common_address": "10.0.1.11"}
        cache[name] = facts(p, name, "10.0.1.11")
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": sys.executable,
                "keepalived_vip": VIP,
                "keepalived_vip_prefix": 24,
                "keepalived_auth_pass": "test-vrrp",
                "patroni_superuser_password": "test-superuser-secret",
                "patroni_replication_password": "test-replicator-secret",
                "patroni_rewind_password": "test-rewind-secret",
            },
            "hosts": {"localhost": {}},
            "children": {"supported": supported, "unsupported": unsupported},
        }
    }
    return inventory, cache


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict:
    """{'render': {host: {...}}, 'preflight': {host: {...}}} from one ansible-playbook run."""
    work = tmp_path_factory.mktemp("render")
    inventory, cache = _inventory()
    (work / "hosts.yml").write_text(yaml.safe_dump(inventory, sort_keys=False))
    (work / "facts.json").write_text(json.dumps(cache))
    link = work / "collections" / "ansible_collections" / "pgha" / "cluster"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    (work / "ansible.cfg").write_text(
        "[defaults]\n"
        f"collections_path = {work / 'collections'}\n"
        "gathering = explicit\n"
        "fact_caching = jsonfile\n"
        f"fact_caching_connection = {work / 'facts'}\n"
        "fact_caching_prefix = facts_\n"
        "fact_caching_timeout = 0\n"
        "forks = 10\n"
        "host_key_checking = False\n"
        "retry_files_enabled = False\n"
        "stdout_callback = ansible.builtin.default\n"
        "callback_result_format = yaml\n"
        "interpreter_python = auto_silent\n"
    )
    out = work / "rendered.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(work / "ansible.cfg"), ANSIBLE_LOCAL_TEMP=str(work / "tmp"),
               ANSIBLE_HOME=str(work / "home"), ANSIBLE_NOCOLOR="1")
    # Fill the fact cache through Ansible's own cache plugin (its on-disk format is internal).
    subprocess.run([sys.executable, "-c", FILL_FACT_CACHE, str(work / "facts.json")], env=env, check=True, timeout=120)
    argv = [
        str(Path(sys.executable).parent / "ansible-playbook"),
        "-i", str(work / "hosts.yml"),
        "--check", "--tags", "pgha_render",
        "-e", f"pgha_render_out={out}",
        "-e", f"pgha_render_roles={ROOT / 'roles'}",
        str(HERE / "render.yml"),
    ]
    proc = subprocess.run(argv, env=env, cwd=work, capture_output=True, text=True, timeout=600, check=False)
    (work / "ansible-playbook.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0 or not out.exists():
        pytest.fail(f"render.yml failed (rc={proc.returncode}), see {work / 'ansible-playbook.log'}:\n"
                    + (proc.stdout + proc.stderr)[-6000:])
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def render(rendered) -> dict:
    return rendered["render"]


@pytest.fixture(scope="session")
def preflight(rendered) -> dict:
    return rendered["preflight"]
