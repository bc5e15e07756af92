# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.pgha.cluster.plugins.modules import patroni_switchover
from ansible_collections.pgha.cluster.tests.unit.utils import (
    P_LIST,
    P_SHOW,
    PATRONI_ARGS,
    Call,
    load_record,
    p_switchover,
)

# pg1 leads, pg2 is the sync standby, pg3 an async replica; synchronous_mode: true.
BEFORE = [Call(P_LIST, 'patroni-4.0.7/list_after_restart'),
          Call(P_SHOW, 'patroni-4.0.7/show_config_max_connections')]


def test_switchover_to_the_sync_standby(run_module, run_command, clock):
    run_command.expect(*BEFORE)
    run_command.expect(Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_pg1_to_pg2'),
                       # recorded right after the switchover, 3 s later and settled
                       Call(P_LIST, 'patroni-4.0.7/list_after_switchover_immediate'),
                       Call(P_LIST, 'patroni-4.0.7/list_after_switchover_3s'),
                       Call(P_LIST, 'patroni-4.0.7/list_after_switchover_settled'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'))
    assert result['changed'] is True
    assert (result['previous_leader'], result['leader'], result['eligible']) == ('pg1', 'pg2', ['pg2'])
    assert (result['synchronous_mode'], result['timeline']) == ('on', 2)
    assert 'Successfully switched over to "pg2"' in result['stdout']
    assert clock.sleeps == [2, 2]
    assert result['msg'] == 'Switched over from pg1 to pg2.'


def test_idempotent_when_the_candidate_leads(run_module, run_command):
    run_command.expect(Call(P_LIST, 'patroni-4.0.7/list_after_switchover_settled'),
                       Call(P_SHOW, 'patroni-4.0.7/show_config_max_connections'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'), diff=True)
    assert result['changed'] is False
    assert result['msg'] == 'pg2 already leads; nothing to do.'
    assert result['diff'] == dict(before=dict(leader='pg2'), after=dict(leader='pg2'))


def test_idempotent_when_the_old_leader_moved_on(run_module, run_command):
    run_command.expect(Call(P_LIST, 'patroni-4.1/list_after_switchover_settled'),
                       Call(P_SHOW, 'patroni-4.1/show_config_initial'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, leader='pg1'))
    assert result['changed'] is False and result['leader'] == 'pg2'


def test_async_candidate_refused_before_patroni_is_called(run_module, run_command):
    run_command.expect(*BEFORE)  # no switchover call expected
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg3'))
    assert result['failed'] is True
    assert result['msg'] == ('pg3 cannot take over because it is not a synchronous standby and synchronous '
                             'replication is on. Eligible members: pg2.')
    assert result['eligible'] == ['pg2']
    # What Patroni itself answers when asked anyway (exit 0!): the refusal the module spares.
    assert 'candidate name does not match with sync_standby' in \
        load_record('patroni-4.0.7/switchover_async_candidate_refused')['stdout']


def test_any_candidate_under_quorum_mode_picks_a_quorum_standby(run_module, run_command):
    run_command.expect(Call(P_LIST, 'patroni-4.0.7/list_quorum'),
                       Call(P_SHOW, 'patroni-4.0.7/show_config_quorum'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, leader='pg2'), check_mode=True, diff=True)
    assert result['changed'] is True
    assert (result['leader'], result['eligible'], result['synchronous_mode']) == ('pg1', ['pg1', 'pg3'], 'quorum')
    assert result['diff'] == dict(before=dict(leader='pg2'), after=dict(leader='pg1'))


def test_check_mode_does_not_switch(run_module, run_command):
    run_command.expect(*BEFORE)
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'), check_mode=True)
    assert result['changed'] is True
    assert result['msg'] == 'Would switch over from pg1 to pg2.'
    assert 'stdout' not in result


def test_patroni_refusal_with_exit_code_zero_fails(run_module, run_command):
    record = load_record('patroni-4.0.7/switchover_refused_sync_not_yet_elected')
    assert record['rc'] == 0
    run_command.expect(*BEFORE)
    run_command.expect(Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_refused_sync_not_yet_elected'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'))
    assert result['failed'] is True
    assert result['msg'] == ('Patroni refused the switchover from pg1 to pg2: '
                             'Switchover failed, details: 412, candidate name does not match with sync_standby')
    assert (result['rc'], result['stdout']) == (0, record['stdout'])


def test_wrong_leader_option(run_module, run_command):
    run_command.expect(*BEFORE)
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, leader='pg2', candidate='pg3'))
    assert result['failed'] is True
    assert result['msg'].startswith('Option leader names pg2, but pg1 leads the cluster')


def test_patroni_41_switchover(run_module, run_command, clock):
    run_command.expect(Call(P_LIST, 'patroni-4.1/list_sync_after_switchover'),
                       Call(P_SHOW, 'patroni-4.1/show_config_initial'),
                       Call(p_switchover('pg2', 'pg3'), 'patroni-4.1/switchover_pg2_to_pg3'),
                       Call(P_LIST, 'patroni-4.1/list_after_second_switchover'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, leader='pg2'))
    assert result['changed'] is True
    assert (result['previous_leader'], result['leader'], result['timeline']) == ('pg2', 'pg3', 3)
    assert clock.sleeps == []


def test_timeout_waiting_for_the_old_leader(run_module, run_command, clock):
    # timeout 6, delay 2: polls at 0, 2, 4 and 6 seconds; pg1 never streams again.
    run_command.expect(*BEFORE)
    run_command.expect(Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_pg1_to_pg2'),
                       *[Call(P_LIST, 'patroni-4.0.7/list_after_switchover_3s')] * 4)
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2', timeout=6))
    assert result['failed'] is True and result['changed'] is True
    assert result['unmet'] == ['the old leader pg1 is stopped, not streaming']
    assert result['msg'] == ('Patroni accepted the switchover from pg1 to pg2, but within 6 seconds '
                             '(option timeout): the old leader pg1 is stopped, not streaming.')
    assert result['member_table'][1].split()[:4] == ['pg1', '127.0.0.1:5432', 'replica', 'stopped']
    assert clock.sleeps == [2, 2, 2]


def test_no_wait(run_module, run_command, clock):
    run_command.expect(*BEFORE)
    run_command.expect(Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_pg1_to_pg2'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2', wait=False))
    assert result['changed'] is True and result['members'] == []


