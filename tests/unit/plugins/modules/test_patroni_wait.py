# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.pgha.cluster.plugins.modules import patroni_wait
from ansible_collections.pgha.cluster.tests.unit.utils import P_LIST, PATRONI_ARGS, Call, load_record

VERSIONS = ['patroni-4.0.7', 'patroni-4.1']


@pytest.mark.parametrize('version', VERSIONS)
def test_healthy_cluster_passes_at_once(run_module, run_command, clock, version):
    run_command.expect(Call(P_LIST, version + '/list_sync_healthy'))
    result = run_module(patroni_wait, dict(PATRONI_ARGS, members=3, min_sync_standbys=1, max_lag_bytes=0,
                                           leader='pg1'))
    assert result['changed'] is False
    assert (result['attempts'], result['unmet'], clock.sleeps) == (1, [], [])
    assert (result['leader'], result['sync_standbys'], result['timeline']) == ('pg1', ['pg2'], 1)


def test_waits_through_a_switchover(run_module, run_command, clock):
    # The three lists recorded one after the other while pg1 handed over to pg2.
    run_command.expect(Call(P_LIST, 'patroni-4.0.7/list_after_switchover_immediate'),
                       Call(P_LIST, 'patroni-4.0.7/list_after_switchover_3s'),
                       Call(P_LIST, 'patroni-4.0.7/list_after_switchover_settled'))
    result = run_module(patroni_wait, dict(PATRONI_ARGS, leader='pg2', min_sync_standbys=1))
    assert result['changed'] is False
    assert result['attempts'] == 3 and clock.sleeps == [5, 5]
    assert (result['leader'], result['timeline']) == ('pg2', 2)


@pytest.mark.parametrize('version', VERSIONS)
def test_timeout_on_lag_lists_members_and_conditions(run_module, run_command, clock, version):
    # timeout 10, delay 5: polls at 0, 5 and 10 seconds.
    run_command.expect(*[Call(P_LIST, version + '/list_replica_receiver_stalled_lag')] * 3)
    result = run_module(patroni_wait, dict(PATRONI_ARGS, max_lag_bytes=1048576, timeout=10, delay=5))
    assert result['failed'] is True and result['changed'] is False
    assert result['attempts'] == 3 and clock.sleeps == [5, 5]
    assert result['unmet'] == ['member pg3 lags 76546048 bytes, more than max_lag_bytes 1048576']
    assert result['msg'] == ('The Patroni cluster did not reach the wanted state within 10 seconds (option timeout): '
                             'member pg3 lags 76546048 bytes, more than max_lag_bytes 1048576. '
                             'See member_table for the members as last seen.')
    assert result['member_table'][3].split() == ['pg3', '127.0.0.1:5434', 'replica', 'streaming', '2', '76546048', 'no']


@pytest.mark.parametrize('record, unmet', [
    ('patroni-4.0.7/list_after_failover', [
        'member pg3 is stopped, not streaming',
        'member pg3 is on timeline unknown, the leader on 4',
        'lag of member pg3 is unknown']),
    ('patroni-4.1/list_replica_start_failed', [
        'member pg3 is start failed, not streaming',
        'member pg3 is on timeline unknown, the leader on 2',
        'lag of member pg3 is unknown']),
    ('patroni-4.0.7/list_replica_creating', [
        'member pg3 is creating replica, not streaming',
        'member pg3 is on timeline unknown, the leader on 2',
        'lag of member pg3 is unknown']),
    ('patroni-4.0.7/list_paused_no_leader', [
        'no member holds the leader lock',
        '2 members listed, wanted 3',
        'member pg2 is running, not streaming',
        'member pg3 is running, not streaming']),
    ('patroni-4.0.7/list_replica_gone', [
        '2 members listed, wanted 3']),
    ('patroni-4.0.7/list_after_switchover_3s', [
        'member pg1 is stopped, not streaming',
        'member pg1 is on timeline unknown, the leader on 2',
        'lag of member pg1 is unknown']),
])
def test_unmet_conditions(run_module, run_command, clock, record, unmet):
    run_command.expect(Call(P_LIST, record))
    result = run_module(patroni_wait, dict(PATRONI_ARGS, members=3, max_lag_bytes=0, timeout=0))
    assert result['failed'] is True
    assert result['unmet'] == unmet


def test_sync_standby_count_and_leader_name(run_module, run_command, clock):
    run_command.expect(Call(P_LIST, 'patroni-4.1/list_quorum'))
    result = run_module(patroni_wait, dict(PATRONI_ARGS, leader='pg1', min_sync_standbys=3, timeout=0))
    assert result['unmet'] == ['the leader is pg2, wanted pg1',
                               '2 synchronous standbys (pg1, pg3), wanted at least 3']


def test_conditions_can_be_relaxed(run_module, run_command, clock):
    run_command.expect(Call(P_LIST, 'patroni-4.0.7/list_replica_stopped'))
    result = run_module(patroni_wait, dict(PATRONI_ARGS, replicas_streaming=False, same_timeline=False))
    assert result['changed'] is False and result['leader'] == 'pg2'


def test_tool_failure_is_polled_through(run_module, run_command, clock):
    record = load_record('patroni-4.0.7/show_config_no_such_file')  # -c is checked before any subcommand
    run_command.expect(Call(P_LIST, rc=record['rc'], stdout=record['stdout'], stderr=record['stderr']),
                       Call(P_LIST, 'patroni-4.0.7/list_sync_healthy'))
    result = run_module(patroni_wait, PATRONI_ARGS)
    assert result['changed'] is False and result['attempts'] == 2


def test_tool_failure_until_timeout_reports_the_command(run_module, run_command, clock):
    record = load_record('patroni-4.0.7/show_config_no_such_file')
    run_command.expect(Call(P_LIST, rc=record['rc'], stdout=record['stdout'], stderr=record['stderr']))
    result = run_module(patroni_wait, dict(PATRONI_ARGS, timeout=3, delay=5))
    assert result['failed'] is True
    assert result['unmet'] == ['patronictl list failed: patronictl list failed with exit code 1: Error: Provided '
                               'config file /srv/patroni/missing.yml not existing or no read rights. '
                               'Check the -c/--config-file parameter']
    assert (result['rc'], result['stderr'], result['members']) == (1, record['stderr'], [])
    assert result['cmd'] == '/usr/bin/patronictl -c /etc/patroni/config.yml list -f json'


def test_malformed_json_is_polled_through(run_module, run_command, clock):
    record = load_record('patroni-4.0.7/list_sync_healthy')
    run_command.expect(Call(P_LIST, rc=0, stdout=record['stdout'][:30]),  # cut short
                       Call(P_LIST, 'patroni-4.0.7/list_sync_healthy'))
    result = run_module(patroni_wait, PATRONI_ARGS)
    assert result['changed'] is False and result['attempts'] == 2


def test_check_mode_waits_too(run_module, run_command, clock):
    run_command.expect(Call(P_LIST, 'patroni-4.1/list_after_switchover_immediate'),
                       Call(P_LIST, 'patroni-4.1/list_after_switchover_settled'))
    result = run_module(patroni_wait, dict(PATRONI_ARGS, leader='pg2'), check_mode=True)
    assert result['changed'] is False and result['attempts'] == 2


@pytest.mark.parametrize('option, value, msg', [
    ('delay', 0, 'Option delay must be at least 1 second (got 0).'),
    ('members', -1, 'Option members must not be negative (got -1).'),
])
def test_bad_options(run_module, option, value, msg):
    result = run_module(patroni_wait, dict(PATRONI_ARGS, **{option: value}))
    assert result['failed'] is True and result['msg'] == msg
