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
  - pgha.cluster.attributes.check_diff
attributes:
  check_mode:
    details: Reads the cluster, checks eligibility and reports the switchover it would make, without making it.
  diff_mode:
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

from ansible_collections.pgha.cluster.plugins.module_utils._cli import (
    CliError,
    check_poll_options,
    finish_wait,
    poll,
    poll_argument_spec,
)
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
    wait_for_members,
)


DCS_WRITE_FAILED = 'failed to write failover key into DCS'

# What plan() decides.
NOTHING = 'nothing'
REFUSE = 'refuse'
SWITCHOVER = 'switchover'


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


def plan(members, sync_mode, candidate=None, leader=None):
    """Decide what a switchover request means for the cluster that ``members`` show.

    Pure: it reads and changes nothing. ``members`` are normalised ``patronictl list``
    members, ``sync_mode`` is ``off``, ``on`` or ``quorum``; ``candidate`` and ``leader``
    are the module options (either may be ``None``). Returns a dict:

    * ``action``: ``nothing`` (already so), ``refuse`` (with ``msg`` saying why and what to do)
      or ``switchover``;
    * ``msg``: one sentence for the result;
    * ``leader``: the member leading now (``None`` when not exactly one leads);
    * ``candidate``: the member to hand over to (``None`` unless ``action`` is ``switchover``);
    * ``eligible``: members that could take over, least lag first (``None`` where they were
      not judged: no single leader, a wrong ``leader`` or an unknown ``candidate``);
    * ``synchronous_mode``: ``sync_mode``.
    """
    result = dict(action=REFUSE, msg=None, leader=None, candidate=None, eligible=None, synchronous_mode=sync_mode)
    found = leaders(members)
    if len(found) != 1:
        result['msg'] = ('A planned switchover needs exactly one leader, and the cluster has %s. '
                         'Wait for the cluster (pgha.cluster.patroni_wait) or fail over instead.'
                         % (', '.join(m['name'] for m in found) if found else 'none'))
        return result
    current = result['leader'] = found[0]['name']
    names = [m['name'] for m in members]

    if candidate and candidate == current:
        return dict(result, action=NOTHING, eligible=[], msg='%s already leads; nothing to do.' % candidate)
    if leader and leader != current:
        if not candidate:
            return dict(result, action=NOTHING, eligible=[],
                        msg='%s does not lead (%s does); nothing to do.' % (leader, current))
        result['msg'] = ('Option leader names %s, but %s leads the cluster, not %s nor the candidate %s. '
                         'Check the inventory, or omit leader.' % (leader, current, leader, candidate))
        return result
    if candidate and candidate not in names:
        result['msg'] = ('Option candidate names %s, which is not a member of the cluster (members: %s).'
                         % (candidate, ', '.join(names)))
        return result

    sync_required = sync_mode != 'off' or any(m['role'] in SYNC_ROLES for m in members)
    reasons = dict((m['name'], ineligibility(m, sync_required)) for m in members)
    eligible = result['eligible'] = [m['name'] for m in sorted(
        (m for m in members if reasons[m['name']] is None), key=lag_sort_key)]
    if candidate and reasons[candidate] is not None:
        result['msg'] = ('%s cannot take over because %s. Eligible members: %s.'
                         % (candidate, reasons[candidate], ', '.join(eligible) or 'none'))
        return result
    if not candidate and not eligible:
        others = ['%s: %s' % (name, why) for name, why in sorted(reasons.items()) if name != current]
        result['msg'] = 'No member can take over from %s: %s.' % (
            current, '; '.join(others) or 'the cluster has no other member')
        return result
    candidate = candidate or eligible[0]
    return dict(result, action=SWITCHOVER, candidate=candidate,
                msg='Would switch over from %s to %s.' % (current, candidate))


