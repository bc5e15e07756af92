"""pgha's lab and drill library: the code that talks to the lab cluster and runs fault drills on it.

Used by the lab tests (tests/lab, Molecule's verifier) and by the drills' command line
(``python -m pgha_lab``, ``make drill``). The venv made by ``make venv`` names this checkout in a
``.pth`` file, so ``import pgha_lab`` works there without any ``sys.path`` edit.

Where things live:

- ``inventory``: addresses, group names, ports, Patroni scope and the VIP, read from an Ansible
  inventory (``ansible-inventory --list``), a variable the inventory leaves unset from its role's
  ``defaults/main.yml``;
- ``lab``: the ``Lab`` (an ``Inventory`` that acts): docker exec into the hosts, Patroni's and
  HAProxy's HTTP endpoints, etcd's status, PostgreSQL through the VIP;
- ``playbook``: the project's playbooks run against the lab, and their PLAY RECAP;
- ``load``: the client load during a drill (writer, reader, sampler of every node);
- ``metrics``: gaps between acknowledgements, and their statistics;
- ``timeline``: the marks of a failover read from the nodes' journals;
- ``profiles``: failover-timing profiles (``inventory/profiles/*.yml``): check, apply, compare;
- ``registry`` and ``context``: the ``@drill`` decorator and what a drill function is given;
- ``drills``: the drills, one module per fault family;
- ``runner``: one drill run under load, measured;
- ``report``: the results as Markdown and JSON;
- ``__main__``: the command line (``python -m pgha_lab --help``).
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

#: The checkout: playbooks, inventories, roles and results are found from here.
ROOT = Path(__file__).resolve().parents[1]

#: The lab's inventory (``PGHA_LAB_INVENTORY`` names another one, e.g. inventory/lab-rocky10).
DEFAULT_INVENTORY = Path(os.environ.get("PGHA_LAB_INVENTORY", ROOT / "inventory" / "lab"))


def log(msg: str) -> None:
    """A progress line with the UTC time, flushed at once (drills run for minutes)."""
    print(f"[{datetime.datetime.now(datetime.timezone.utc):%H:%M:%S}] {msg}", flush=True)
