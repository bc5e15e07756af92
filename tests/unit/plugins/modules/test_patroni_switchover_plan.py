# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""patroni_switchover.plan() and switchover_unmet() as tables: cluster + options -> decision.

Members are built from rows shaped like ``patronictl list -f json`` (through the same
normalisation the module uses), or taken from the recorded fixtures.
"""

from __future__ import annotations

import json

import pytest

from ansible_collections.pgha.cluster.plugins.module_utils._patronictl import normalise_member
from ansible_collections.pgha.cluster.plugins.modules.patroni_switchover import plan, switchover_unmet
from ansible_collections.pgha.cluster.tests.unit.utils import load_record


def member(name, role='Replica', state='streaming', lag=0, **tags):
    """One normalised member; the leader carries no lag, as patronictl prints it."""
    row = {'Member': name, 'Role': role, 'State': state, 'TL': 1, 'Tags': tags}
    if lag is not None:
        row['Lag in MB'] = lag
    return normalise_member(row)


def recorded(name):
    return [normalise_member(row) for row in json.loads(load_record(name)['stdout'])]


LEADER = member('pg1', 'Leader', 'running', lag=None)
SYNC = member('pg2', 'Sync Standby')
ASYNC = member('pg3')
SYNC_CLUSTER = [LEADER, SYNC, ASYNC]


def decision(action, msg, leader='pg1', candidate=None, eligible=None, synchronous_mode='on'):
    return dict(action=action, msg=msg, leader=leader, candidate=candidate, eligible=eligible,
                synchronous_mode=synchronous_mode)


# id, members, synchronous_mode, candidate option, leader option, expected plan
CASES = [
    # -- already so: nothing to do -------------------------------------------------------
    ('candidate-already-leads', SYNC_CLUSTER, 'on', 'pg1', None,
     decision('nothing', 'pg1 already leads; nothing to do.', eligible=[])),
    ('candidate-already-leads-whatever-leader-says', SYNC_CLUSTER, 'on', 'pg1', 'pg2',
     decision('nothing', 'pg1 already leads; nothing to do.', eligible=[])),
    ('old-leader-moved-on', SYNC_CLUSTER, 'on', None, 'pg3',
     decision('nothing', 'pg3 does not lead (pg1 does); nothing to do.', eligible=[])),
    ('recorded-41-old-leader-moved-on', recorded('patroni-4.1/list_after_switchover_settled'), 'on', None, 'pg1',
     decision('nothing', 'pg1 does not lead (pg2 does); nothing to do.', leader='pg2', eligible=[])),

    # -- switch over ------------------------------------------------------------------------
    ('named-sync-standby', SYNC_CLUSTER, 'on', 'pg2', None,
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2'])),
    ('named-sync-standby-and-leader', SYNC_CLUSTER, 'on', 'pg2', 'pg1',
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2'])),
    ('leader-only-picks-the-sync-standby', SYNC_CLUSTER, 'on', None, 'pg1',
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2'])),
    ('no-option-switches-every-run', SYNC_CLUSTER, 'on', None, None,
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2'])),
    ('async-least-lag-first', [LEADER, member('pg2', lag=3), member('pg3', lag=1)], 'off', None, None,
     decision('switchover', 'Would switch over from pg1 to pg3.', candidate='pg3', eligible=['pg3', 'pg2'],
              synchronous_mode='off')),
    ('async-equal-lag-by-name', [LEADER, member('pg3'), member('pg2')], 'off', None, None,
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2', 'pg3'],
              synchronous_mode='off')),
    ('unknown-lag-last', [LEADER, member('pg2', lag='unknown'), member('pg3', lag=40)], 'off', None, None,
     decision('switchover', 'Would switch over from pg1 to pg3.', candidate='pg3', eligible=['pg3', 'pg2'],
              synchronous_mode='off')),
    ('async-candidate-when-sync-off', SYNC_CLUSTER[:2] + [member('pg3', 'Replica')], 'off', 'pg3', None,
     # a member in a synchronous role means sync replication is on, whatever the configuration said
     decision('refuse', 'pg3 cannot take over because it is not a synchronous standby and synchronous '
                        'replication is on. Eligible members: pg2.', eligible=['pg2'], synchronous_mode='off')),
    ('async-candidate-without-sync-roles', [LEADER, member('pg2'), member('pg3')], 'off', 'pg3', None,
     decision('switchover', 'Would switch over from pg1 to pg3.', candidate='pg3', eligible=['pg2', 'pg3'],
              synchronous_mode='off')),
    ('recorded-quorum', recorded('patroni-4.0.7/list_quorum'), 'quorum', None, 'pg2',
     decision('switchover', 'Would switch over from pg2 to pg1.', leader='pg2', candidate='pg1',
              eligible=['pg1', 'pg3'], synchronous_mode='quorum')),
    ('standby-leader-leads', [member('pg1', 'Standby Leader', lag=None), member('pg2')], 'off', 'pg2', None,
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2'],
              synchronous_mode='off')),
    ('archive-recovery-is-running', [LEADER, member('pg2', state='in archive recovery')], 'off', None, None,
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2'],
              synchronous_mode='off')),

    # -- refusals ---------------------------------------------------------------------------
    ('no-leader', recorded('patroni-4.0.7/list_paused_no_leader'), 'on', 'pg2', None,
     decision('refuse', 'A planned switchover needs exactly one leader, and the cluster has none. '
                        'Wait for the cluster (pgha.cluster.patroni_wait) or fail over instead.', leader=None)),
    ('two-leaders', [LEADER, member('pg2', 'Leader', 'running', lag=None), ASYNC], 'on', 'pg3', None,
     decision('refuse', 'A planned switchover needs exactly one leader, and the cluster has pg1, pg2. '
                        'Wait for the cluster (pgha.cluster.patroni_wait) or fail over instead.', leader=None)),
    ('wrong-leader-with-candidate', SYNC_CLUSTER, 'on', 'pg3', 'pg2',
     decision('refuse', 'Option leader names pg2, but pg1 leads the cluster, not pg2 nor the candidate pg3. '
                        'Check the inventory, or omit leader.')),
    ('unknown-candidate', SYNC_CLUSTER, 'on', 'pg9', None,
     decision('refuse', 'Option candidate names pg9, which is not a member of the cluster (members: pg1, pg2, pg3).')),
    ('async-candidate-under-sync', SYNC_CLUSTER, 'on', 'pg3', None,
     decision('refuse', 'pg3 cannot take over because it is not a synchronous standby and synchronous '
                        'replication is on. Eligible members: pg2.', eligible=['pg2'])),
    ('recorded-stopped-candidate', recorded('patroni-4.1/list_replica_stopped'), 'on', 'pg3', None,
     decision('refuse', 'pg3 cannot take over because it is stopped. Eligible members: pg1.',
              leader='pg2', eligible=['pg1'])),
    ('recorded-creating-replica', recorded('patroni-4.0.7/list_replica_creating'), 'off', 'pg3', None,
     decision('refuse', 'pg3 cannot take over because it is creating replica. Eligible members: pg1.',
              leader='pg2', eligible=['pg1'], synchronous_mode='off')),
    ('no-state', [LEADER, member('pg2', state='')], 'off', 'pg2', None,
     decision('refuse', 'pg2 cannot take over because it is in no known state. Eligible members: none.',
              eligible=[], synchronous_mode='off')),
    ('nofailover', [LEADER, member('pg2', nofailover=True), member('pg3')], 'off', 'pg2', None,
     decision('refuse', 'pg2 cannot take over because it is tagged nofailover. Eligible members: pg3.',
              eligible=['pg3'], synchronous_mode='off')),
    ('nofailover-as-string', [LEADER, member('pg2', nofailover='yes'), member('pg3')], 'off', 'pg2', None,
     decision('refuse', 'pg2 cannot take over because it is tagged nofailover. Eligible members: pg3.',
              eligible=['pg3'], synchronous_mode='off')),
    ('failover-priority-0', [LEADER, member('pg2', failover_priority=0), member('pg3')], 'off', 'pg2', None,
     decision('refuse', 'pg2 cannot take over because it is tagged failover_priority: 0. Eligible members: pg3.',
              eligible=['pg3'], synchronous_mode='off')),
    ('failover-priority-1-is-fine', [LEADER, member('pg2', failover_priority=1)], 'off', 'pg2', None,
     decision('switchover', 'Would switch over from pg1 to pg2.', candidate='pg2', eligible=['pg2'],
              synchronous_mode='off')),
    ('nobody-eligible', [LEADER, member('pg2', 'Sync Standby', 'stopped', lag='unknown'),
                         member('pg3', nofailover=True)], 'on', None, 'pg1',
     decision('refuse', 'No member can take over from pg1: pg2: it is stopped; pg3: it is tagged nofailover.',
              eligible=[])),
    ('single-member', [LEADER], 'off', None, None,
     decision('refuse', 'No member can take over from pg1: the cluster has no other member.', eligible=[], synchronous_mode='off')),
]


@pytest.mark.parametrize('members, sync_mode, candidate, leader, expected',
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_plan(members, sync_mode, candidate, leader, expected):
    assert plan(members, sync_mode, candidate=candidate, leader=leader) == expected


def test_plan_does_not_change_its_input():
    members = recorded('patroni-4.0.7/list_after_restart')
    before = json.dumps(members, sort_keys=True)
    plan(members, 'on', candidate='pg3')
    plan(members, 'on', leader='pg1')
    assert json.dumps(members, sort_keys=True) == before


# recording (pg1 handed over to pg2, or another state), unmet conditions
UNMET = [
    ('patroni-4.0.7/list_after_switchover_immediate', ['the old leader pg1 is stopped, not streaming']),
    ('patroni-4.0.7/list_after_switchover_3s', ['the old leader pg1 is stopped, not streaming']),
    ('patroni-4.0.7/list_after_switchover_settled', []),
    ('patroni-4.1/list_after_switchover_settled', []),
    ('patroni-4.0.7/list_after_restart', ['pg2 does not lead yet (leader: pg1)',
                                          'the old leader pg1 is running, not streaming']),
    ('patroni-4.0.7/list_paused_no_leader', ['pg2 does not lead yet (leader: none)',
                                             'the old leader pg1 is not listed']),
]


@pytest.mark.parametrize('record, unmet', UNMET)
def test_switchover_unmet(record, unmet):
    assert switchover_unmet(recorded(record), 'pg1', 'pg2') == unmet
