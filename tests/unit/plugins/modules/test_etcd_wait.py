# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.pgha.cluster.plugins.modules import etcd_wait
from ansible_collections.pgha.cluster.tests.unit.utils import (
    E_ALARMS,
    E_HEALTH,
    E_MEMBERS,
    E_STATUS,
    ETCD_ARGS,
    Call,
    etcd_snapshot_calls,
    load_record,
)

HEALTHY = ('endpoint_health_all_up', 'endpoint_status_all_up', 'member_list', 'alarm_list_none')
ONE_DOWN = ('endpoint_health_one_down', 'endpoint_status_one_down', 'member_list_one_down', 'alarm_list_one_down')
NOSPACE = ('endpoint_health_nospace', 'endpoint_status_nospace', 'member_list', 'alarm_list_nospace')


def test_healthy_at_once(run_module, run_command, clock):
    run_command.expect(*etcd_snapshot_calls(*HEALTHY))
    result = run_module(etcd_wait, ETCD_ARGS)
    assert result['changed'] is False
    assert (result['attempts'], result['unmet'], clock.sleeps) == (1, [], [])
    assert result['leader']['name'] == 'e3'


def test_waits_until_the_member_is_back(run_module, run_command, clock):
    run_command.expect(*(etcd_snapshot_calls(*ONE_DOWN) + etcd_snapshot_calls(*ONE_DOWN) + etcd_snapshot_calls(*HEALTHY)))
    result = run_module(etcd_wait, dict(ETCD_ARGS, delay=3))
    assert result['changed'] is False
    assert result['attempts'] == 3 and clock.sleeps == [3, 3]


def test_timeout_names_each_endpoint(run_module, run_command, clock):
    # timeout 10, delay 5: polls at 0, 5 and 10 seconds, then gives up.
    run_command.expect(*(etcd_snapshot_calls(*ONE_DOWN) * 3))
    result = run_module(etcd_wait, dict(ETCD_ARGS, timeout=10, delay=5))
    assert result['failed'] is True and result['changed'] is False
    assert result['attempts'] == 3 and clock.sleeps == [5, 5]
    assert result['msg'].startswith('The etcd cluster was not healthy within 10 seconds (option timeout): '
                                    'Endpoint 127.0.0.1:32379 (member e3) is not healthy')
    table = result['endpoint_table']
    assert table[0].split() == ['endpoint', 'member', 'healthy', 'leader', 'raft_term', 'raft_index', 'problem']
    assert table[1].split()[:4] == ['127.0.0.1:2379', 'e1', 'yes', 'yes']
    assert table[3].startswith('127.0.0.1:32379') and 'context deadline exceeded' in table[3]


def test_alarm_blocks_the_gate(run_module, run_command, clock):
    run_command.expect(*etcd_snapshot_calls(*NOSPACE))
    result = run_module(etcd_wait, dict(ETCD_ARGS, timeout=0))
    assert result['failed'] is True
    assert 'Alarm NOSPACE is raised on member e3' in result['msg']


def test_tool_failure_is_polled_through(run_module, run_command, clock):
    # member list cannot reach a quorum at first (recorded failure), then everything answers.
    failing = [
        Call(E_HEALTH, 'etcd-3.5.16/endpoint_health_one_down'),
        Call(E_STATUS, 'etcd-3.5.16/endpoint_status_one_down'),
        Call(E_MEMBERS, 'etcd-3.5.16/member_list_unreachable'),
        Call(E_ALARMS, 'etcd-3.5.16/alarm_list_one_down'),
    ]
    run_command.expect(*(failing + etcd_snapshot_calls(*HEALTHY)))
    result = run_module(etcd_wait, ETCD_ARGS)
    assert result['changed'] is False and result['attempts'] == 2


def test_tool_failure_until_timeout_reports_the_command(run_module, run_command, clock):
    failing = [
        Call(E_HEALTH, 'etcd-3.5.16/endpoint_health_one_down'),
        Call(E_STATUS, 'etcd-3.5.16/endpoint_status_one_down'),
        Call(E_MEMBERS, 'etcd-3.5.16/member_list_unreachable'),
        Call(E_ALARMS, 'etcd-3.5.16/alarm_list_one_down'),
    ]
    run_command.expect(*failing)
    result = run_module(etcd_wait, dict(ETCD_ARGS, timeout=2, delay=5))
    record = load_record('etcd-3.5.16/member_list_unreachable')
    assert result['failed'] is True
    assert 'etcdctl member list failed with exit code 1' in result['msg']
    assert (result['rc'], result['stderr']) == (1, record['stderr'])
    assert result['cmd'].endswith('member list -w json')


def test_check_mode_waits_too(run_module, run_command, clock):
    run_command.expect(*(etcd_snapshot_calls(*ONE_DOWN) + etcd_snapshot_calls(*HEALTHY)))
    result = run_module(etcd_wait, ETCD_ARGS, check_mode=True)
    assert result['changed'] is False and result['attempts'] == 2


def test_bad_delay(run_module):
    result = run_module(etcd_wait, dict(ETCD_ARGS, delay=0))
    assert result['failed'] is True and result['msg'] == 'Option delay must be at least 1 second (got 0).'
