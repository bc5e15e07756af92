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

import http.server
import json
import sys
import threading
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from render_platforms import (  # noqa: E402
    BACKUP_PLATFORMS,
    MOVED,
    MOVED_PORTS,
    OVERRIDE_HOST,
    OVERRIDES,
    PORT_CLUSTERS,
    POSTURES,
    SOURCES_CLUSTER,
    SOURCES_HOST_VARS,
    SOURCES_PLATFORM,
    SUPPORTED,
    UNSUPPORTED,
    facts,
)
from render_run import HANG_AFTER, ansible_playbook, cluster, inventory, output, prepare  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _inventory() -> tuple[dict, dict]:
    """The inventory and the fact cache (host -> facts)."""
    cache: dict[str, dict] = {}
    supported: dict = {"children": {}}
    for p in SUPPORTED.values():
        supported["children"][p.key] = cluster(p.key, p, cache)
    for c in PORT_CLUSTERS.values():
        tls = {"pgha_tls_enabled": c.tls} | POSTURES.get(c.key, {})
        moved = {"group_vars": MOVED_PORTS, "cluster_vars": tls} if c.owner_group_only else {"cluster_vars": MOVED | tls}
        supported["children"][c.key] = cluster(c.key, c.platform, cache, **moved)
    for key in BACKUP_PLATFORMS:
        supported["children"][f"{key}-bk"] = cluster(f"{key}-bk", SUPPORTED[key], cache, backup=True)
    supported["children"][SOURCES_CLUSTER] = cluster(
        SOURCES_CLUSTER, SUPPORTED[SOURCES_PLATFORM], cache, host_vars=SOURCES_HOST_VARS)
    debian13 = SUPPORTED["debian13"]
    cache[OVERRIDE_HOST] = facts(debian13, OVERRIDE_HOST, "10.0.1.14")
    supported["children"]["custom"] = {
        "vars": {"common_etcd_group": "custom_etcd", "common_postgres_group": "custom_postgres",
                 "common_haproxy_group": "custom_haproxy"},
        "children": {
            "custom_etcd": {"hosts": {OVERRIDE_HOST: None}},
            "custom_postgres": {"hosts": {OVERRIDE_HOST: {"common_address": "10.0.1.14", **OVERRIDES}}},
            "custom_haproxy": {"hosts": {}},
        },
    }
    unsupported: dict = {"hosts": {}}
    for p in UNSUPPORTED.values():
        name = f"{p.key}-pg1"
        unsupported["hosts"][name] = {"common_address": "10.0.1.11"}
        cache[name] = facts(p, name, "10.0.1.11")
    return inventory({"supported": supported, "unsupported": unsupported}), cache


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict:
    """{'render': {host: {...}}, 'preflight': {host: {...}}} from one ansible-playbook run."""
    work = tmp_path_factory.mktemp("render")
    env = prepare(work, *_inventory())
    out = work / "rendered.json"
    proc = ansible_playbook(
        work, env, "--check", "--tags", "pgha_render",
        "-e", f"pgha_render_out={out}", "-e", f"pgha_render_roles={ROOT / 'roles'}", str(HERE / "render.yml"))
    rc = proc.wait(timeout=HANG_AFTER)
    if rc != 0 or not out.exists():
        pytest.fail(f"render.yml failed (rc={rc}), see {work / 'ansible-playbook.log'}:\n" + output(work)[-6000:])
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def render(rendered) -> dict:
    return rendered["render"]


@pytest.fixture(scope="session")
def preflight(rendered) -> dict:
    return rendered["preflight"]


class _Ok(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(200)
        self.end_headers()

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture(scope="module")
def pgdg_mirror():
    """The URL of a local server that answers every request with 200 (the preflight's PGDG probe)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    thread.join()
