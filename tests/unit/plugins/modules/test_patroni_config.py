# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.pgha.cluster.plugins.modules import patroni_config
from ansible_collections.pgha.cluster.tests.unit.utils import (
    P_EDIT,
    P_LIST,
    P_SHOW,
    PATRONI_ARGS,
    Call,
    load_record,
)

MAX_CONNECTIONS = {'postgresql': {'parameters': {'max_connections': 200}}}


def config_of(name):
    return yaml.safe_load(load_record(name)['stdout'])


def test_applies_only_the_difference(run_module, run_command):
    run_command.expect(
        Call(P_SHOW, 'patroni-4.0.7/show_config_initial'),
        Call(P_EDIT, 'patroni-4.0.7/edit_config_apply_max_connections',
             data='{"postgresql": {"parameters": {"max_connections": 200}}}'),
        Call(P_SHOW, 'patroni-4.0.7/show_config_max_connections'),
        Call(P_LIST, 'patroni-4.0.7/list_pending_restart_tags'))
    # ttl and hot_standby are already so (30, 'on'): only max_connections goes to Patroni.
    settings = {'ttl': '30', 'postgresql': {'parameters': {'max_connections': 200, 'hot_standby': True}}}
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=settings))
    assert result['changed'] is True
    assert result['patch'] == MAX_CONNECTIONS
    assert result['config'] == config_of('patroni-4.0.7/show_config_max_connections')
    assert result['pending_restart'] == ['pg1', 'pg2', 'pg3']
    assert 'Configuration changed' in result['stdout']
    assert 'diff' not in result


def test_idempotent_rerun(run_module, run_command):
    run_command.expect(Call(P_SHOW, 'patroni-4.0.7/show_config_max_connections'),
                       Call(P_LIST, 'patroni-4.1/list_pending_restart_tags'))
    settings = {'ttl': 30, 'postgresql': {'parameters': {'max_connections': '200', 'hot_standby': 'on'}}}
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=settings))
    assert result['changed'] is False
    assert result['patch'] == {}
    assert 'stdout' not in result


def test_check_mode_and_diff(run_module, run_command):
    run_command.expect(Call(P_SHOW, 'patroni-4.0.7/show_config_initial'),
                       Call(P_LIST, 'patroni-4.0.7/list_sync_healthy'))  # no edit-config
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=MAX_CONNECTIONS), check_mode=True, diff=True)
    assert result['changed'] is True
    assert result['patch'] == MAX_CONNECTIONS
    assert result['diff']['before'] == config_of('patroni-4.0.7/show_config_initial')
    assert result['diff']['after'] == config_of('patroni-4.0.7/show_config_max_connections')
    assert result['pending_restart'] == []


def test_diff_after_a_real_change_removing_a_key(run_module, run_command):
    recorded = load_record('patroni-4.0.7/edit_config_apply_json_patch')
    run_command.expect(
        Call(P_SHOW, 'patroni-4.0.7/show_config_paused_no_leader'),
        # The module sends exactly the JSON that was recorded on stdin of the real edit-config.
        Call(P_EDIT, 'patroni-4.0.7/edit_config_apply_json_patch', data=recorded['stdin']),
        Call(P_SHOW, 'patroni-4.0.7/show_config_after_json_patch'),
        Call(P_LIST, 'patroni-4.0.7/list_paused_no_leader'))
    settings = {'loop_wait': 5, 'postgresql': {'parameters': {'max_connections': None, 'work_mem': '8MB'}}}
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=settings), diff=True)
    assert result['changed'] is True
    assert result['patch'] == json.loads(recorded['stdin'])
    assert result['diff']['before']['loop_wait'] == 10
    assert result['diff']['after'] == config_of('patroni-4.0.7/show_config_after_json_patch')
    assert 'max_connections' not in result['config']['postgresql']['parameters']


