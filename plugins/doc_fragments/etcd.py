# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Options shared by the modules that run etcdctl
    # (argument spec: plugins/module_utils/_etcdctl.py etcd_argument_spec()).
    DOCUMENTATION = r'''
options:
  endpoints:
    description:
      - etcd client endpoints, passed to C(etcdctl --endpoints).
      - Every endpoint is judged on its own; list all members to check the whole cluster.
    type: list
    elements: str
    default: ['127.0.0.1:2379']
  cacert:
    description:
      - CA bundle that verifies the endpoints' TLS certificates (C(etcdctl --cacert)).
    type: path
  cert:
    description:
      - Client certificate for TLS client authentication (C(etcdctl --cert)). Needs O(key).
    type: path
  key:
    description:
      - Private key of O(cert) (C(etcdctl --key)). Only the path is passed on.
    type: path
  user:
    description:
      - User for etcd authentication. Needs O(password).
      - Passed in the environment (E(ETCDCTL_USER)), not on the command line.
    type: str
  password:
    description:
      - Password of O(user), passed in the environment (E(ETCDCTL_PASSWORD)), never on the command line.
    type: str
  dial_timeout:
    description:
      - Seconds to wait for a connection to an endpoint (C(etcdctl --dial-timeout)).
    type: int
    default: 2
  command_timeout:
    description:
      - Seconds one C(etcdctl) request may take (C(etcdctl --command-timeout)).
    type: int
    default: 5
  etcdctl_path:
    description:
      - Path of the C(etcdctl) binary. By default it is looked up in E(PATH) on the target.
    type: path
requirements:
  - C(etcdctl) 3.4 or later (API v3, C(-w json)) on the target.
notes:
  - C(etcdctl) runs with E(ETCDCTL_API=3) and E(LC_ALL=C); its JSON output (C(-w json)) is parsed.
  - C(etcdctl endpoint health) and C(endpoint status) exit non-zero when an endpoint is down
    but still print JSON; that is read as the state of the endpoints, not as a failure of the tool.
  - etcd IDs are returned as integers and as the hex strings (C(*_hex)) that C(etcdctl) tables and
    etcd logs show; prefer the hex strings outside Python, the integers exceed 2**53.
'''
