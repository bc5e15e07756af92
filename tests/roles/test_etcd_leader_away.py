"""The etcd leader placement script of the patroni role (pgha-etcd-leader-away),
rendered from its template and run against etcdctl answers recorded from a real
etcd 3.5.16 cluster (tests/unit/fixtures/etcd-3.5.16). The lab proves it end to
end (tests/integration/test_30_operations.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jinja2
import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "roles" / "patroni" / "templates" / "pgha-etcd-leader-away.j2"
FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "etcd-3.5.16"
# The recorded cluster: three members on one host, told apart by port.
ENDPOINTS = ["127.0.0.1:2379", "127.0.0.1:22379", "127.0.0.1:32379"]


def script(own: str) -> dict:
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.filters["to_json"] = json.dumps
    text = env.from_string(TEMPLATE.read_text()).render(
        ansible_managed="test", patroni_restapi_port=8008,
        __patroni_etcd_leader_away_own=own, __patroni_etcd_leader_away_endpoints=ENDPOINTS,
    )
    namespace: dict = {"__name__": "pgha_etcd_leader_away"}
    exec(compile(text, str(TEMPLATE), "exec"), namespace)  # pylint: disable=exec-used
    return namespace


class Etcdctl:
    """Answers `endpoint status` with a recorded output and `move-leader` with rc."""

    def __init__(self, status_fixture: str, move_rc: int = 0):
        self.status = json.loads((FIXTURES / f"{status_fixture}.json").read_text())
        self.move_rc = move_rc
        self.calls: list[list[str]] = []

    def __call__(self, argv, **_kwargs):
        self.calls.append(argv)
        if "status" in argv:
            return subprocess.CompletedProcess(argv, self.status["rc"], self.status["stdout"], self.status.get("stderr", ""))
        assert "move-leader" in argv, argv
        return subprocess.CompletedProcess(argv, self.move_rc, "", "" if self.move_rc == 0 else "etcdserver: bad leader transferee")


def run(monkeypatch, own: str, fixture: str, primary: bool = True, move_rc: int = 0):
    ns = script(own)
    fake = Etcdctl(fixture, move_rc)
    monkeypatch.setitem(ns, "is_primary", lambda: primary)
    monkeypatch.setattr(ns["shutil"], "which", lambda _name: "/usr/bin/etcdctl")
    monkeypatch.setattr(ns["subprocess"], "run", fake)
    return ns["main"](), fake.calls


def test_a_replica_does_nothing(monkeypatch):
    rc, calls = run(monkeypatch, "127.0.0.1:32379", "endpoint_status_all_up", primary=False)
    assert (rc, calls) == (0, [])


def test_the_primary_that_leads_etcd_hands_the_leadership_to_another_member(monkeypatch, capsys):
    # all_up: the member on :32379 (id 205223157840375465) leads.
    rc, calls = run(monkeypatch, "127.0.0.1:32379", "endpoint_status_all_up")
    assert rc == 0
    status, move = calls
    assert "--endpoints=" + ",".join(ENDPOINTS) in status and status[-4:] == ["endpoint", "status", "-w", "json"]
    assert move[-3:] == ["--endpoints=127.0.0.1:32379", "move-leader", f"{753033347625130887:x}"]
    assert f"moved off the Patroni primary's host to member {753033347625130887:x}" in capsys.readouterr().out


def test_the_primary_whose_member_follows_leaves_etcd_alone(monkeypatch):
    rc, calls = run(monkeypatch, "127.0.0.1:2379", "endpoint_status_all_up")
    assert rc == 0
    assert len(calls) == 1  # the status only


def test_a_member_down_the_leadership_goes_to_one_that_answers(monkeypatch):
    # one_down: :32379 does not answer (etcdctl exits 1 and prints the others); :2379 leads.
    rc, calls = run(monkeypatch, "127.0.0.1:2379", "endpoint_status_one_down")
    assert rc == 0
    assert calls[-1][-2:] == ["move-leader", f"{1773807980460942668:x}"]


def test_a_failed_transfer_is_reported(monkeypatch, capsys):
    rc, calls = run(monkeypatch, "127.0.0.1:32379", "endpoint_status_all_up", move_rc=1)
    assert rc == 1 and "move-leader" in calls[-1]
    assert "bad leader transferee" in capsys.readouterr().out


@pytest.mark.parametrize("own", ENDPOINTS)
def test_no_json_is_an_error_not_a_move(monkeypatch, capsys, own):
    ns = script(own)
    monkeypatch.setitem(ns, "is_primary", lambda: True)
    monkeypatch.setattr(ns["shutil"], "which", lambda _name: "/usr/bin/etcdctl")
    monkeypatch.setattr(ns["subprocess"], "run",
                        lambda argv, **_kw: subprocess.CompletedProcess(argv, 1, "", "context deadline exceeded"))
    assert ns["main"]() == 1
    assert "gave no JSON" in capsys.readouterr().out
