# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""site.yml's first play checks every role on every host before anything changes: a bad
value for a later role stops the run there, before the second play (issue 9).

playbooks/site.yml itself runs, offline, on a faked Debian 13 cluster (groups etcd, postgres,
haproxy; facts from the fact cache) with `--check --tags preflight`: the first play, and of
the later plays only the always-tagged tasks that resolve variables. The patroni preflight's
PGDG probe asks an HTTP server on 127.0.0.1 that answers every request with 200."""

from __future__ import annotations

import json

import pytest
import yaml

from render_platforms import SUPPORTED, host_name
from render_run import LOCAL_SOURCE_PROBES, ROOT, ansible_playbook, cluster, inventory, output, prepare

SITE = ROOT / "playbooks" / "site.yml"
KEY = "site"

# variable -> (short name of the host that sets it, its bad value, the role whose preflight refuses it).
# keepalived_virtual_router_id is refused by the keepalived role's `preflight` argument spec (an int).
REFUSED = {
    "watchdog_mode": ("pg2", "sometimes", "watchdog"),
    "haproxy_backend_port": ("ha1", 6432, "haproxy"),  # removed: the backends use the members' published ports
    "keepalived_virtual_router_id": ("ha2", "fifty-one", "keepalived"),
}


@pytest.fixture(scope="module")
def site_runs(tmp_path_factory, pgdg_mirror) -> dict:
    """case -> (rc, the plays as the ansible.posix.json callback reports them), for each
    refused value and for the same cluster with none (case None); the runs go in parallel."""
    started = {}
    for case in [None, *REFUSED]:
        work = tmp_path_factory.mktemp(f"site-{case or 'valid'}")
        cache: dict[str, dict] = {}
        host_vars = {short: dict(v) for short, v in LOCAL_SOURCE_PROBES.items()}
        if case:
            short, value, _role = REFUSED[case]
            host_vars.setdefault(short, {})[case] = value
        children = {KEY: cluster(KEY, SUPPORTED["debian13"], cache, groups={g: g for g in ("etcd", "postgres", "haproxy")},
                                 cluster_vars={"patroni_pgdg_apt_url": pgdg_mirror}, host_vars=host_vars)}
        env = prepare(work, inventory(children), cache) | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
        started[case] = (work, ansible_playbook(work, env, "--check", "--tags", "preflight", str(SITE)))
    runs = {}
    for case, (work, proc) in started.items():
        rc = proc.wait(timeout=600)
        try:
            runs[case] = (rc, json.loads((work / "ansible-playbook.log").read_text())["plays"])
        except (ValueError, KeyError):
            pytest.fail(f"site.yml ({case or 'valid'}) printed no JSON report (rc={rc}):\n" + output(work)[-6000:])
    return runs


def _first_play_name() -> str:
    return yaml.safe_load(SITE.read_text())[0]["name"]


def _results(play: dict) -> list[tuple[str, str, str, dict]]:
    """(tasks file path, task name, host, result) of every task result of the play, in order."""
    return [(task["task"]["path"], task["task"]["name"], host, result)
            for task in play["tasks"] for host, result in task["hosts"].items()]


def test_valid_cluster_passes_every_preflight(site_runs):
    """Without a bad value, every role's preflight passes on every host (the faked cluster
    is valid, so a refusal below is the bad value's)."""
    rc, plays = site_runs[None]
    assert rc == 0, plays
    assert plays[0]["play"]["name"] == _first_play_name()
    results = _results(plays[0])
    assert not [r for r in results if r[3].get("failed")]
    for role in ("common", "etcd", "watchdog", "patroni", "haproxy", "keepalived"):
        assert [r for r in results if f"/roles/{role}/tasks/preflight.yml" in r[0]], f"{role}'s preflight did not run"


@pytest.mark.parametrize("case", list(REFUSED))
def test_bad_value_for_a_later_role_stops_the_first_play(site_runs, case):
    """The role's preflight refuses the value, naming the variable, on the host that sets it."""
    short, _value, role = REFUSED[case]
    rc, plays = site_runs[case]
    assert rc != 0
    # The run ends in the first play: no later play starts, so no host changes.
    assert [p["play"]["name"] for p in plays] == [_first_play_name()], [p["play"]["name"] for p in plays]
    results = _results(plays[0])
    failed = [r for r in results if r[3].get("failed")]
    assert [host for _path, _name, host, _result in failed] == [host_name(KEY, short)], failed
    path, name, _host, result = failed[0]
    assert f"pgha.cluster.{role} :" in name or f"/roles/{role}/" in path, (path, name)
    assert case in result["msg"], result["msg"]
    # It is the last task the play ran: nothing after it, on any host.
    assert results[-1][0:2] == (path, name)
