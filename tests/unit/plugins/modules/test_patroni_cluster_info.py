# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import os
import stat

import pytest

from ansible_collections.pgha.cluster.plugins.modules import patroni_cluster_info
from ansible_collections.pgha.cluster.tests.unit.utils import (
    P_HISTORY,
    P_LIST,
    P_SHOW,
    P_VERSION,
    PATRONI_ARGS,
    PATRONI_CONFIG,
    Call,
    load_record,
)


@pytest.mark.parametrize('version, version_record, history', [
    ('4.0.7', 'patroni-4.0.7/version_cluster', 'patroni-4.0.7/history_two_switchovers'),
    ('4.1.5', 'patroni-4.1/version', 'patroni-4.1/history_two_switchovers'),
])
def test_reads_both_patroni_versions(run_module, run_command, version, version_record, history):
    short = 'patroni-4.0.7' if version == '4.0.7' else 'patroni-4.1'
    run_command.expect(Call(P_VERSION, version_record),
                       Call(P_LIST, short + '/list_pending_restart_tags'),
                       Call(P_SHOW, 'patroni-4.0.7/show_config_max_connections'),
                       Call(P_HISTORY, history))
    result = run_module(patroni_cluster_info, PATRONI_ARGS)
    assert result['changed'] is False
    assert result['patroni_version'] == version
    assert result['leader'] == 'pg1'
    assert result['sync_standbys'] == ['pg2']
    assert result['replicas'] == ['pg2', 'pg3']
    assert result['pending_restart'] == ['pg1', 'pg2', 'pg3']
    assert (result['timelines'], result['timeline']) == ([1], 1)
    assert (result['paused'], result['synchronous_mode'], result['synchronous_mode_strict']) == (False, 'on', False)
    assert result['dynamic_config']['postgresql']['parameters']['max_connections'] == 200
    assert [h['new_leader'] for h in result['history']] == ['pg2', 'pg3']
    pg3 = result['members'][2]
    assert (pg3['role'], pg3['state'], pg3['lag_bytes'], pg3['tags']) == ('replica', 'streaming', 0, {'dc': 'east'})


def test_paused_without_leader_and_no_history(run_module, run_command):
    run_command.expect(Call(P_VERSION, 'patroni-4.0.7/version_cluster'),
                       Call(P_LIST, 'patroni-4.0.7/list_paused_no_leader'),
                       Call(P_SHOW, 'patroni-4.0.7/show_config_paused_no_leader'))
    result = run_module(patroni_cluster_info, dict(PATRONI_ARGS, history=False))
    assert (result['paused'], result['leader']) == (True, None)
    assert 'history' not in result


def test_check_mode_reads_the_same(run_module, run_command):
    run_command.expect(Call(P_VERSION, 'patroni-4.0.7/version_cluster'),
                       Call(P_LIST, 'patroni-4.0.7/list_quorum'),
                       Call(P_SHOW, 'patroni-4.0.7/show_config_quorum'),
                       Call(P_HISTORY, 'patroni-4.0.7/history_after_switchover'))
    result = run_module(patroni_cluster_info, PATRONI_ARGS, check_mode=True)
    assert result['changed'] is False
    assert (result['synchronous_mode'], result['sync_standbys']) == ('quorum', ['pg1', 'pg3'])


def test_dcs_url_and_cluster_name(run_module, run_command):
    base = ['/usr/bin/patronictl', '--dcs-url', 'etcd3://127.0.0.1:2379']
    run_command.expect(Call(base + ['version'], 'patroni-4.0.7/version'),
                       Call(base + ['list', 'pg-cluster', '-f', 'json'], 'patroni-4.0.7/list_sync_healthy'),
                       Call(base + ['show-config', 'pg-cluster'], 'patroni-4.0.7/show_config_initial'),
                       Call(base + ['history', 'pg-cluster', '-f', 'json'], 'patroni-4.0.7/history_initial'),
                       )
    result = run_module(patroni_cluster_info, dict(patronictl_path='/usr/bin/patronictl', patronictl_timeout=0,
                                                   dcs_url='etcd3://127.0.0.1:2379', cluster_name='pg-cluster'))
    assert result['leader'] == 'pg1' and result['history'] == []


