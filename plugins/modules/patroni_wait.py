#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: patroni_wait
short_description: Wait until a Patroni cluster is in the wanted shape
version_added: 0.1.0
description:
  - Polls C(patronictl list -f json) until every condition holds, then returns the members.
  - Always required is exactly one member holding the leader lock (V(leader) or V(standby_leader)).
    The other conditions are options; by default every replica must be streaming and every member
    must be on the leader's timeline.
  - On timeout it fails with the member table and the conditions still unmet.
  - A failing C(patronictl) call (for example while the DCS is starting) counts as an unmet
    condition and polling goes on; the last failure is returned when the wait times out.
  - Never reports C(changed).
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.patroni
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
attributes:
  check_mode:
    details: Read-only; it waits in check mode too, so that later checked tasks see a ready cluster.
options:
  leader:
    description:
      - Name of the member that must be the leader.
    type: str
  members:
    description:
      - Exact number of members the cluster must list.
    type: int
  min_sync_standbys:
    description:
      - Minimum number of members in the role V(sync_standby) or V(quorum_standby).
    type: int
    default: 0
  replicas_streaming:
    description:
      - Every member other than the leader must be in the state V(streaming).
    type: bool
    default: true
  same_timeline:
    description:
      - Every member must report the leader's timeline.
    type: bool
    default: true
  max_lag_bytes:
    description:
      - Largest replication lag, in bytes, allowed on any member other than the leader.
      - Patroni reports lag in whole megabytes, so V(0) means "less than half a megabyte behind".
      - A member whose lag is unknown does not meet this condition.
    type: int
  timeout:
    description:
      - Seconds to wait before failing.
    type: int
    default: 300
  delay:
    description:
      - Seconds between two polls.
    type: int
    default: 5
seealso:
  - module: pgha.cluster.patroni_cluster_info
  - module: pgha.cluster.etcd_wait
'''

EXAMPLES = r'''
- name: Wait for one leader, one sync standby, three members all streaming on one timeline
  pgha.cluster.patroni_wait:
    config_file: /etc/patroni/config.yml
    members: 3
    min_sync_standbys: 1
    max_lag_bytes: 0
    timeout: 600

- name: Wait until pg2 leads
  pgha.cluster.patroni_wait:
    config_file: /etc/patroni/config.yml
    leader: pg2
    replicas_streaming: false
    same_timeline: false
    timeout: 120
    delay: 2
'''

RETURN = r'''
members:
  description: The members when the wait ended (see M(pgha.cluster.patroni_cluster_info) for the keys).
  returned: always, when C(patronictl list) answered at least once
  type: list
  elements: dict
  sample: [{name: pg1, role: leader, state: running, timeline: 1, lag_bytes: null}]
leader:
  description: Name of the leader when the wait ended, V(null) if there was none.
  returned: always
  type: str
  sample: pg1
sync_standbys:
  description: Names of the synchronous (or quorum) standbys when the wait ended.
  returned: always
  type: list
  elements: str
  sample: [pg2]
timeline:
  description: Highest timeline reported when the wait ended.
  returned: always
  type: int
  sample: 1
unmet:
  description: Conditions not met at the last poll; empty on success.
  returned: always
  type: list
  elements: str
  sample: ['member pg3 is stopped, not streaming']
member_table:
  description: The members as text lines, for reading in the failure output.
  returned: always
  type: list
  elements: str
attempts:
  description: Number of polls.
  returned: always
  type: int
  sample: 3
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 10.2
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import (
    check_poll_options,
    finish_wait,
    poll_argument_spec,
)
from ansible_collections.pgha.cluster.plugins.module_utils._patronictl import (
    LEADER_ROLES,
    SYNC_ROLES,
    PatroniCtl,
    leaders,
    member_facts,
    member_table,
    patroni_argument_spec,
    wait_for_members,
)


def unmet_conditions(members, params):
    """Sentences naming every wanted condition that ``members`` does not meet."""
    unmet = []
    found = leaders(members)
    leader = found[0] if len(found) == 1 else None
    if not found:
        unmet.append('no member holds the leader lock')
    elif len(found) > 1:
        unmet.append('several members claim to lead: %s' % ', '.join(m['name'] for m in found))
    if params['leader'] and (leader is None or leader['name'] != params['leader']):
        unmet.append('the leader is %s, wanted %s' % (leader['name'] if leader else 'nobody', params['leader']))
    if params['members'] is not None and len(members) != params['members']:
        unmet.append('%d members listed, wanted %d' % (len(members), params['members']))
    sync = [m['name'] for m in members if m['role'] in SYNC_ROLES]
    if len(sync) < params['min_sync_standbys']:
        unmet.append('%d synchronous standbys (%s), wanted at least %d'
                     % (len(sync), ', '.join(sync) or 'none', params['min_sync_standbys']))
    for m in members:
        if m['role'] in LEADER_ROLES:
            continue
        if params['replicas_streaming'] and m['state'] != 'streaming':
            unmet.append('member %s is %s, not streaming' % (m['name'], m['state'] or 'in no known state'))
        if params['same_timeline'] and leader is not None and m['timeline'] != leader['timeline']:
            unmet.append('member %s is on timeline %s, the leader on %s'
                         % (m['name'], 'unknown' if m['timeline'] is None else m['timeline'], leader['timeline']))
        if params['max_lag_bytes'] is not None:
            if m['lag_bytes'] is None:
                unmet.append('lag of member %s is unknown' % m['name'])
            elif m['lag_bytes'] > params['max_lag_bytes']:
                unmet.append('member %s lags %d bytes, more than max_lag_bytes %d'
                             % (m['name'], m['lag_bytes'], params['max_lag_bytes']))
    return unmet


def main():
    argument_spec = dict(
        leader=dict(type='str'),
        members=dict(type='int'),
        min_sync_standbys=dict(type='int', default=0),
        replicas_streaming=dict(type='bool', default=True),
        same_timeline=dict(type='bool', default=True),
        max_lag_bytes=dict(type='int'),
    )
    argument_spec.update(poll_argument_spec(timeout=300, delay=5))
    argument_spec.update(patroni_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    check_poll_options(module, non_negative=('members', 'min_sync_standbys', 'max_lag_bytes'))

    waited = wait_for_members(PatroniCtl(module), lambda members: unmet_conditions(members, params),
                              params['timeout'], params['delay'])
    members = waited['members'] or []
    facts = member_facts(members)
    result = dict(
        changed=False,
        members=members,
        leader=facts['leader'],
        sync_standbys=facts['sync_standbys'],
        timeline=facts['timeline'],
        unmet=[] if waited['done'] else waited['unmet'],
        member_table=member_table(members),
        attempts=waited['attempts'],
        elapsed=round(waited['elapsed'], 1),
    )
    finish_wait(module, waited['done'], result,
                'The Patroni cluster did not reach the wanted state within %s seconds (option timeout): %s. '
                'See member_table for the members as last seen.' % (params['timeout'], '; '.join(waited['unmet'])),
                waited['error'])


if __name__ == '__main__':
    main()
