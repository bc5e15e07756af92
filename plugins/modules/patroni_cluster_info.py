#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: patroni_cluster_info
short_description: Read the state of a Patroni cluster
version_added: 0.1.0
description:
  - Runs C(patronictl list -f json), C(patronictl show-config), C(patronictl history -f json) and
    C(patronictl version) on the target and returns the members in one normalised shape, whether
    the client is Patroni 4.0 (C(Lag in MB)) or 4.1 and later (C(Receive Lag)/C(Replay Lag)).
  - Also returns the leader, the synchronous standbys, the maintenance (pause) state, pending
    restarts and the timelines.
  - Changes nothing.
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.patroni
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
options:
  history:
    description:
      - Also read the timeline history (C(patronictl history)).
    type: bool
    default: true
seealso:
  - module: pgha.cluster.patroni_wait
  - name: patronictl reference
    description: The command line this module reads.
    link: https://patroni.readthedocs.io/en/latest/patronictl.html
'''

EXAMPLES = r'''
- name: Read the Patroni cluster
  pgha.cluster.patroni_cluster_info:
    config_file: /etc/patroni/config.yml
  register: patroni

- name: Show who leads
  ansible.builtin.debug:
    msg: "{{ patroni.leader }} leads on timeline {{ patroni.timeline }}; sync: {{ patroni.sync_standbys | join(', ') }}"

- name: Read a cluster through the DCS only, without a Patroni configuration file
  pgha.cluster.patroni_cluster_info:
    dcs_url: etcd3://127.0.0.1:2379
    cluster_name: pg-cluster
    history: false
'''

RETURN = r'''
patroni_version:
  description: Version of the C(patronictl) client that was run.
  returned: success
  type: str
  sample: 4.0.7
members:
  description: The members, normalised.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Member name.
      type: str
      sample: pg1
    cluster:
      description: Patroni scope.
      type: str
      sample: pg-cluster
    host:
      description: Host, with the port when patronictl shows it.
      type: str
      sample: 10.0.1.11
    role:
      description: One of V(leader), V(standby_leader), V(sync_standby), V(quorum_standby), V(replica).
      type: str
      sample: sync_standby
    state:
      description: PostgreSQL state as Patroni reports it, for example V(running), V(streaming),
        V(stopped), V(start failed), V(creating replica).
      type: str
      sample: streaming
    timeline:
      description: Timeline, or V(null) when the member does not report one (stopped).
      type: int
      sample: 2
    lag_bytes:
      description:
        - Replication lag in bytes, from Patroni's whole-MB figure (the larger of receive and replay lag on 4.1).
        - V(null) when unknown, and for the leader.
      type: int
      sample: 0
    receive_lsn:
      description: Last received LSN (Patroni 4.1 and later), when known.
      type: str
      sample: 0/40000C0
    replay_lsn:
      description: Last replayed LSN (Patroni 4.1 and later), when known.
      type: str
      sample: 0/4000410
    pending_restart:
      description: Whether PostgreSQL on this member needs a restart to apply its configuration.
      type: bool
      sample: false
    pending_restart_reason:
      description: Why a restart is pending, as patronictl words it.
      type: str
      sample: 'max_connections: 100->200'
    scheduled_restart:
      description: Scheduled restart, if any.
      type: str
    tags:
      description: Member tags that patronictl shows (non-default ones).
      type: dict
      sample: {dc: east}
leader:
  description: Name of the member holding the leader lock, or V(null) when there is none (or several).
  returned: success
  type: str
  sample: pg1
sync_standbys:
  description: Names of the members in the role V(sync_standby) or V(quorum_standby).
  returned: success
  type: list
  elements: str
  sample: [pg2]
replicas:
  description: Names of all members that are not the leader.
  returned: success
  type: list
  elements: str
  sample: [pg2, pg3]
pending_restart:
  description: Names of the members with a pending restart.
  returned: success
  type: list
  elements: str
  sample: []
timelines:
  description: Distinct timelines the members report, ascending.
  returned: success
  type: list
  elements: int
  sample: [2]
timeline:
  description: Highest timeline reported.
  returned: success
  type: int
  sample: 2
paused:
  description: Whether the cluster is in maintenance mode (C(pause) in the dynamic configuration).
  returned: success
  type: bool
  sample: false
synchronous_mode:
  description: V(off), V(on) or V(quorum).
  returned: success
  type: str
  sample: 'on'
synchronous_mode_strict:
  description: Whether C(synchronous_mode_strict) is set.
  returned: success
  type: bool
  sample: false
dynamic_config:
  description: The dynamic (DCS) configuration as C(patronictl show-config) prints it.
  returned: success
  type: dict
  sample: {ttl: 30, loop_wait: 10, synchronous_mode: true, postgresql: {parameters: {max_connections: 200}}}
history:
  description: Timeline history, oldest first. Absent when O(history=false).
  returned: success and O(history=true)
  type: list
  elements: dict
  contains:
    timeline:
      description: The timeline that ended.
      type: int
      sample: 1
    lsn:
      description: LSN where it ended.
      type: int
      sample: 67109904
    reason:
      description: Reason recorded by PostgreSQL.
      type: str
      sample: no recovery target specified
    timestamp:
      description: When it happened.
      type: str
      sample: '2026-11-25T23:24:42.145367+00:00'
    new_leader:
      description: Member that became leader.
      type: str
      sample: pg2
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliError
from ansible_collections.pgha.cluster.plugins.module_utils._patronictl import (
    PatroniCtl,
    config_facts,
    member_facts,
    patroni_argument_spec,
)


def main():
    argument_spec = dict(
        history=dict(type='bool', default=True),
    )
    argument_spec.update(patroni_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    client = PatroniCtl(module)
    try:
        version = client.version()
        members = client.list_members()
        config = client.show_config()
        history = client.history() if module.params['history'] else None
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())

    result = dict(changed=False, patroni_version=version, members=members, dynamic_config=config)
    result.update(member_facts(members))
    result.update(config_facts(config))
    if history is not None:
        result['history'] = history
    module.exit_json(**result)


if __name__ == '__main__':
    main()
