#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: etcd_member
short_description: Add, promote or remove one member of a running etcd cluster
version_added: 1.1.0
description:
  - Changes the membership of a running etcd cluster with C(etcdctl member add), C(member promote) and
    C(member remove), reading it with C(member list) and C(endpoint status) (all C(-w json)).
  - A member is found by O(name) or by one of O(peer_urls) (a member added but never started has no name
    yet, only its peer URLs).
  - Refuses to remove a voting member when the voting members left would not have a reachable majority.
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.etcd
  - pgha.cluster.attributes
  - pgha.cluster.attributes.check_diff
attributes:
  diff_mode:
    details: The member list before and after, one C(name peer-URLs [learner]) line per member.
options:
  name:
    description:
      - The member's name (C(ETCD_NAME)).
    type: str
    required: true
  peer_urls:
    description:
      - The member's peer URLs. Required to add it; also used to find a member added but never started.
    type: list
    elements: str
    default: []
  state:
    description:
      - V(present) adds the member when the cluster has none of that name or peer URL (as a learner with
        O(learner)); the member must then be started with C(ETCD_INITIAL_CLUSTER_STATE=existing).
      - V(voting) promotes the member when it is a learner, retrying while etcd says the learner has not
        caught up with the leader; it fails when the member is not in the cluster.
      - V(absent) removes the member, if there is one.
    type: str
    choices: [present, voting, absent]
    default: present
  learner:
    description:
      - Add the member as a non-voting learner, which does not count for the quorum until promoted
        (O(state=voting)). Adding a voting member that is not yet running raises the quorum at once.
    type: bool
    default: true
  timeout:
    description:
      - Seconds O(state=voting) waits for the learner to catch up.
    type: int
    default: 120
  delay:
    description:
      - Seconds between two promotion attempts.
    type: int
    default: 3
notes:
  - Point O(endpoints) at the members that run; etcdctl uses the first that answers.
seealso:
  - module: pgha.cluster.etcd_cluster_info
  - name: etcd runtime reconfiguration
    description: Adding and removing members of a running cluster.
    link: https://etcd.io/docs/v3.5/op-guide/runtime-configuration/
