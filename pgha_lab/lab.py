"""Talk to the lab cluster the way an operator would: docker for the hosts,
Patroni's and HAProxy's HTTP endpoints, etcd's status, and PostgreSQL through the VIP.

Every address, port and name comes from the inventory (pgha_lab.inventory).
"""

from __future__ import annotations

import base64
import csv
import io
import json
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import psycopg
import yaml
from ansible_collections.pgha.cluster.plugins.module_utils._patronictl import synchronous_mode

from pgha_lab.inventory import Inventory
from pgha_lab.playbook import ansible_playbook, start_playbook

#: /cluster roles of a standby a commit waits for (Patroni 4: quorum_standby under synchronous_mode quorum).
SYNC_ROLES = ("sync_standby", "quorum_standby")


def basic_auth(user: str, password: str) -> str:
    """The Authorization header value of HTTP basic authentication."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class Lab(Inventory):
    """The lab's inventory, and what can be asked of or done to its hosts."""

    # --- hosts -----------------------------------------------------------
    def sh(self, host: str, *argv: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["docker", "exec", host, *argv], capture_output=True, text=True, check=check, timeout=timeout
        )

    def psql(self, host: str, sql: str) -> str:
        """One statement as postgres through the host's local socket; its unaligned output, stripped."""
        return self.sh(host, "runuser", "-u", "postgres", "--", "psql", "-XAtc", sql).stdout.strip()

    def etcd_member_names(self, via: str) -> list[str]:
        """`etcdctl member list` through `via`: each member's name, "(learner)" appended to a learner's, sorted."""
        members = json.loads(self.etcdctl(via, "member", "list", "-w", "json").stdout)["members"]
        return sorted(m.get("name", "") + (" (learner)" if m.get("isLearner") else "") for m in members)

    def docker(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", *argv], capture_output=True, text=True, check=True, timeout=120)

    def running(self, host: str) -> bool:
        out = self.docker("inspect", "-f", "{{.State.Running}}", host).stdout.strip()
        return out == "true"

    def holds_vip(self, host: str) -> bool:
        out = self.sh(host, "ip", "-j", "-4", "addr", "show").stdout
        return any(a.get("local") == self.vip for i in json.loads(out) for a in i.get("addr_info", []))

    def vip_holder(self) -> str:
        """The proxy holding the VIP (the first proxy when none does)."""
        return next((h for h in self.proxies if self.holds_vip(h)), self.proxies[0])

    def tcp_open(self, host: str, address: str, port: int) -> bool:
        """Whether `host` can open a TCP connection to address:port within a second."""
        code = f"import socket; socket.create_connection(({address!r}, {port}), 1).close()"
        return self.sh(host, "python3", "-c", code, check=False, timeout=10).returncode == 0

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

    def whole(self) -> bool:
        """Every host running, a healthy Patroni cluster, every etcd member healthy, the VIP on the first proxy only."""
        return (
            all(self.running(h) for h in self.postgres + self.proxies)
            and self.healthy()
            and self.etcd_healthy()
            and self.holds_vip(self.proxies[0])
            and not any(self.holds_vip(h) for h in self.proxies[1:])
        )

    def playbook(self, playbook: str, workdir, extra_vars=None) -> subprocess.CompletedProcess:
        """Run one of the project's playbooks against this inventory."""
        return ansible_playbook(playbook, workdir, extra_vars, inventory=self.path)

    def start_playbook(self, playbook: str, workdir, extra_vars=None):
        """start_playbook (pgha_lab.playbook) against this inventory."""
        return start_playbook(playbook, workdir, extra_vars, inventory=self.path)

    # --- TLS ---------------------------------------------------------------
    @property
    def ca_file(self) -> str:
        """The cluster CA on the controller (pgha_tls_pki_dir/ca.crt)."""
        return str(self.pki_dir / "ca.crt")

    def tls_context(self, client_cert: tuple[str, str] | None = None) -> ssl.SSLContext:
        """A client context that trusts the cluster CA only, with an optional (cert, key) to show."""
        context = ssl.create_default_context(cafile=self.ca_file)
        if client_cert:
            context.load_cert_chain(*client_cert)
        return context

    def client_cert(self, host: str) -> tuple[str, str]:
        """A host's certificate and key as the controller keeps them (signed by the cluster CA)."""
        return str(self.pki_dir / f"{host}.crt"), str(self.pki_dir / f"{host}.key")

    def controller_ca(self) -> bytes:
        """The cluster CA certificate as the controller keeps it."""
        with open(self.ca_file, "rb") as f:
            return f.read()

    def tls_endpoints(self) -> list[tuple[str, int]]:
        """(host, port) of every TLS listener that speaks TLS from the first byte: etcd's client
        port and Patroni's REST API on the database nodes, the stats page on the proxies."""
        return ([(h, self.etcd_client_port) for h in self.etcd] + [(h, self.restapi_port) for h in self.postgres]
                + [(h, self.stats_port) for h in self.proxies])

    def served_certificates(self) -> dict[tuple[str, int], bytes]:
        """(host, port) -> the DER certificate the listener serves now (None when it does not answer).
        The first proxy's certificate is shown as client certificate (etcd requires one)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        context.load_cert_chain(*self.client_cert(self.proxies[0]))
        served = {}
        for host, port in self.tls_endpoints():
            try:
                with socket.create_connection((self.addresses[host], port), timeout=5) as sock:
                    with context.wrap_socket(sock) as tls:
                        served[(host, port)] = tls.getpeercert(binary_form=True)
            except OSError:
                served[(host, port)] = None
        return served

    def endpoints_verify(self) -> bool:
        """Every TLS listener's certificate verifies against the controller's CA, for its address."""
        context = self.tls_context(self.client_cert(self.proxies[0]))
        for host, port in self.tls_endpoints():
            try:
                with socket.create_connection((self.addresses[host], port), timeout=5) as sock:
                    with context.wrap_socket(sock, server_hostname=self.addresses[host]):
                        pass
            except OSError:
                return False
        return True

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    # --- Patroni ---------------------------------------------------------
    def patroni_url(self, host: str, path: str) -> str:
        return f"{self.scheme}://{self.addresses[host]}:{self.restapi_port}/{path}"

    def patroni_request(self, host: str, method: str, path: str, *, client_cert: tuple[str, str] | None = None,
                        auth: bool = False, body: dict | None = None, timeout: float = 10) -> tuple[int, str]:
        """(status, body) of one REST API request; an HTTP error status is returned, not raised."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.patroni_url(host, path), data=data, method=method)
        if auth:
            request.add_header("Authorization", basic_auth(self.restapi_user, self.restapi_password))
        context = self.tls_context(client_cert) if self.tls else None
        try:
            with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def _patroni_get(self, host: str, path: str):
        context = self.tls_context() if self.tls else None
        with urllib.request.urlopen(self.patroni_url(host, path), timeout=3, context=context) as resp:
            return json.load(resp)

    def cluster(self, exclude: tuple[str, ...] = ()) -> dict:
        """GET /cluster from the first Patroni node that answers."""
        last = None
        for host in self.postgres:
            if host in exclude:
                continue
            try:
                return self._patroni_get(host, "cluster")
            except OSError as exc:  # node down: ask the next one
                last = exc
        raise AssertionError(f"no Patroni node answered /cluster: {last}")

    def members(self) -> dict[str, dict]:
        """The members of /cluster by name."""
        return {m["name"]: m for m in self.cluster()["members"]}

    def patroni(self, host: str) -> dict:
        """GET /patroni of one node (its own state: postmaster_start_time, timeline, ...)."""
        return self._patroni_get(host, "patroni")

    def leader(self, exclude: tuple[str, ...] = ()) -> dict | None:
        members = self.cluster(exclude)["members"]
        # Right after a promotion /cluster may list the leader before its timeline: not led yet.
        leaders = [m for m in members if m["role"] == "leader" and m["state"] == "running" and "timeline" in m]
        return leaders[0] if len(leaders) == 1 else None

    def leader_and_sync(self) -> tuple[dict, dict]:
        """The leader's and the (first) synchronous standby's /cluster entries."""
        members = self.cluster()["members"]
        leader = next(m for m in members if m["role"] == "leader")
        sync = next(m for m in members if m["role"] in SYNC_ROLES)
        return leader, sync

    def synchronous_mode(self) -> str:
        """'on', 'quorum' or 'off': the DCS's synchronous_mode as Patroni reads it."""
        return synchronous_mode(self.dcs_config())

    def healthy(self, exclude: tuple[str, ...] = ()) -> bool:
        members = self.cluster(exclude)["members"]
        roles = sorted(m["role"] for m in members)
        return (
            len(members) == len(self.postgres)
            and roles.count("leader") == 1
            # a synchronous (or quorum) standby unless the posture is asynchronous
            and (any(r in SYNC_ROLES for r in roles) or self.synchronous_mode() == "off")
            and all(m["state"] == "streaming" for m in members if m["role"] != "leader")
            and len({m.get("timeline") for m in members}) == 1
        )

    def dcs_config(self) -> dict:
        """Patroni's dynamic configuration as stored in etcd right now."""
        host = next(h for h in self.etcd if self.running(h))
        out = self.etcdctl(host, "get", f"{self.namespace}{self.scope}/config", "--print-value-only").stdout
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

    def data_dir_inode(self, host: str) -> str:
        """Inode of PG_VERSION: pg_basebackup (a re-clone) writes a new data directory, pg_rewind keeps it."""
        return self.sh(host, "stat", "-c", "%i", f"{self.data_dir(host)}/PG_VERSION").stdout.strip()

    # --- etcd ------------------------------------------------------------
    def etcd_endpoint(self, host: str) -> str:
        return f"{self.scheme}://{self.addresses[host]}:{self.etcd_client_port}"

    def etcdctl(self, via: str, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        """etcdctl on host `via`, with the host's certificate and etcd's key (as etcd's own clients use them)."""
        tls = ["--cacert", f"{self.host_tls_dir}/ca.crt", "--cert", f"{self.host_tls_dir}/host.crt",
               "--key", f"{self.host_tls_dir}/etcd.key"] if self.tls else []
        return self.sh(via, "etcdctl", *tls, *argv, check=check)

    def _etcdctl_all(self, via: str, *argv: str) -> str:
        """etcdctl against every member; it exits non-zero when one does not answer and still prints the others."""
        endpoints = ",".join(self.etcd_endpoint(h) for h in self.etcd)
        return self.etcdctl(via, "--endpoints", endpoints, *argv, "-w", "json", check=False).stdout

    def etcd_health(self, via: str) -> list[dict]:
        return json.loads(self._etcdctl_all(via, "endpoint", "health"))

    def etcd_healthy(self) -> bool:
        """Every etcd member answers healthy (asked through the first running member)."""
        via = next((h for h in self.etcd if self.running(h)), None)
        if via is None:
            return False
        health = self.etcd_health(via)
        return len(health) == len(self.etcd) and all(e.get("health") for e in health)

    def etcd_members(self) -> tuple[dict[str, str], str | None]:
        """etcd member id (hex, as `etcdctl move-leader` takes it) of every answering member
        by host, and the host whose member leads the raft (None when none answers as leader)."""
        via = next(h for h in self.etcd if self.running(h))
        out = self._etcdctl_all(via, "endpoint", "status")
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

    def etcd_leader(self) -> str:
        """The host whose etcd member leads the raft."""
        leader = self.etcd_members()[1]
        if leader is None:
            raise AssertionError("no etcd member reports itself leader")
        return leader

    def etcd_move_leader(self, to: str):
        """Hand etcd's raft leadership to the member on host `to` (asked of the current leader)."""
        ids, leader = self.etcd_members()
        if leader != to:
            self.etcdctl(leader, "--endpoints", self.etcd_endpoint(leader), "move-leader", ids[to])

    # --- HAProxy -----------------------------------------------------------
    # --- monitoring --------------------------------------------------------
    def monitoring_request(self, port_var: str, path: str, *, login: bool = True, timeout: float = 10):
        """JSON of one GET to Prometheus (port_var monitoring_prometheus_port) or Alertmanager
        (monitoring_alertmanager_port) on the monitoring host, with the web login."""
        host = self.monitoring[0]
        url = f"{self.scheme}://{self.addresses[host]}:{int(self.var(port_var))}{path}"
        request = urllib.request.Request(url)
        if login:
            request.add_header("Authorization", basic_auth(self.var("monitoring_web_username"), self.var("monitoring_web_password")))
        context = self.tls_context() if self.tls else None
        with urllib.request.urlopen(request, timeout=timeout, context=context) as resp:
            return json.load(resp)

    def prometheus_query(self, expr: str) -> list[dict]:
        """The instant vector of a PromQL expression: [{'metric': {...}, 'value': [t, 'v']}]."""
        return self.monitoring_request("monitoring_prometheus_port",
                                       "/api/v1/query?" + urllib.parse.urlencode({"query": expr}))["data"]["result"]

    def alertmanager_alerts(self) -> list[dict]:
        """The alerts Alertmanager holds now (active ones: resolved alerts leave the list)."""
        return self.monitoring_request("monitoring_alertmanager_port", "/api/v2/alerts")

    def haproxy_config(self, host: str) -> str:
        """The rendered HAProxy configuration on a proxy."""
        return self.sh(host, "cat", self.haproxy_config_file).stdout

    def haproxy_stats_request(self, host: str | None = None, path: str = "/;csv",
                              password: str | None = None) -> urllib.request.Request:
        """The request for a proxy's stats page as CSV (default: the first proxy's), or another path
        of the stats port (/metrics: the Prometheus exporter): on the proxy's own address (the page is
        not bound to the VIP), with the stats user and password (basic auth; "" sends none)."""
        address = self.addresses[host or self.proxies[0]]
        password = self.stats_password if password is None else password
        return urllib.request.Request(f"{self.scheme}://{address}:{self.stats_port}{path}",
                                      headers={"Authorization": basic_auth(self.stats_username, password)} if password else {})

    def haproxy_stats(self, host: str | None = None) -> dict[tuple[str, str], str]:
        """(proxy, server) -> status, from a proxy's stats page (default: the first proxy's)."""
        context = self.tls_context() if self.tls else None
        with urllib.request.urlopen(self.haproxy_stats_request(host), timeout=5, context=context) as resp:
            text = resp.read().decode().lstrip("# ")
        return {(r["pxname"], r["svname"]): r["status"] for r in csv.DictReader(io.StringIO(text))}

    # --- clients through the VIP ----------------------------------------
    def tls_kwargs(self) -> dict:
        """libpq settings of a client that verifies the server against the cluster CA and its address."""
        if self.client_sslmode:
            return {"sslmode": self.client_sslmode}
        return {"sslmode": "verify-full", "sslrootcert": self.ca_file} if self.tls else {}

    def connect(self, port: int, timeout: int = 5, host: str | None = None, **kwargs) -> psycopg.Connection:
        return psycopg.connect(**{
            "host": host or self.vip, "port": port, "user": self.superuser, "password": self.password,
            "dbname": "postgres", "connect_timeout": timeout, "autocommit": True, **self.tls_kwargs(), **kwargs,
        })

    def query(self, port: int, sql: str, params=None):
        with self.connect(port) as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []
