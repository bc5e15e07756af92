# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A renamed variable keeps working for one major release, with a deprecation warning.

patroni_etcd_leader_away(_interval) became etcd_leader_away(_interval) in 1.0.0. On a faked
Debian 13 cluster, site.yml --check --tags preflight shows that the old name's value reaches
the new variable (an interval of 0 under the old name is refused as etcd_leader_away_interval=0;
the old name's `false` switches the placement off, so the same 0 is not checked), that a value
under the new name wins over the old one, and that each old name set prints a deprecation
warning naming its new name and the release that removes it."""

from __future__ import annotations

import functools
import json

import pytest

from render_platforms import SUPPORTED, host_name
from render_run import LOCAL_SOURCE_PROBES, ROOT, ansible_playbook, cluster, describe, inventory, output, prepare, run_all

SITE = ROOT / "playbooks" / "site.yml"
KEY = "renamed"

# case -> (pg1's variables, run passes)
CASES = {
    "old-interval-used": ({"patroni_etcd_leader_away_interval": 0}, False),
    "new-name-wins": ({"patroni_etcd_leader_away_interval": 0, "etcd_leader_away_interval": 7}, True),
    "old-switch-used": ({"patroni_etcd_leader_away": False, "patroni_etcd_leader_away_interval": 0}, True),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory, pgdg_mirror) -> dict:
    def start(case, pg1_vars):
        work = tmp_path_factory.mktemp(f"renamed-{case}")
        cache: dict[str, dict] = {}
        host_vars = {**LOCAL_SOURCE_PROBES, "pg1": pg1_vars}
        children = {KEY: cluster(KEY, SUPPORTED["debian13"], cache, groups={g: g for g in ("etcd", "postgres", "haproxy")},
                                 cluster_vars={"patroni_pgdg_apt_url": pgdg_mirror}, host_vars=host_vars)}
        env = prepare(work, inventory(children), cache) | {"ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json"}
        return work, ansible_playbook(work, env, "--check", "--tags", "preflight", str(SITE))

    results = {}
    for case, (work, rc) in run_all({case: functools.partial(start, case, pg1_vars)
                                     for case, (pg1_vars, _passes) in CASES.items()}).items():
        try:
            plays = json.loads((work / "ansible-playbook.log").read_text())["plays"]
        except (ValueError, KeyError):
            pytest.fail(f"site.yml ({case}) printed no JSON report ({describe(rc)}):\n" + output(work)[-6000:])
        results[case] = (rc, plays, (work / "ansible-playbook.err").read_text())
    return results


def _failed(plays):
    return [(host, result["msg"]) for play in plays for task in play["tasks"]
            for host, result in task["hosts"].items() if result.get("failed")]


@pytest.mark.parametrize("case", list(CASES))
def test_old_names_are_read_until_the_next_major(runs, case):
    rc, plays, _stderr = runs[case]
    passes = CASES[case][1]
    failed = _failed(plays)
    if passes:
        assert rc == 0 and not failed, failed
    else:
        assert rc != 0
        assert [host for host, _msg in failed] == [host_name(KEY, "pg1")], failed
        assert "etcd_leader_away_interval=0" in failed[0][1], failed[0][1]


@pytest.mark.parametrize("case", list(CASES))
def test_each_old_name_set_prints_a_deprecation_naming_the_new_one(runs, case):
    """The deprecations go with the task result (the default callback prints them as
    [DEPRECATION WARNING]); only pg1 sets an old name."""
    _rc, plays, _stderr = runs[case]
    deprecations = {}
    for play in plays:
        for task in play["tasks"]:
            if task["task"]["name"].endswith("Warn about the etcd leader placement variables' old names"):
                for host, result in task["hosts"].items():
                    deprecations[host] = result.get("deprecations", [])
    assert set(deprecations) == {host_name(KEY, s) for s in ("pg1", "pg2", "pg3")}, sorted(deprecations)
    old_names = sorted(name for name in CASES[case][0] if name.startswith("patroni_"))
    expected = [f"The variable {old} was renamed to {old.removeprefix('patroni_')}." for old in old_names]
    got = deprecations.pop(host_name(KEY, "pg1"))
    assert [d["msg"].split(" Its value")[0] for d in got] == expected, got
    assert {(d["version"], d["collection_name"]) for d in got} == {("2.0.0", "pgha.cluster")}
    assert not [d for d in deprecations.values() if d], deprecations
