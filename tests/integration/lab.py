"""Talk to the lab cluster the way an operator would: docker for the hosts,
Patroni's and HAProxy's HTTP endpoints, and PostgreSQL through the VIP.

Every address comes from inventory/lab, so the tests follow the inventory.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psycopg
import yaml

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = Path(os.environ.get("PGHA_LAB_INVENTORY", ROOT / "inventory" / "lab"))


def playbook_command(playbook: str, tmp_path: Path, extra_vars=None, inventory=INVENTORY, tags=(), check=False):
    """argv and environment that run one of the project's playbooks against the lab."""
    argv = [str(Path(sys.executable).with_name("ansible-playbook")), str(ROOT / playbook), "-i", str(inventory)]
    if tags:
        argv += ["--tags", ",".join(tags)]
    if check:
        argv += ["--check", "--diff"]
    if extra_vars:
        ev = tmp_path / "extra.json"
        ev.write_text(json.dumps(extra_vars))
        argv += ["-e", f"@{ev}"]
    # Molecule exports ANSIBLE_FORCE_COLOR, which beats ANSIBLE_NOCOLOR: recap() needs plain text.
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return argv, env


def ansible_playbook(playbook: str, tmp_path: Path, extra_vars=None, inventory=INVENTORY, tags=(), check=False):
    """Run one of the project's playbooks against the lab; returns the CompletedProcess."""
    argv, env = playbook_command(playbook, tmp_path, extra_vars, inventory, tags, check)
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)


def recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP counters per host; fails when the output has no recap at all."""
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    rows = re.findall(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output, re.M)
    assert rows, f"no PLAY RECAP in the output:\n{output[-2000:]}"
    return {h: {"ok": int(o), "changed": int(c), "failed": int(f)} for h, o, c, _u, f in rows}


@dataclass(frozen=True)
class Lab:
    addresses: dict[str, str]
    postgres: list[str]
    etcd: list[str]
    proxies: list[str]
    vip: str
    superuser: str
    password: str
    write_port: int = 5000
    read_port: int = 5001
    stats_port: int = 7000
    restapi_port: int = 8008

    @classmethod
    def load(cls) -> "Lab":
        hosts = yaml.safe_load((INVENTORY / "hosts.yml").read_text())["all"]["children"]
        gvars = yaml.safe_load((INVENTORY / "group_vars" / "all.yml").read_text())
        addresses = {}
        for group in hosts.values():
            for name, hvars in (group.get("hosts") or {}).items():
                if hvars and "common_address" in hvars:
                    addresses[name] = hvars["common_address"]
        return cls(
            addresses=addresses,
            postgres=list(hosts["postgres"]["hosts"]),
            etcd=list(hosts["etcd"]["hosts"]),
            proxies=list(hosts["haproxy"]["hosts"]),
            vip=gvars["keepalived_vip"],
            superuser=gvars.get("patroni_superuser_username", "postgres"),
            password=gvars["patroni_superuser_password"],
        )

    # --- hosts -----------------------------------------------------------
    def sh(self, host: str, *argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", "exec", host, *argv], capture_output=True, text=True, check=check, timeout=timeout
        )

    def docker(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *argv], capture_output=True, text=True, check=True, timeout=120)

    def running(self, host: str) -> bool:
        out = self.docker("inspect", "-f", "{{.State.Running}}", host).stdout.strip()
        return out == "true"

    def holds_vip(self, host: str) -> bool:
        out = self.sh(host, "ip", "-j", "-4", "addr", "show").stdout
        return any(a.get("local") == self.vip for i in json.loads(out) for a in i.get("addr_info", []))

    # --- Patroni ---------------------------------------------------------
    def cluster(self, exclude: tuple[str, ...] = ()) -> dict:
        """GET /cluster from the first Patroni node that answers."""
        last = None
        for host in self.postgres:
            if host in exclude:
                continue
            try:
                with urllib.request.urlopen(
                    f"http://{self.addresses[host]}:{self.restapi_port}/cluster", timeout=3
                ) as resp:
                    return json.load(resp)
            except OSError as exc:  # node down: ask the next one
                last = exc
        raise AssertionError(f"no Patroni node answered /cluster: {last}")

    def leader(self, exclude: tuple[str, ...] = ()) -> dict | None:
        members = self.cluster(exclude)["members"]
        leaders = [m for m in members if m["role"] == "leader" and m["state"] == "running"]
        return leaders[0] if len(leaders) == 1 else None

    def wait(self, predicate, what: str, timeout: float = 180, interval: float = 1.0):
        """Poll until predicate() is truthy; fail naming what never happened."""
        deadline = time.monotonic() + timeout
        last_exc = None
        while time.monotonic() < deadline:
            try:
                value = predicate()
                if value:
                    return value
            except (OSError, AssertionError, psycopg.Error, subprocess.SubprocessError) as exc:
                last_exc = exc
            time.sleep(interval)
        raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last_exc})")

    def dcs_config(self, scope: str = "pg-cluster", namespace: str = "/service/") -> dict:
        """Patroni's dynamic configuration as stored in etcd right now."""
        host = next(h for h in self.etcd if self.running(h))
        out = self.sh(host, "etcdctl", "get", f"{namespace}{scope}/config", "--print-value-only").stdout
        return json.loads(out)

    def patroni_config_file(self, host: str) -> str:
        """Debian/Ubuntu: /etc/patroni/config.yml; RHEL family: /etc/patroni/patroni.yml."""
        for path in ("/etc/patroni/config.yml", "/etc/patroni/patroni.yml"):
            if self.sh(host, "test", "-f", path, check=False).returncode == 0:
                return path
        raise AssertionError(f"{host} has no Patroni configuration file")

    def patroni_config(self, host: str) -> dict:
        return yaml.safe_load(self.sh(host, "cat", self.patroni_config_file(host)).stdout)

    def data_dir(self, host: str) -> str:
        return self.patroni_config(host)["postgresql"]["data_dir"]

    def healthy(self, exclude: tuple[str, ...] = ()) -> bool:
        members = self.cluster(exclude)["members"]
        roles = sorted(m["role"] for m in members)
        return (
            len(members) == len(self.postgres)
            and roles.count("leader") == 1
            and roles.count("sync_standby") >= 1
            and all(m["state"] == "streaming" for m in members if m["role"] != "leader")
            and len({m.get("timeline") for m in members}) == 1
        )

    # --- etcd ------------------------------------------------------------
    def etcd_health(self, via: str) -> list[dict]:
        endpoints = ",".join(f"http://{self.addresses[h]}:2379" for h in self.etcd)
        out = self.sh(via, "etcdctl", "--endpoints", endpoints, "endpoint", "health", "-w", "json", check=False)
        return json.loads(out.stdout)

    def etcd_members(self) -> tuple[dict[str, str], str | None]:
        """etcd member id (hex, as `etcdctl move-leader` takes it) of every answering member
        by host, and the host whose member leads the raft (None when none answers as leader)."""
        via = next(h for h in self.etcd if self.running(h))
        endpoints = ",".join(f"http://{self.addresses[h]}:2379" for h in self.etcd)
        # etcdctl exits non-zero when a member does not answer and still prints the others.
        out = self.sh(via, "etcdctl", "--endpoints", endpoints, "endpoint", "status", "-w", "json", check=False).stdout
        try:
            entries = json.loads(out)
        except ValueError as exc:
            raise AssertionError(f"etcdctl endpoint status gave no JSON: {out!r}") from exc
        by_address = {a: h for h, a in self.addresses.items()}
        ids, leader = {}, None
        for entry in entries:
            host = by_address[entry["Endpoint"].split("//")[-1].rsplit(":", 1)[0]]
            status = entry["Status"]
            ids[host] = f"{status['header']['member_id']:x}"
            if status["header"]["member_id"] == status["leader"]:
                leader = host
        return ids, leader

    # --- clients through the VIP ----------------------------------------
    def connect(self, port: int, timeout: int = 5) -> psycopg.Connection:
        return psycopg.connect(
            host=self.vip, port=port, user=self.superuser, password=self.password,
            dbname="postgres", connect_timeout=timeout, autocommit=True,
        )

    def query(self, port: int, sql: str, params=None):
        with self.connect(port) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def haproxy_stats(self) -> dict[tuple[str, str], str]:
        with urllib.request.urlopen(f"http://{self.vip}:{self.stats_port}/;csv", timeout=5) as resp:
            text = resp.read().decode().lstrip("# ")
        return {(r["pxname"], r["svname"]): r["status"] for r in csv.DictReader(io.StringIO(text))}