'''

EXAMPLES = r'''
- name: Add pg4 as a learner
  pgha.cluster.etcd_member:
    endpoints: [https://10.0.1.11:2379, https://10.0.1.12:2379, https://10.0.1.13:2379]
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/client.crt
    key: /etc/etcd/pki/client.key
    name: pg4
    peer_urls: [https://10.0.1.14:2380]

# ... start etcd on pg4 with ETCD_INITIAL_CLUSTER_STATE=existing, then:
- name: Make pg4 a voting member once it has caught up
  pgha.cluster.etcd_member:
    endpoints: [https://10.0.1.11:2379, https://10.0.1.12:2379, https://10.0.1.13:2379]
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/client.crt
    key: /etc/etcd/pki/client.key
    name: pg4
    state: voting

- name: Remove pg2 (refused when the others would lose their majority)
  pgha.cluster.etcd_member:
    endpoints: [https://10.0.1.11:2379, https://10.0.1.13:2379]
    cacert: /etc/etcd/pki/ca.crt
    cert: /etc/etcd/pki/client.crt
    key: /etc/etcd/pki/client.key
    name: pg2
    state: absent
'''

RETURN = r'''
member:
  description: The member as it is after the task; V(null) when absent.
  returned: success
  type: dict
  contains:
    id_hex:
      description: Member ID in hex.
      type: str
    name:
      description: Member name.
      type: str
    peer_urls:
      description: Peer URLs.
      type: list
      elements: str
    is_learner:
      description: Whether the member is a learner.
      type: bool
members:
  description: The member list after the task (as M(pgha.cluster.etcd_cluster_info) returns it).
  returned: success
  type: list
  elements: dict
initial_cluster:
  description: C(ETCD_INITIAL_CLUSTER) for a member joining the cluster as it is after the task.
  returned: success
  type: str
  sample: pg1=https://10.0.1.11:2380,pg2=https://10.0.1.12:2380
attempts:
  description: Promotion attempts made (O(state=voting)).
  returned: success
  type: int
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import (
    CliError,
    check_poll_options,
    poll,
    poll_argument_spec,
)
from ansible_collections.pgha.cluster.plugins.module_utils._etcdctl import (
    ETCD_REQUIRED_TOGETHER,
    EtcdCtl,
    endpoint_key,
    etcd_argument_spec,
    quorum_after_removal,
)


def find_member(members, name, peer_urls):
    """The member named ``name`` or, failing that, the one holding one of ``peer_urls``."""
    wanted = set(endpoint_key(url) for url in peer_urls)
    for member in members:
        if member['name'] == name:
            return member
    for member in members:
        if wanted & set(endpoint_key(url) for url in member['peer_urls']):
            return member
    return None


def initial_cluster(members, name=None, member=None):
    """``name=peer_url,...`` for every member; an unnamed member takes ``name`` when it is ``member``."""
    pairs = []
    for m in members:
        label = m['name'] or (name if member is not None and m['id'] == member['id'] else None)
        if label:
            pairs.extend('%s=%s' % (label, url) for url in m['peer_urls'])
    return ','.join(pairs)


def member_lines(members, name=None, member=None):
    """The member list as text for the diff: one ``name peer-URLs [learner]`` line per member."""
    lines = []
    for m in members:
        label = m['name'] or (name if member is not None and m['id'] == member['id'] else None) or m['id_hex']
        lines.append('%s %s%s' % (label, ','.join(m['peer_urls']), ' (learner)' if m['is_learner'] else ''))
    return '\n'.join(sorted(lines)) + '\n'


def main():
    argument_spec = poll_argument_spec(timeout=120, delay=3)
    argument_spec.update(etcd_argument_spec())
    argument_spec.update(
        name=dict(type='str', required=True),
        peer_urls=dict(type='list', elements='str', default=[]),
        state=dict(type='str', choices=['present', 'voting', 'absent'], default='present'),
        learner=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    check_poll_options(module)
    params = module.params
    name, state = params['name'], params['state']
    client = EtcdCtl(module)
    result = dict(changed=False, attempts=0)
    try:
        members = client.member_list()
        member = find_member(members, name, params['peer_urls'])
        before = member_lines(members, name, member)
        if member is not None and member['name'] not in (None, name):
            module.fail_json(msg='The peer URL %s belongs to etcd member %s, not %s: remove that member first.'
                                 % (', '.join(member['peer_urls']), member['name'], name), members=members)
        if state == 'present' and member is None:
            if not params['peer_urls']:
                module.fail_json(msg='Option peer_urls is empty: etcd needs the peer URL of member %s to add it.' % name)
            result['changed'] = True
            if module.check_mode:
                member = dict(id=None, id_hex=None, name=name, peer_urls=list(params['peer_urls']),
                              client_urls=[], is_learner=params['learner'])
                members = members + [member]
            else:
                member = client.member_add(name, params['peer_urls'], params['learner'])
                members = client.member_list()
        elif state == 'absent' and member is not None:
            ok, voters, reachable = quorum_after_removal(members, client.endpoint_status(), member['id'])
            if not ok:
                module.fail_json(msg='Refusing to remove etcd member %s: the voting members left (%s) would have %d '
                                     'reachable (%s), short of a majority. Bring the others back first.'
                                     % (name, ', '.join(voters) or 'none', len(reachable), ', '.join(reachable) or 'none'),
                                 members=members)
            result['changed'] = True
            if module.check_mode:
                members = [m for m in members if m['id'] != member['id']]
            else:
                client.member_remove(member['id'])
                members = client.member_list()
            member = None
        elif state == 'voting':
            if member is None:
                module.fail_json(msg='etcd has no member %s to promote: add it first (state=present).' % name,
                                 members=members)
            if member['is_learner']:
                result['changed'] = True
                if module.check_mode:
                    member = dict(member, is_learner=False)
                    members = [member if m['id'] == member['id'] else m for m in members]
                else:
                    done, dummy, attempts, elapsed = poll(lambda: (client.member_promote(member['id']), None),
                                                          params['timeout'], params['delay'])
                    result['attempts'] = attempts
                    if not done:
                        module.fail_json(msg='etcd learner %s did not catch up with the leader within %s seconds '
                                             '(option timeout): is etcd running on it with '
                                             'ETCD_INITIAL_CLUSTER_STATE=existing?' % (name, params['timeout']), **result)
                    members = client.member_list()
                    member = find_member(members, name, params['peer_urls'])
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())

    result.update(member=member, members=members, initial_cluster=initial_cluster(members, name, member))
    if module._diff:
        result['diff'] = dict(before=before, after=member_lines(members, name, member))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