def test_no_leader(run_module, run_command):
    run_command.expect(Call(P_LIST, 'patroni-4.0.7/list_paused_no_leader'),
                       Call(P_SHOW, 'patroni-4.0.7/show_config_paused_no_leader'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'))
    assert result['failed'] is True
    assert result['msg'].startswith('A planned switchover needs exactly one leader, and the cluster has none.')


def test_stopped_candidate(run_module, run_command):
    run_command.expect(Call(P_LIST, 'patroni-4.1/list_replica_stopped'),
                       Call(P_SHOW, 'patroni-4.1/show_config_initial'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg3'))
    assert result['failed'] is True
    assert result['msg'] == 'pg3 cannot take over because it is stopped. Eligible members: pg1.'


def test_unknown_candidate(run_module, run_command):
    run_command.expect(*BEFORE)
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg9'))
    assert result['failed'] is True
    assert result['msg'] == 'Option candidate names pg9, which is not a member of the cluster (members: pg1, pg2, pg3).'


def test_tool_failure(run_module, run_command):
    # Recorded with --leader pg2 while pg1 led (the leader changed between read and call).
    record = load_record('patroni-4.0.7/switchover_wrong_leader')
    run_command.expect(*BEFORE)
    run_command.expect(Call(p_switchover('pg1', 'pg2'), rc=record['rc'], stdout=record['stdout'],
                            stderr=record['stderr']))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'))
    assert result['failed'] is True
    assert result['msg'] == ('patronictl switchover failed with exit code 1: '
                             'Error: Member pg2 is not the leader of cluster pg-cluster')
    assert result['cmd'].endswith('switchover --leader pg1 --candidate pg2 --force')


# Captured in the lab for a switchover pg3 -> pg2 (see the fixtures' README); the
# module reads only Patroni's answer line, whatever the member names in the table.
DCS_WRITE_FAILED = Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_dcs_write_failed', same_subcommand=False)


def test_dcs_write_failure_is_repeated_until_patroni_accepts(run_module, run_command, clock):
    # Patroni could not write the failover key (its etcd member went away): nothing was
    # scheduled, so the module asks again after `delay` and then waits as usual.
    run_command.expect(*BEFORE)
    run_command.expect(DCS_WRITE_FAILED,
                       Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_pg1_to_pg2'),
                       Call(P_LIST, 'patroni-4.0.7/list_after_switchover_settled'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'))
    assert result['changed'] is True
    assert result['leader'] == 'pg2'
    assert result['retried'] == ['Patroni refused the switchover from pg1 to pg2: '
                                 'Switchover failed, details: 503, failed to write failover key into DCS']
    assert clock.sleeps == [2]


def test_dcs_write_failure_until_the_timeout_fails(run_module, run_command, clock):
    run_command.expect(*BEFORE)
    run_command.expect(*[DCS_WRITE_FAILED] * 3)
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2', timeout=5, delay=2))
    assert result['failed'] is True
    assert result['msg'] == ('Patroni refused the switchover from pg1 to pg2: Switchover failed, details: 503, '
                             'failed to write failover key into DCS (3 attempts in 4 seconds, option timeout)')
    assert clock.sleeps == [2, 2]


def test_other_refusals_are_not_repeated(run_module, run_command, clock):
    run_command.expect(*BEFORE)
    run_command.expect(Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_refused_sync_not_yet_elected'))
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2'))
    assert result['failed'] is True and '412' in result['msg']
    assert clock.sleeps == []


@pytest.mark.parametrize('options, msg', [
    (dict(timeout=-1), 'Option timeout must not be negative (got -1).'),
    (dict(delay=0), 'Option delay must be at least 1 second (got 0).'),
    (dict(leader='pg2'), 'Options leader and candidate both name pg2; the candidate must be another member.'),
])
def test_bad_options_fail_before_patronictl_runs(run_module, run_command, options, msg):
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2', **options))
    assert result['failed'] is True and result['msg'] == msg
    assert run_command.seen == []


def test_wait_reports_the_failing_list_call(run_module, run_command, clock):
    # After the switchover patronictl list keeps failing (timeout 2, delay 2: polls at 0 and 2 s).
    record = load_record('patroni-4.0.7/show_config_no_such_file')
    failing = Call(P_LIST, rc=record['rc'], stdout=record['stdout'], stderr=record['stderr'])
    run_command.expect(*BEFORE)
    run_command.expect(Call(p_switchover('pg1', 'pg2'), 'patroni-4.0.7/switchover_pg1_to_pg2'), failing, failing)
    result = run_module(patroni_switchover, dict(PATRONI_ARGS, candidate='pg2', timeout=2))
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'].startswith('Patroni accepted the switchover from pg1 to pg2, but within 2 seconds '
                                    '(option timeout): patronictl list failed: patronictl list failed with exit code 1')
    assert (result['rc'], result['stderr']) == (1, record['stderr'])
    assert result['cmd'] == '/usr/bin/patronictl -c /etc/patroni/config.yml list -f json'
    # The members are the ones read before the switchover, the last ones the module saw.
    assert [m['name'] for m in result['members']] == ['pg1', 'pg2', 'pg3'] and result['members'][0]['role'] == 'leader'
