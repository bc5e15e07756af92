"""The etcd role's leader placement program (roles/etcd/files/etcd_leader_away.py,
run by pgha-etcd-leader-away.timer), imported and run against etcdctl answers
recorded from a real etcd 3.5.16 cluster (tests/unit/fixtures/etcd-3.5.16). The
lab proves it end to end (tests/lab/test_30_operations.py)."""

from __future__ import annotations

import http.server
import importlib.util
import json
import socket
import subprocess
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = ROOT / "roles" / "etcd" / "files" / "etcd_leader_away.py"
FIXTURES = ROOT / "tests" / "unit" / "fixtures" / "etcd-3.5.16"
# The recorded cluster: three members on one host, told apart by port.
ENDPOINTS = ["127.0.0.1:2379", "127.0.0.1:22379", "127.0.0.1:32379"]
PRIMARY_URL = "http://127.0.0.1:8008/primary"


def _load():
    spec = importlib.util.spec_from_file_location("etcd_leader_away", PROGRAM)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


leader_away = _load()


def argv(own: str, *extra: str) -> list[str]:
    return ["--endpoints", ",".join(ENDPOINTS), "--own-endpoint", own, "--primary-url", PRIMARY_URL, *extra]


class Etcdctl:
    """Answers `endpoint status` with a recorded output and `move-leader` with rc."""

    def __init__(self, status_fixture: str, move_rc: int = 0):
        self.status = json.loads((FIXTURES / f"{status_fixture}.json").read_text())
        self.move_rc = move_rc
        self.calls: list[list[str]] = []
        self.envs: list[dict] = []

    def __call__(self, args, **kwargs):
        self.calls.append(args)
        self.envs.append(kwargs.get("env"))
        if "status" in args:
            return subprocess.CompletedProcess(args, self.status["rc"], self.status["stdout"], self.status.get("stderr", ""))
        assert "move-leader" in args, args
        return subprocess.CompletedProcess(args, self.move_rc, "", "" if self.move_rc == 0 else "etcdserver: bad leader transferee")


def run(monkeypatch, own: str, fixture: str, primary: bool = True, move_rc: int = 0):
    fake = Etcdctl(fixture, move_rc)
    asked: list[str] = []
    monkeypatch.setattr(leader_away, "is_primary", lambda url, _cacert=None: asked.append(url) or primary)
    monkeypatch.setattr(leader_away.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(leader_away.subprocess, "run", fake)
    rc = leader_away.main(argv(own))
    assert asked == [PRIMARY_URL]
    return rc, fake.calls


def test_a_replica_does_nothing(monkeypatch):
    rc, calls = run(monkeypatch, "127.0.0.1:32379", "endpoint_status_all_up", primary=False)
    assert (rc, calls) == (0, [])


def test_the_primary_that_leads_etcd_hands_the_leadership_to_another_member(monkeypatch, capsys):
    # all_up: the member on :32379 (id 205223157840375465) leads.
    rc, calls = run(monkeypatch, "127.0.0.1:32379", "endpoint_status_all_up")
    assert rc == 0
    status, move = calls
    assert status == ["/usr/bin/etcdctl", "--dial-timeout=1s", "--command-timeout=3s",
                      "--endpoints=" + ",".join(ENDPOINTS), "endpoint", "status", "-w", "json"]
    assert move == ["/usr/bin/etcdctl", "--dial-timeout=1s", "--command-timeout=3s",
                    "--endpoints=127.0.0.1:32379", "move-leader", f"{753033347625130887:x}"]
    assert f"moved off the Patroni primary's host to member {753033347625130887:x}" in capsys.readouterr().out


def test_etcdctl_inherits_the_environment_with_a_fixed_locale(monkeypatch):
    """TLS settings reach etcdctl as ETCDCTL_* variables from the unit, never as arguments."""
    monkeypatch.setenv("ETCDCTL_CACERT", "/etc/etcd/ca.crt")
    fake = Etcdctl("endpoint_status_all_up")
    monkeypatch.setattr(leader_away, "is_primary", lambda _url, _cacert=None: True)
    monkeypatch.setattr(leader_away.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(leader_away.subprocess, "run", fake)
    assert leader_away.main(argv("127.0.0.1:32379")) == 0
    assert [(env["ETCDCTL_CACERT"], env["LC_ALL"]) for env in fake.envs] == [("/etc/etcd/ca.crt", "C")] * 2
    assert not [arg for call in fake.calls for arg in call if "cacert" in arg]


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
    calls = []
    monkeypatch.setattr(leader_away, "is_primary", lambda _url, _cacert=None: True)
    monkeypatch.setattr(leader_away.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(leader_away.subprocess, "run",
                        lambda args, **_kw: calls.append(args) or subprocess.CompletedProcess(args, 1, "", "context deadline exceeded"))
    assert leader_away.main(argv(own)) == 1
    assert "gave no JSON" in capsys.readouterr().out
    assert len(calls) == 1 and "move-leader" not in calls[0]


def test_the_arguments():
    args = leader_away.parse_args(argv("127.0.0.1:22379", "--etcdctl", "/opt/etcd/etcdctl", "--command-timeout", "5s"))
    assert (args.endpoints, args.own_endpoint, args.primary_url) == (ENDPOINTS, "127.0.0.1:22379", PRIMARY_URL)
    assert (args.etcdctl, args.dial_timeout, args.command_timeout) == ("/opt/etcd/etcdctl", "1s", "5s")
    defaults = leader_away.parse_args(argv("127.0.0.1:2379"))
    assert (defaults.etcdctl, defaults.dial_timeout, defaults.command_timeout) == ("etcdctl", "1s", "3s")


@pytest.mark.parametrize("bad", [
    pytest.param(["--endpoints", ",".join(ENDPOINTS), "--primary-url", PRIMARY_URL], id="no-own-endpoint"),
    pytest.param(["--own-endpoint", ENDPOINTS[0], "--primary-url", PRIMARY_URL], id="no-endpoints"),
    pytest.param(["--endpoints", ",".join(ENDPOINTS), "--own-endpoint", ENDPOINTS[0]], id="no-primary-url"),
    pytest.param(argv("127.0.0.1:42379"), id="own-endpoint-not-a-member"),
])
def test_bad_arguments_are_refused_before_anything_runs(monkeypatch, capsys, bad):
    monkeypatch.setattr(leader_away, "is_primary", lambda _url, _cacert=None: pytest.fail("probed Patroni"))
    with pytest.raises(SystemExit) as exc:
        leader_away.main(bad)
    assert exc.value.code == 2
    assert "usage: etcd_leader_away.py" in capsys.readouterr().err


class _Patroni(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # pylint: disable=invalid-name
        self.send_response(200 if self.path == "/primary" else 503)
        self.end_headers()

    def log_message(self, *_args):
        pass


@pytest.fixture(name="patroni")
def fixture_patroni():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Patroni)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_is_primary_asks_the_given_url(patroni):
    """200 means primary; 503 (a replica's answer) and no answer at all mean not."""
    assert leader_away.is_primary(f"{patroni}/primary") is True
    assert leader_away.is_primary(f"{patroni}/replica") is False
    with socket.socket() as closed:  # bound, never listening: the connection is refused
        closed.bind(("127.0.0.1", 0))
        assert leader_away.is_primary(f"http://127.0.0.1:{closed.getsockname()[1]}/primary") is False
