"""Fault drills under client load, through the drill library (pgha_lab, as `make drill`), once
each at the reference profile: the primary's host killed, HAProxy killed on the VIP holder,
a planned switchover, and a rolling restart (playbooks/restart.yml).

Asserted: no acknowledged write lost, never two writable primaries, the cluster whole again
(3 healthy members, etcd healthy, VIP on the first proxy) without a manual step, and each
drill's own checks. The timings are printed, not asserted: they are measured by `make drill`
into results/drills/. The certificate rotations and the TLS switch run by name, minutes each
(`python -m pgha_lab --drills rotate_certs,rotate_ca,tls_switch`; results/drills/rotation-1.md,
tls-switch-1.md).
"""

import pytest

from pgha_lab.report import summary
from pgha_lab.runner import Runner


@pytest.fixture(scope="module")
def drills(lab, tmp_path_factory):
    runner = Runner(lab, workdir=tmp_path_factory.mktemp("drills"))
    runner.prepare()
    if not runner.profile_applied("reference"):
        pytest.fail("the lab does not run the reference profile (inventory/profiles/reference.yml)")
    return runner


def assert_sound(result):
    print("\n" + summary(result))
    assert result["error"] is None, result["error"]
    assert result["lost_writes"] == 0, f"acknowledged writes lost: {result['lost_seqs']}"
    assert result["two_writable_ticks"] == 0, f"two writable primaries: {result['two_writable']}"
    assert result["healthy_s"] is not None, "the cluster did not become whole again"
    assert all(result["checks"].values()), result["checks"]
    assert result["writes_acknowledged"] > 0


@pytest.mark.parametrize("name", ["kill_primary", "haproxy_kill", "switchover"])
def test_drill_loses_no_acknowledged_write_and_heals(drills, name):
    assert_sound(drills.run(name, "reference"))


def test_rolling_restart_keeps_every_acknowledged_write(drills):
    result = drills.run("rolling_restart", "reference")
    assert_sound(result)
    assert result["details"]["new_leader"] != result["details"]["old_leader"]