def test_quorum_mode_via_41(run_module, run_command):
    run_command.expect(
        Call(P_SHOW, 'patroni-4.1/show_config_initial'),
        Call(P_EDIT, 'patroni-4.0.7/edit_config_apply_quorum', data='{"synchronous_mode": "quorum"}'),
        Call(P_SHOW, 'patroni-4.0.7/show_config_quorum'),
        Call(P_LIST, 'patroni-4.1/list_quorum'))
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings={'synchronous_mode': 'quorum'}))
    assert result['changed'] is True and result['config']['synchronous_mode'] == 'quorum'


def test_change_not_kept_by_patroni_fails(run_module, run_command):
    run_command.expect(
        Call(P_SHOW, 'patroni-4.0.7/show_config_initial'),
        Call(P_EDIT, 'patroni-4.0.7/edit_config_apply_max_connections',
             data='{"postgresql": {"parameters": {"max_connections": 200}}}'),
        Call(P_SHOW, 'patroni-4.0.7/show_config_initial'))
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=MAX_CONNECTIONS))
    assert result['failed'] is True
    assert result['msg'].startswith('patronictl edit-config ran, but show-config still differs from settings at '
                                    'postgresql.parameters.max_connections;')


def test_tool_failure(run_module, run_command):
    record = load_record('patroni-4.0.7/edit_config_apply_invalid_yaml')
    run_command.expect(Call(P_SHOW, 'patroni-4.0.7/show_config_initial'),
                       Call(P_EDIT, 'patroni-4.0.7/edit_config_apply_invalid_yaml'))
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=MAX_CONNECTIONS))
    assert result['failed'] is True
    assert result['msg'] == ('patronictl edit-config failed with exit code 1: '
                             'yaml.parser.ParserError: while parsing a flow sequence')
    assert (result['rc'], result['stderr']) == (1, record['stderr'])


def test_malformed_show_config(run_module, run_command):
    record = load_record('patroni-4.0.7/show_config_initial')
    run_command.expect(Call(P_SHOW, rc=0, stdout=record['stdout'].replace('postgresql:', 'postgresql: [')))
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=MAX_CONNECTIONS))
    assert result['failed'] is True
    assert result['msg'].startswith('patronictl show-config printed output that is not valid YAML')


# -- DCS timing: the merged result is checked, before any change -----------------------------
# show_config_initial: ttl 30, loop_wait 10, retry_timeout 10 (loop_wait + 2 * retry_timeout = ttl).
# show_config_after_json_patch: ttl 30, loop_wait 5, retry_timeout 10.
SUM_RULE = ('Patroni needs loop_wait + 2 * retry_timeout <= ttl (it would silently shrink loop_wait and '
            'retry_timeout). Lower settings.loop_wait or settings.retry_timeout, or raise settings.ttl.')

# record of show-config, settings, the configuration merged from them, the broken rule
REFUSED = [
    # Each value is above its minimum (the old playbook check let them through); merged, the sum breaks.
    ('patroni-4.0.7/show_config_initial', {'loop_wait': 12}, "ttl=30, loop_wait=12, retry_timeout=10",
     'settings.loop_wait=12 + 2 * settings.retry_timeout=10 exceeds settings.ttl=30: ' + SUM_RULE),
    ('patroni-4.0.7/show_config_initial', {'retry_timeout': 11}, "ttl=30, loop_wait=10, retry_timeout=11",
     'settings.loop_wait=10 + 2 * settings.retry_timeout=11 exceeds settings.ttl=30: ' + SUM_RULE),
    ('patroni-4.0.7/show_config_initial', {'ttl': 25}, "ttl=25, loop_wait=10, retry_timeout=10",
     'settings.loop_wait=10 + 2 * settings.retry_timeout=10 exceeds settings.ttl=25: ' + SUM_RULE),
    ('patroni-4.1/show_config_initial', {'ttl': 25, 'loop_wait': 4, 'retry_timeout': 11},
     "ttl=25, loop_wait=4, retry_timeout=11",
     'settings.loop_wait=4 + 2 * settings.retry_timeout=11 exceeds settings.ttl=25: ' + SUM_RULE),
    ('patroni-4.0.7/show_config_after_json_patch', {'ttl': 24}, "ttl=24, loop_wait=5, retry_timeout=10",
     'settings.loop_wait=5 + 2 * settings.retry_timeout=10 exceeds settings.ttl=24: ' + SUM_RULE),
    # Removing loop_wait brings back Patroni's default of 10, too much for ttl 25.
    ('patroni-4.0.7/show_config_after_json_patch', {'ttl': 25, 'loop_wait': None},
     "ttl=25, loop_wait=10, retry_timeout=10",
     'settings.loop_wait=10 + 2 * settings.retry_timeout=10 exceeds settings.ttl=25: ' + SUM_RULE),
    ('patroni-4.0.7/show_config_initial', {'loop_wait': 0}, "ttl=30, loop_wait=0, retry_timeout=10",
     'settings.loop_wait=0 is below 1, the lowest value Patroni runs with (it would silently use 1): set 1 or more.'),
    ('patroni-4.0.7/show_config_initial', {'ttl': '30s'}, "ttl='30s', loop_wait=10, retry_timeout=10",
     "settings.ttl='30s' is not a whole number of seconds: give an integer."),
    ('patroni-4.0.7/show_config_initial', {'retry_timeout': True}, "ttl=30, loop_wait=10, retry_timeout=True",
     'settings.retry_timeout=True is not a whole number of seconds: give an integer.'),
]