def request(client, leader, candidate, timeout, delay):
    """Ask Patroni to switch over from ``leader`` to ``candidate``; return ``(stdout, retried)``.

    Patroni answers 503 "failed to write failover key into DCS" when its etcd client cannot
    write at that moment (its etcd member just went away, an election runs): nothing was
    scheduled, so the request is repeated every ``delay`` seconds until ``timeout``.
    ``retried`` lists those answers. Any other failure raises :class:`CliError` at once;
    the last 503 is raised, with the attempts counted, when the timeout passes.
    """
    retried = []

    def attempt():
        try:
            return True, client.switchover(leader, candidate)
        except CliError as exc:
            if DCS_WRITE_FAILED not in exc.msg:
                raise
            retried.append(exc.msg)
            return False, exc

    ok, answer, attempts, elapsed = poll(attempt, timeout, delay)
    if not ok:
        raise CliError('%s (%d attempts in %d seconds, option timeout)' % (answer.msg, attempts, elapsed),
                       **answer.command_facts())
    return answer, retried


def switchover_unmet(members, old, new):
    """What keeps the switchover from ``old`` to ``new`` from being complete, as sentences."""
    unmet = []
    now_leaders = leaders(members)
    if [m['name'] for m in now_leaders] != [new]:
        unmet.append('%s does not lead yet (leader: %s)' % (new, ', '.join(m['name'] for m in now_leaders) or 'none'))
    listed = [m for m in members if m['name'] == old]
    if not listed:
        unmet.append('the old leader %s is not listed' % old)
    elif listed[0]['state'] != 'streaming':
        unmet.append('the old leader %s is %s, not streaming' % (old, listed[0]['state'] or 'in no known state'))
    return unmet


def wait(client, old, new, timeout, delay):
    """Poll until ``new`` leads and ``old`` streams from it (see ``wait_for_members``)."""
    return wait_for_members(client, lambda members: switchover_unmet(members, old, new), timeout, delay)


def main():
    argument_spec = dict(
        candidate=dict(type='str'),
        leader=dict(type='str'),
        wait=dict(type='bool', default=True),
    )
    argument_spec.update(poll_argument_spec(timeout=180, delay=2))
    argument_spec.update(patroni_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    check_poll_options(module)
    if params['candidate'] and params['candidate'] == params['leader']:
        module.fail_json(msg='Options leader and candidate both name %s; the candidate must be another member.'
                             % params['candidate'])

    client = PatroniCtl(module)
    try:
        members = client.list_members()
        config = client.show_config()
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())

    step = plan(members, config_facts(config)['synchronous_mode'], params['candidate'], params['leader'])
    if step['action'] == REFUSE:
        reported = dict((key, step[key]) for key in ('eligible', 'synchronous_mode') if step[key] is not None)
        module.fail_json(msg=step['msg'], member_table=member_table(members), members=members, **reported)

    old = step['leader']
    new = step['candidate'] if step['action'] == SWITCHOVER else old
    result = dict(changed=step['action'] == SWITCHOVER, previous_leader=old, leader=new,
                  eligible=step['eligible'], synchronous_mode=step['synchronous_mode'],
                  timeline=member_facts(members)['timeline'], members=members)
    if module._diff:
        result['diff'] = dict(before=dict(leader=old), after=dict(leader=new))
    if not result['changed'] or module.check_mode:
        module.exit_json(msg=step['msg'], **result)

    try:
        result['stdout'], retried = request(client, old, new, params['timeout'], params['delay'])
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())
    if retried:
        result['retried'] = retried
    if not params['wait']:
        result.update(timeline=None, members=[])
        module.exit_json(msg='Switched over from %s to %s (not waited for).' % (old, new), **result)

    waited = wait(client, old, new, params['timeout'], params['delay'])
    if waited['members'] is not None:
        members = waited['members']
    result.update(timeline=member_facts(members)['timeline'], members=members)
    if waited['done']:
        result['msg'] = 'Switched over from %s to %s.' % (old, new)
    else:
        result.update(member_table=member_table(members), unmet=waited['unmet'])
    finish_wait(module, waited['done'], result,
                'Patroni accepted the switchover from %s to %s, but within %s seconds (option timeout): %s.'
                % (old, new, params['timeout'], '; '.join(waited['unmet'])), waited['error'])


if __name__ == '__main__':
    main()
