#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: patroni_switchover
short_description: Planned switchover of a Patroni cluster to a named or any eligible member
version_added: 0.1.0
description:
  - Moves the leader lock with C(patronictl switchover --leader X --candidate Y --force), then waits
    until the candidate leads and the old leader streams from it again.
  - Idempotent. When O(candidate) already leads, or O(leader) no longer leads, nothing is done.
  - Checks eligibility before calling Patroni. Under synchronous replication (C(synchronous_mode)
    V(on) or V(quorum) in the dynamic configuration, or a member in a synchronous role) only the
    synchronous (or quorum) standbys can take over, as Patroni enforces; an asynchronous candidate
    is refused with a message naming the eligible members. Members that are not running, or are
    tagged C(nofailover) or C(failover_priority=0), are never eligible.
  - Without O(candidate) the eligible member with the least lag is chosen (then by name).
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.patroni
  - pgha.cluster.attributes
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Reads the cluster, checks eligibility and reports the switchover it would make, without making it.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
    details: Returns the leader before and after.
options:
  candidate:
    description:
      - Member that must become the leader. When omitted, an eligible member is chosen.
    type: str
  leader:
    description:
      - Member expected to lead now, the one to move away from.
      - When it is not the leader any more (and O(candidate) is omitted or already leads), nothing is done.
      - When another member than O(candidate) leads, the module fails and names it.
      - Without O(leader) and O(candidate) every run switches over; set one of them to make reruns no-ops.
    type: str
  wait:
    description:
      - Wait until O(candidate) leads and the old leader is streaming again.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for the new leader and for the old leader to stream.
    type: int
    default: 180
  delay:
    description:
      - Seconds between two polls while waiting.
    type: int
    default: 2
notes:
  - C(patronictl switchover) exits 0 even when Patroni refuses (it prints C(Switchover failed));
    that output is detected and reported as a failure.
  - When Patroni answers that it failed to write the failover key into the DCS (HTTP 503; its etcd client could not
    write at that moment, for example while an etcd member goes away), nothing was scheduled and the request is
    repeated every O(delay) seconds until O(timeout).
seealso:
  - module: pgha.cluster.patroni_wait
  - name: Patroni switchover and synchronous mode
    description: Which members Patroni accepts as candidates.
    link: https://patroni.readthedocs.io/en/latest/replication_modes.html
'''

EXAMPLES = r'''
- name: Hand the leader lock to pg2 (no-op when pg2 already leads)
  pgha.cluster.patroni_switchover:
    config_file: /etc/patroni/config.yml
    candidate: pg2

- name: Move the leader away from pg1 before maintenance (no-op when pg1 does not lead)
  pgha.cluster.patroni_switchover:
    config_file: /etc/patroni/config.yml
    leader: pg1
    timeout: 300
  register: moved

- name: Show the new leader
  ansible.builtin.debug:
    msg: "{{ moved.previous_leader }} -> {{ moved.leader }}"
'''

RETURN = r'''
previous_leader:
  description: Leader before the module ran.
  returned: success
  type: str
  sample: pg1
leader:
  description: Leader when the module finished (in check mode, the leader it would have made).
  returned: success
  type: str
  sample: pg2
eligible:
  description: Members that could take over when the module looked.
  returned: success
  type: list
  elements: str
  sample: [pg2]
synchronous_mode:
  description: V(off), V(on) or V(quorum), from the dynamic configuration.
  returned: success
  type: str
  sample: 'on'
timeline:
  description: Highest timeline reported when the module finished.
  returned: success
  type: int
  sample: 3
members:
  description: Members when the module finished (see M(pgha.cluster.patroni_cluster_info) for the keys).
  returned: success
  type: list
  elements: dict
stdout:
  description: Output of C(patronictl switchover).
  returned: when a switchover ran
  type: str
retried:
  description:
    - Patroni's answers to the switchover requests that were repeated because it could not write the failover key
      into the DCS at that moment (nothing was scheduled then).
  returned: when a request was repeated
  type: list
  elements: str
  sample: ['Patroni refused the switchover from pg1 to pg2: Switchover failed, details: 503, failed to write failover key into DCS']
member_table:
  description: The members as text lines; returned on failure to read the cluster state.
  returned: failure
  type: list
  elements: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliError, poll
from ansible_collections.pgha.cluster.plugins.module_utils._patronictl import (
    RUNNING_STATES,
    SYNC_ROLES,
    PatroniCtl,
    config_facts,
    is_true,
    leaders,
    member_facts,
    member_table,
    patroni_argument_spec,
)


DCS_WRITE_FAILED = 'failed to write failover key into DCS'


def ineligibility(member, sync_required):
    """Why ``member`` cannot take over, or ``None`` when it can."""
    if member['role'] in ('leader', 'standby_leader'):
        return 'it is the leader'
    if member['state'] not in RUNNING_STATES:
        return 'it is %s' % (member['state'] or 'in no known state')
    tags = member['tags']
    if is_true(tags.get('nofailover', False)):
        return 'it is tagged nofailover'
    if str(tags.get('failover_priority', '')).strip() == '0':
        return 'it is tagged failover_priority: 0'
    if sync_required and member['role'] not in SYNC_ROLES:
        return 'it is not a synchronous standby and synchronous replication is on'
    return None


def lag_sort_key(member):
    return (member['lag_bytes'] is None, member['lag_bytes'] or 0, member['name'])


