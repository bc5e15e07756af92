# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Normalisation and assessment of _etcdctl, fed with recorded etcdctl 3.5.16 output."""

from __future__ import annotations

import json

import pytest

from ansible_collections.pgha.cluster.plugins.module_utils import _etcdctl as ectl
from ansible_collections.pgha.cluster.tests.unit.utils import ETCD_ENDPOINTS, load_record


def stdout_json(name):
    return json.loads(load_record('etcd-3.5.16/' + name)['stdout'])


def test_member_ids_stay_exact_integers():
    members = [ectl.normalise_member(m) for m in stdout_json('member_list')['members']]
    e2 = [m for m in members if m['name'] == 'e2'][0]
    # 1773807980460942668 > 2**53: a float would have rounded it.
    assert e2['id'] == 1773807980460942668 and float(e2['id']) != e2['id']
    # Same IDs as the --hex recording of the same cluster.
    hex_ids = sorted(m['ID'] for m in stdout_json('member_list_hex')['members'])
    assert sorted(m['id_hex'] for m in members) == hex_ids


def test_learner_flag_only_present_when_true():
    members = [ectl.normalise_member(m) for m in stdout_json('member_list_with_learner')['members']]
    assert [(m['name'], m['is_learner']) for m in members] == [
        ('e3', False), ('e1', False), ('e2', False), ('e4', True)]


def test_status_normalised():
    row = stdout_json('endpoint_status_all_up')[2]
    status = ectl.normalise_status('127.0.0.1:32379', row['Status'])
    assert status == dict(
        endpoint='127.0.0.1:32379', reachable=True, error=None,
        member_id=205223157840375465, member_id_hex='2d9195feec26ea9', cluster_id_hex='175bbb927e7c7584',
        version='3.5.16', leader_id=205223157840375465, leader_id_hex='2d9195feec26ea9', is_leader=True,
        is_learner=False, raft_term=2, raft_index=48, raft_applied_index=48, revision=32,
        db_size=36864, db_size_in_use=36864, errors=[])


def test_alarm_enum_is_named():
    alarms = [ectl.normalise_alarm(a) for a in stdout_json('alarm_list_nospace')['alarms']]
    assert alarms == [dict(member_id=205223157840375465, member_id_hex='2d9195feec26ea9', alarm='NOSPACE')]
    assert ectl.normalise_alarm({'memberID': 1, 'alarm': 2})['alarm'] == 'CORRUPT'
    assert ectl.normalise_alarm({'memberID': 1, 'alarm': 'NOSPACE'})['alarm'] == 'NOSPACE'


@pytest.mark.parametrize('given, same', [
    ('http://127.0.0.1:2379', '127.0.0.1:2379'),
    ('https://ETCD1:2379/', 'etcd1:2379'),
])
def test_endpoint_key(given, same):
    assert ectl.endpoint_key(given) == ectl.endpoint_key(same)


def state_from(health, status, members, alarms, endpoints=tuple(ETCD_ENDPOINTS)):
    def health_rows():
        rows = dict((r['endpoint'], r) for r in stdout_json(health))
        return [dict(endpoint=e, healthy=rows[e]['health'], took=rows[e]['took'], error=rows[e].get('error'))
                for e in endpoints]

    def status_rows():
        rows = dict((r['Endpoint'], r) for r in stdout_json(status))
        return [ectl.normalise_status(e, rows[e]['Status']) if e in rows
                else dict(endpoint=e, reachable=False, error='context deadline exceeded') for e in endpoints]

    return dict(health=health_rows(), status=status_rows(),
                members=[ectl.normalise_member(m) for m in stdout_json(members)['members']],
                alarms=[ectl.normalise_alarm(a) for a in stdout_json(alarms).get('alarms', [])], errors=[])


def test_assess_healthy():
    problems, rows, summary = ectl.assess(
        state_from('endpoint_health_all_up', 'endpoint_status_all_up', 'member_list', 'alarm_list_none'),
        ETCD_ENDPOINTS)
    assert problems == []
    assert summary['healthy'] is True
    assert summary['leader'] == dict(id=205223157840375465, id_hex='2d9195feec26ea9', name='e3')
    assert [(r['member'], r['is_leader']) for r in rows] == [('e1', False), ('e2', False), ('e3', True)]


def test_assess_one_member_down():
    problems, rows, summary = ectl.assess(
        state_from('endpoint_health_one_down', 'endpoint_status_one_down', 'member_list_one_down',
                   'alarm_list_one_down'), ETCD_ENDPOINTS)
    assert problems == ['Endpoint 127.0.0.1:32379 (member e3) is not healthy '
                        '(unhealthy: context deadline exceeded; no status: context deadline exceeded).']
    assert summary['leader']['name'] == 'e1' and summary['raft_term'] == 3
    # The member behind a silent endpoint is still named, through its client URL.
    assert rows[2]['member'] == 'e3' and rows[2]['reachable'] is False
    table = ectl.endpoint_table(rows)
    assert table[3].split()[:3] == ['127.0.0.1:32379', 'e3', 'no']


def test_assess_alarm():
    problems, rows, summary = ectl.assess(
        state_from('endpoint_health_nospace', 'endpoint_status_nospace', 'member_list', 'alarm_list_nospace'),
        ETCD_ENDPOINTS)
    assert 'Alarm NOSPACE is raised on member e3; clear its cause, then run etcdctl alarm disarm.' in problems
    assert all('Active Alarm(s): NOSPACE' in ' '.join(r['problems']) for r in rows)
    assert summary['healthy'] is False


def test_assess_without_any_answer():
    problems, rows, summary = ectl.assess(dict(health=None, status=None, members=None, alarms=None, errors=[]),
                                          ['127.0.0.1:2379'])
    assert rows[0]['healthy'] is None and summary['leader'] is None
    assert problems == ['Endpoint 127.0.0.1:2379 is not healthy (no health answer).']
    assert summary['healthy'] is False


def members_of(name):
    return [ectl.normalise_member(m) for m in stdout_json(name)['members']]


def status_of(name):
    return [ectl.normalise_status(ETCD_ENDPOINTS[0], row['Status']) for row in stdout_json(name)]


def test_a_learner_does_not_count_for_the_majority():
    # e1, e2, e3 voting and reachable, e4 a learner that never started: removing e3 leaves
    # e1 and e2, both reachable; the learner counts neither way.
    members = members_of('member_list_learner_unstarted')
    e3 = [m for m in members if m['name'] == 'e3'][0]
    ok, voters, reachable = ectl.quorum_after_removal(members, status_of('endpoint_status_all_up'), e3['id'])
    assert ok is True and sorted(voters) == ['e1', 'e2'] and sorted(reachable) == ['e1', 'e2']


def test_removing_the_last_voter_is_never_safe():
    members = [m for m in members_of('member_list') if m['name'] == 'e1']
    ok, voters, reachable = ectl.quorum_after_removal(members, status_of('endpoint_status_all_up'), members[0]['id'])
    assert (ok, voters, reachable) == (False, [], [])