@pytest.mark.parametrize('check_mode', [False, True], ids=['run', 'check'])
@pytest.mark.parametrize('record, settings, merged, broken', REFUSED)
def test_timing_patroni_would_change_is_refused_before_any_change(run_module, run_command, check_mode,
                                                                  record, settings, merged, broken):
    run_command.expect(Call(P_SHOW, record))  # and nothing else: no edit-config, not even list
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=settings), check_mode=check_mode)
    assert result['failed'] is True and result.get('changed', False) is False
    assert result['msg'] == ('Settings merged with the current dynamic configuration give %s: %s Nothing was changed.'
                             % (merged, broken))
    assert result['config'] == config_of(record)


@pytest.mark.parametrize('record, settings, patch', [
    # ttl 25 alone would break the rule against Patroni's default loop_wait (10); the current 5 keeps it.
    ('patroni-4.0.7/show_config_after_json_patch', {'ttl': 25}, {'ttl': 25}),
    ('patroni-4.0.7/show_config_initial', {'ttl': 25, 'loop_wait': 5}, {'ttl': 25, 'loop_wait': 5}),
    # The boundary holds: 10 + 2 * 10 == 30; a string of digits is a whole number.
    ('patroni-4.0.7/show_config_initial', {'ttl': '30', 'loop_wait': 10}, {}),
    ('patroni-4.0.7/show_config_initial', {'ttl': 20, 'loop_wait': 2, 'retry_timeout': 9},
     {'ttl': 20, 'loop_wait': 2, 'retry_timeout': 9}),
])
def test_timing_patroni_keeps_is_applied(run_module, run_command, record, settings, patch):
    run_command.expect(Call(P_SHOW, record), Call(P_LIST, 'patroni-4.0.7/list_sync_healthy'))
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=settings), check_mode=True)
    assert result['changed'] is bool(patch)
    assert result['patch'] == patch


def test_timing_left_alone_is_not_checked(run_module, run_command):
    # A dynamic configuration whose timing Patroni already adjusts (ttl 20 < 10 + 2 * 10): a change
    # that does not name ttl, loop_wait or retry_timeout neither makes it worse nor is refused for it.
    record = load_record('patroni-4.0.7/show_config_initial')
    run_command.expect(Call(P_SHOW, rc=0, stdout=record['stdout'].replace('ttl: 30', 'ttl: 20')),
                       Call(P_LIST, 'patroni-4.0.7/list_sync_healthy'))
    result = run_module(patroni_config, dict(PATRONI_ARGS, settings=MAX_CONNECTIONS), check_mode=True)
    assert result['changed'] is True and result['patch'] == MAX_CONNECTIONS
    assert result['config']['ttl'] == 20
