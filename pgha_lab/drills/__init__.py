"""The drills, one module per fault family. Importing this package registers them
(pgha_lab.registry); the import order below is the order of ``--drills all`` and of the report."""

from __future__ import annotations

from pgha_lab.drills import host, patroni, network, etcd, haproxy, operations, posture

__all__ = ["host", "patroni", "network", "etcd", "haproxy", "operations", "posture"]
