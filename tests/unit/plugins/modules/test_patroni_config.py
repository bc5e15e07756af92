# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

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
