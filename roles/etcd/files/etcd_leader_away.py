# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Keep etcd's raft leadership off the host of the Patroni primary.

When the primary's host dies and it also led etcd's raft, the surviving etcd
members first elect a new leader, and a new etcd leader renews every lease for
its full TTL: Patroni's leader key then outlives the dead primary by a whole
ttl after the election instead of expiring ttl after its last renewal.

Run as ``/usr/bin/python3 -I etcd_leader_away.py --endpoints ... --own-endpoint ...
--primary-url ...`` by pgha-etcd-leader-away.timer on every etcd member that
also runs Patroni: it acts only where this Patroni is the primary and the local
etcd member leads the raft, and then hands the raft leadership to the most
up-to-date other member (etcdctl move-leader: a transfer, not an election;
writes continue).

Only the Python standard library is used. etcdctl inherits the environment, so
connection settings it reads itself (``ETCDCTL_CACERT``, ``ETCDCTL_CERT``,
``ETCDCTL_KEY``...) can come from the unit without appearing on a command line.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.request


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="etcd_leader_away.py",
        description="Hand etcd's raft leadership to another member while the local Patroni is the primary.",
    )
    parser.add_argument("--endpoints", required=True,
                        help="every etcd member's client URL, comma-separated (as etcdctl --endpoints)")
    parser.add_argument("--own-endpoint", required=True,
                        help="the client URL of the etcd member on this host, one of --endpoints")
    parser.add_argument("--primary-url", required=True,
                        help="the local Patroni REST API's /primary URL (200 on the primary only)")
    parser.add_argument("--cacert", default=None,
                        help="CA file that verifies the Patroni REST API's certificate (an https --primary-url)")
    parser.add_argument("--etcdctl", default="etcdctl", help="etcdctl binary, a name looked up in PATH or a path")
    parser.add_argument("--dial-timeout", default="1s", help="etcdctl --dial-timeout")
    parser.add_argument("--command-timeout", default="3s", help="etcdctl --command-timeout")
    args = parser.parse_args(argv)
    args.endpoints = [endpoint.strip() for endpoint in args.endpoints.split(",") if endpoint.strip()]
    if args.own_endpoint not in args.endpoints:
        parser.error(f"--own-endpoint {args.own_endpoint} is not one of --endpoints {','.join(args.endpoints)}")
    return args


def is_primary(url: str, cacert: str | None = None) -> bool:
    context = ssl.create_default_context(cafile=cacert) if url.startswith("https:") else None
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False  # 503 (not the primary) or no answer


def etcdctl(args: argparse.Namespace, *command: str) -> subprocess.CompletedProcess:
    binary = shutil.which(args.etcdctl)
    if binary is None:
        sys.exit(f"{args.etcdctl} not found in PATH")
    timeouts = [f"--dial-timeout={args.dial_timeout}", f"--command-timeout={args.command_timeout}"]
    return subprocess.run([binary, *timeouts, *command], capture_output=True, text=True, timeout=15, check=False,
                          env={**os.environ, "LC_ALL": "C"})


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not is_primary(args.primary_url, args.cacert):
        return 0
    # etcdctl exits non-zero when a member does not answer, and still prints the others.
    proc = etcdctl(args, "--endpoints=" + ",".join(args.endpoints), "endpoint", "status", "-w", "json")
    try:
        statuses = {entry["Endpoint"]: entry["Status"] for entry in json.loads(proc.stdout)}
    except (ValueError, KeyError, TypeError):
        print(f"etcdctl endpoint status gave no JSON: {proc.stderr.strip()[:300]}")
        return 1
    own = statuses.get(args.own_endpoint)
    if own is None or own["leader"] != own["header"]["member_id"]:
        return 0  # the local member does not lead (or does not answer): nothing to do
    others = [s for endpoint, s in statuses.items() if endpoint != args.own_endpoint and s["leader"] == own["leader"]]
    if not others:
        print("this Patroni primary's etcd member leads the raft, and no other member answers: left alone")
        return 0
    target = max(others, key=lambda s: s.get("raftAppliedIndex", s.get("raftIndex", 0)))
    target_id = f"{target['header']['member_id']:x}"
    proc = etcdctl(args, "--endpoints=" + args.own_endpoint, "move-leader", target_id)
    if proc.returncode != 0:
        print(f"etcdctl move-leader {target_id} failed: {(proc.stderr or proc.stdout).strip()[:300]}")
        return 1
    print(f"etcd raft leadership moved off the Patroni primary's host to member {target_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
