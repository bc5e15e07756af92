"""pgha_lab.registry: every drill registered once, with a title and a docstring."""

from __future__ import annotations

import pytest

from pgha_lab.registry import default_names, drill, drills

EVERY_DRILL = [
    "kill_primary", "kill_primary_etcd_leader", "stop_patroni", "postmaster_kill", "partition", "etcd_leader_kill",
    "etcd_member_down_switchover", "haproxy_kill", "haproxy_stop", "switchover", "switchover_async_refused", "rolling_restart",
    "rotate_certs", "rotate_ca", "tls_switch", "sync_standby_stop", "standbys_stop",
]
# Run by name only: the comparison drill, the certificate rotations and the TLS switch (minutes each;
# `--drills rotate_certs,rotate_ca,tls_switch`), the posture drills (under the posture profiles,
# make drill's second series).
NOT_IN_ALL = {"kill_primary_etcd_leader", "rotate_certs", "rotate_ca", "tls_switch", "sync_standby_stop", "standbys_stop"}


def test_every_drill_in_order():
    assert list(drills()) == EVERY_DRILL


def test_all_leaves_out_the_comparison_drill_and_the_rotations():
    assert default_names() == [n for n in EVERY_DRILL if n not in NOT_IN_ALL]


def test_slow_drills_are_the_host_kills_and_the_partition():
    assert [n for n, d in drills().items() if d.slow] == ["kill_primary", "kill_primary_etcd_leader", "partition"]


@pytest.mark.parametrize("name", EVERY_DRILL)
def test_each_drill_has_a_title_a_docstring_and_its_name(name):
    spec = drills()[name]
    assert spec.name == name
    assert spec.title and spec.doc
    assert spec.func.__name__ == name


def test_titles_are_unique():
    titles = [d.title for d in drills().values()]
    assert len(set(titles)) == len(titles)


def test_a_drill_without_a_docstring_is_refused():
    def undocumented(_c):
        pass

    with pytest.raises(ValueError, match="no docstring"):
        drill("undocumented", "x")(undocumented)
    assert "undocumented" not in drills()


def test_a_name_registered_twice_is_refused():
    def again(_c):
        """Another kill_primary."""

    with pytest.raises(ValueError, match="registered twice"):
        drill("kill_primary", "x")(again)
    assert drills()["kill_primary"].func.__name__ == "kill_primary"


def test_only_the_tls_switch_gives_its_clients_either_scheme():
    """Its load connects with sslmode=prefer (the cluster is plain half way); every other drill's
    clients verify the server against the cluster CA."""
    assert [n for n, d in drills().items() if d.any_scheme] == ["tls_switch"]