def test_dcs_url_needs_cluster_name(run_module):
    result = run_module(patroni_cluster_info, dict(patronictl_path='/usr/bin/patronictl',
                                                   dcs_url='etcd3://127.0.0.1:2379'))
    assert result['failed'] is True and result['msg'].startswith('Option dcs_url needs cluster_name')


def test_tool_failure(run_module, run_command):
    # patronictl checks -c before any subcommand; the recording is of show-config, the words are the same.
    record = load_record('patroni-4.0.7/show_config_no_such_file')
    run_command.expect(Call(P_VERSION, 'patroni-4.0.7/version_cluster'),
                       Call(P_LIST, rc=record['rc'], stdout=record['stdout'], stderr=record['stderr']))
    result = run_module(patroni_cluster_info, PATRONI_ARGS)
    assert result['failed'] is True
    assert result['msg'] == ('patronictl list failed with exit code 1: Error: Provided config file '
                             '/srv/patroni/missing.yml not existing or no read rights. '
                             'Check the -c/--config-file parameter')
    assert result['cmd'] == '/usr/bin/patronictl -c %s list -f json' % PATRONI_CONFIG
    assert (result['rc'], result['stderr']) == (1, record['stderr'])


def test_malformed_json(run_module, run_command):
    record = load_record('patroni-4.1/list_sync_healthy')
    run_command.expect(Call(P_VERSION, 'patroni-4.0.7/version_cluster'),
                       Call(P_LIST, rc=0, stdout=record['stdout'][:-20]))  # cut short
    result = run_module(patroni_cluster_info, PATRONI_ARGS)
    assert result['failed'] is True
    assert result['msg'].startswith('patronictl list printed output that is not valid JSON')


def test_show_config_that_is_no_mapping(run_module, run_command):
    # The "Not changed" line of edit-config where show-config's YAML belongs.
    noop = load_record('patroni-4.0.7/edit_config_apply_noop')
    run_command.expect(Call(P_VERSION, 'patroni-4.0.7/version_cluster'),
                       Call(P_LIST, 'patroni-4.0.7/list_sync_healthy'),
                       Call(P_SHOW, rc=0, stdout=noop['stdout']))
    result = run_module(patroni_cluster_info, PATRONI_ARGS)
    assert result['failed'] is True
    assert result['msg'] == 'patronictl show-config printed JSON of an unexpected shape: expected a mapping.'


def test_version_output_unrecognised(run_module, run_command):
    run_command.expect(Call(P_VERSION, rc=0, stdout='4.0.7\n'))
    result = run_module(patroni_cluster_info, PATRONI_ARGS)
    assert result['failed'] is True and 'patronictl version X' in result['msg']


def _executable(path):
    with open(path, 'w') as handle:
        handle.write('#!/bin/sh\nexit 99\n')  # never run: run_command is replaced
    os.chmod(path, stat.S_IRWXU)


def test_binaries_found_on_path_and_bounded_by_timeout(run_module, run_command, tmp_path, monkeypatch):
    bindir = str(tmp_path)
    for name in ('patronictl', 'timeout'):
        _executable(os.path.join(bindir, name))
    monkeypatch.setenv('PATH', bindir)
    patronictl = os.path.join(bindir, 'patronictl')
    prefix = [os.path.join(bindir, 'timeout'), '60', patronictl, '-c', PATRONI_CONFIG]
    run_command.expect(Call(prefix + ['version'], 'patroni-4.0.7/version_cluster'),
                       # What timeout(1) returns when patronictl retries an unreachable DCS for too long.
                       Call(prefix + ['list', '-f', 'json'], rc=124, stdout='', stderr=''))
    result = run_module(patroni_cluster_info, dict(config_file=PATRONI_CONFIG))
    assert result['failed'] is True
    assert result['msg'] == ('patronictl list did not finish within 60 seconds (option patronictl_timeout); '
                             'check that the DCS (option dcs_url, or the one in the Patroni configuration) is reachable.')


def test_missing_binary(run_module, tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', str(tmp_path))  # empty: patronictl is nowhere
    result = run_module(patroni_cluster_info, dict(config_file=PATRONI_CONFIG))
    assert result['failed'] is True and 'patronictl' in result['msg']