def main():
    argument_spec = dict(
        candidate=dict(type='str'),
        leader=dict(type='str'),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=180),
        delay=dict(type='int', default=2),
    )
    argument_spec.update(patroni_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params['timeout'] < 0:
        module.fail_json(msg='Option timeout must not be negative (got %s).' % params['timeout'])
    if params['delay'] < 1:
        module.fail_json(msg='Option delay must be at least 1 second (got %s).' % params['delay'])
    candidate = params['candidate']
    wanted_old = params['leader']
    if candidate and wanted_old and candidate == wanted_old:
        module.fail_json(msg='Options leader and candidate both name %s; the candidate must be another member.' % candidate)

    client = PatroniCtl(module)
    try:
        members = client.list_members()
        config = client.show_config()
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())

    sync_mode = config_facts(config)['synchronous_mode']
    found = leaders(members)
    if len(found) != 1:
        module.fail_json(msg='A planned switchover needs exactly one leader, and the cluster has %s. '
                             'Wait for the cluster (pgha.cluster.patroni_wait) or fail over instead.'
                             % (', '.join(m['name'] for m in found) if found else 'none'),
                         member_table=member_table(members), members=members)
    current = found[0]['name']
    names = [m['name'] for m in members]

    def done(msg):
        facts = member_facts(members)
        result = dict(changed=False, msg=msg, previous_leader=current, leader=current, eligible=[],
                      synchronous_mode=sync_mode, timeline=facts['timeline'], members=members)
        if module._diff:
            result['diff'] = dict(before=dict(leader=current), after=dict(leader=current))
        module.exit_json(**result)

    if candidate and candidate == current:
        done('%s already leads; nothing to do.' % candidate)
    if wanted_old and wanted_old != current:
        if not candidate:
            done('%s does not lead (%s does); nothing to do.' % (wanted_old, current))
        module.fail_json(msg='Option leader names %s, but %s leads the cluster, not %s nor the candidate %s. '
                             'Check the inventory, or omit leader.' % (wanted_old, current, wanted_old, candidate),
                         member_table=member_table(members), members=members)
    if candidate and candidate not in names:
        module.fail_json(msg='Option candidate names %s, which is not a member of the cluster (members: %s).'
                             % (candidate, ', '.join(names)), member_table=member_table(members), members=members)

    sync_required = sync_mode != 'off' or any(m['role'] in SYNC_ROLES for m in members)
    reasons = dict((m['name'], ineligibility(m, sync_required)) for m in members)
    eligible = sorted((m for m in members if reasons[m['name']] is None), key=lag_sort_key)
    eligible_names = [m['name'] for m in eligible]

    if candidate and reasons[candidate] is not None:
        module.fail_json(msg='%s cannot take over because %s. Eligible members: %s.'
                             % (candidate, reasons[candidate], ', '.join(eligible_names) or 'none'),
                         eligible=eligible_names, synchronous_mode=sync_mode,
                         member_table=member_table(members), members=members)
    if not candidate:
        if not eligible:
            module.fail_json(msg='No member can take over from %s: %s.' % (current, '; '.join(
                '%s: %s' % (name, why) for name, why in sorted(reasons.items()) if name != current)),
                synchronous_mode=sync_mode, member_table=member_table(members), members=members)
        candidate = eligible_names[0]

    result = dict(changed=True, previous_leader=current, leader=candidate, eligible=eligible_names,
                  synchronous_mode=sync_mode)
    if module._diff:
        result['diff'] = dict(before=dict(leader=current), after=dict(leader=candidate))
    if module.check_mode:
        result.update(msg='Would switch over from %s to %s.' % (current, candidate),
                      timeline=member_facts(members)['timeline'], members=members)
        module.exit_json(**result)

    # Patroni answers 503 "failed to write failover key into DCS" when its etcd client
    # cannot write at that moment (its etcd member just went away, an election runs):
    # nothing was scheduled, so the request is repeated until the timeout.
    sent = dict(stdout=None, error=None, retried=[])

    def request():
        try:
            sent['stdout'] = client.switchover(current, candidate)
            return True, None
        except CliError as exc:
            if DCS_WRITE_FAILED not in exc.msg:
                sent['error'] = exc
                return True, None
            sent['retried'].append(exc.msg)
            return False, exc

    ok, transient, attempts, elapsed = poll(request, params['timeout'], params['delay'])
    if sent['error'] is not None:
        module.fail_json(**sent['error'].as_fail_kwargs())
    if not ok:
        error = transient.as_fail_kwargs()
        error['msg'] = '%s (%d attempts in %d seconds, option timeout)' % (error['msg'], attempts, elapsed)
        module.fail_json(**error)
    result['stdout'] = sent['stdout']
    if sent['retried']:
        result['retried'] = sent['retried']

    if not params['wait']:
        result.update(msg='Switched over from %s to %s (not waited for).' % (current, candidate),
                      timeline=None, members=[])
        module.exit_json(**result)

    last = dict(members=members, error=None)

    def check():
        try:
            now = client.list_members()
        except CliError as exc:
            last['error'] = exc
            return False, ['patronictl list failed: %s' % exc.msg]
        last['members'], last['error'] = now, None
        unmet = []
        now_leaders = leaders(now)
        if [m['name'] for m in now_leaders] != [candidate]:
            unmet.append('%s does not lead yet (leader: %s)' % (
                candidate, ', '.join(m['name'] for m in now_leaders) or 'none'))
        old = [m for m in now if m['name'] == current]
        if not old:
            unmet.append('the old leader %s is not listed' % current)
        elif old[0]['state'] != 'streaming':
            unmet.append('the old leader %s is %s, not streaming' % (current, old[0]['state'] or 'in no known state'))
        return not unmet, unmet

    ok, unmet, attempts, elapsed = poll(check, params['timeout'], params['delay'])
    members = last['members']
    result.update(timeline=member_facts(members)['timeline'], members=members)
    if not ok:
        if last['error'] is not None:
            error = last['error'].as_fail_kwargs()
            error.pop('msg')
            result.update(error)
        module.fail_json(msg='Patroni accepted the switchover from %s to %s, but within %s seconds (option timeout): %s.'
                             % (current, candidate, params['timeout'], '; '.join(unmet)),
                         member_table=member_table(members), unmet=unmet, **result)
    result['msg'] = 'Switched over from %s to %s.' % (current, candidate)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
