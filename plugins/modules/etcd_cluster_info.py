#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: etcd_cluster_info
short_description: Read the state of an etcd cluster
version_added: 0.1.0
description:
  - Runs C(etcdctl member list), C(endpoint health), C(endpoint status) and C(alarm list), all with
    C(-w json), and returns the members, the health and raft state of every endpoint, the raft
    leader, the alarms and the database sizes.
  - An endpoint that is down is reported (RV(endpoints[].healthy=false)), not treated as a failure;
    the module fails only when C(etcdctl) cannot answer at all (for example no endpoint reachable for
    C(member list)) or prints something it cannot read.
  - Changes nothing.
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.etcd
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
seealso:
  - module: pgha.cluster.etcd_wait
  - name: etcdctl
    description: The command line this module reads.
    link: https://etcd.io/docs/v3.5/dev-guide/interacting_v3/
'''

EXAMPLES = r'''
- name: Read the etcd cluster through every member
  pgha.cluster.etcd_cluster_info:
    endpoints:
      - https://10.0.1.11:2379
      - https://10.0.1.12:2379
      - https://10.0.1.13:2379
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/client.crt
    key: /etc/etcd/pki/client.key
  register: etcd

- name: Show the raft leader
  ansible.builtin.debug:
    msg: "{{ etcd.leader.name }} leads, term {{ etcd.raft_term }}, healthy: {{ etcd.healthy }}"
'''

RETURN = r'''
etcdctl_version:
  description: Version of C(etcdctl).
  returned: success
  type: str
  sample: 3.5.16
healthy:
  description: Every endpoint healthy, exactly one raft leader that is a member, no alarm.
  returned: success
  type: bool
  sample: true
problems:
  description: What makes the cluster unhealthy, one sentence each; empty when RV(healthy).
  returned: success
  type: list
  elements: str
  sample: ['Endpoint 10.0.1.13:2379 (member pg3) is not healthy (unhealthy: context deadline exceeded).']
leader:
  description: The raft leader, V(null) when there is none or the endpoints disagree.
  returned: success
  type: dict
  contains:
    id:
      description: Member ID.
      type: int
      sample: 205223157840375465
    id_hex:
      description: Member ID as etcdctl tables and etcd logs show it.
      type: str
      sample: 2d9195feec26ea9
    name:
      description: Member name.
      type: str
      sample: pg3
raft_term:
  description: Highest raft term reported by the endpoints.
  returned: success
  type: int
  sample: 2
raft_index:
  description: Highest raft index reported by the endpoints.
  returned: success
  type: int
  sample: 48
cluster_id_hex:
  description: Cluster ID.
  returned: success
  type: str
  sample: 175bbb927e7c7584
members:
  description: Members from C(etcdctl member list).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Member ID (may exceed 2**53; use RV(members[].id_hex) outside Python).
      type: int
    id_hex:
      description: Member ID in hex.
      type: str
      sample: a734fd705381b87
    name:
      description: Member name, V(null) for a member added but never started.
      type: str
      sample: pg1
    peer_urls:
      description: Peer URLs.
      type: list
      elements: str
    client_urls:
      description: Client URLs.
      type: list
      elements: str
    is_learner:
      description: Whether the member is a learner (non-voting).
      type: bool
endpoints:
  description: One entry per endpoint asked for.
  returned: success
  type: list
  elements: dict
  contains:
    endpoint:
      description: The endpoint.
      type: str
      sample: 127.0.0.1:2379
    member:
      description: Name of the member behind the endpoint, when known.
      type: str
    member_id_hex:
      description: ID of that member.
      type: str
    healthy:
      description: C(etcdctl endpoint health) result.
      type: bool
    reachable:
      description: Whether C(etcdctl endpoint status) got an answer.
      type: bool
    is_leader:
      description: Whether this member is the raft leader.
      type: bool
    is_learner:
      description: Whether this member is a learner.
      type: bool
    raft_term:
      description: Raft term seen by this member.
      type: int
    raft_index:
      description: Raft index of this member.
      type: int
    db_size:
      description: Backend database size in bytes.
      type: int
    problems:
      description: What is wrong with this endpoint.
      type: list
      elements: str
health:
  description: C(etcdctl endpoint health) per endpoint (V(endpoint), V(healthy), V(took), V(error)).
  returned: success
  type: list
  elements: dict
status:
  description:
    - C(etcdctl endpoint status) per endpoint, normalised (V(member_id), V(member_id_hex), V(leader_id),
      V(is_leader), V(is_learner), V(raft_term), V(raft_index), V(raft_applied_index), V(revision),
      V(db_size), V(db_size_in_use), V(version), V(errors)).
    - An endpoint that did not answer has V(reachable=false) and V(error).
  returned: success
  type: list
  elements: dict
alarms:
  description: Raised alarms.
  returned: success
  type: list
  elements: dict
  contains:
    member_id_hex:
      description: Member that raised it.
      type: str
      sample: 2d9195feec26ea9
    member_id:
      description: Same, as an integer.
      type: int
    alarm:
      description: V(NOSPACE) or V(CORRUPT).
      type: str
      sample: NOSPACE
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliError
from ansible_collections.pgha.cluster.plugins.module_utils._etcdctl import (
    ETCD_REQUIRED_TOGETHER,
    EtcdCtl,
    assess,
    etcd_argument_spec,
    snapshot,
)


def main():
    module = AnsibleModule(argument_spec=etcd_argument_spec(), required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    client = EtcdCtl(module)
    try:
        version = client.version()
        state = snapshot(client)
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())

    problems, rows, summary = assess(state, client.endpoints)
    result = dict(
        changed=False,
        etcdctl_version=version,
        problems=problems,
        members=state['members'],
        endpoints=rows,
        health=state['health'],
        status=state['status'],
        alarms=state['alarms'],
    )
    result.update(summary)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
