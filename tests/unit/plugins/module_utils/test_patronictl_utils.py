# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Normalisation and config comparison of _patronictl, fed with recorded patronictl output."""

from __future__ import annotations

import json

import pytest
import yaml

from ansible_collections.pgha.cluster.plugins.module_utils import _patronictl as pctl

from ansible_collections.pgha.cluster.tests.unit.utils import load_record

MB = 1024 * 1024


def members_of(name):
    return [pctl.normalise_member(row) for row in json.loads(load_record(name)['stdout'])]


def config_of(name):
    return yaml.safe_load(load_record(name)['stdout'])


def brief(members):
    return [(m['name'], m['role'], m['state'], m['timeline'], m['lag_bytes'], m['pending_restart'], m['tags'])
            for m in members]


# Scenarios recorded with both clients against the same cluster a few seconds apart.
SAME_IN_BOTH = [
    ('list_sync_healthy', [
        ('pg1', 'leader', 'running', 1, None, False, {}),
        ('pg2', 'sync_standby', 'streaming', 1, 0, False, {}),
        ('pg3', 'replica', 'streaming', 1, 0, False, {}),
    ]),
    ('list_pending_restart_tags', [
        ('pg1', 'leader', 'running', 1, None, True, {}),
        ('pg2', 'sync_standby', 'streaming', 1, 0, True, {}),
        ('pg3', 'replica', 'streaming', 1, 0, True, {'dc': 'east'}),
    ]),
    ('list_replica_stopped', [
        ('pg1', 'sync_standby', 'streaming', 2, 0, False, {}),
        ('pg2', 'leader', 'running', 2, None, False, {}),
        ('pg3', 'replica', 'stopped', None, None, False, {'dc': 'east'}),
    ]),
    ('list_replica_start_failed', [
        ('pg1', 'sync_standby', 'streaming', 2, 0, False, {}),
        ('pg2', 'leader', 'running', 2, None, False, {}),
        ('pg3', 'replica', 'start failed', None, None, False, {'dc': 'east'}),
    ]),
    ('list_replica_creating', [
        ('pg1', 'sync_standby', 'streaming', 2, 0, False, {}),
        ('pg2', 'leader', 'running', 2, None, False, {}),
        ('pg3', 'replica', 'creating replica', None, None, False, {'dc': 'east'}),
    ]),
    ('list_replica_receiver_stalled_lag', [
        ('pg1', 'sync_standby', 'streaming', 2, 0, False, {}),
        ('pg2', 'leader', 'running', 2, None, False, {}),
        ('pg3', 'replica', 'streaming', 2, 73 * MB, False, {'dc': 'east'}),
    ]),
    ('list_quorum', [
        ('pg1', 'quorum_standby', 'streaming', 2, 0, False, {}),
        ('pg2', 'leader', 'running', 2, None, False, {}),
        ('pg3', 'quorum_standby', 'streaming', 2, 0, False, {'dc': 'east'}),
    ]),
    ('list_paused_no_leader', [
        ('pg2', 'sync_standby', 'running', 4, 0, False, {}),
        ('pg3', 'replica', 'running', 4, 0, False, {'dc': 'east'}),
    ]),
    ('list_after_second_switchover', [
        ('pg1', 'sync_standby', 'streaming', 3, 0, False, {}),
        ('pg2', 'replica', 'streaming', 3, 0, False, {}),
        ('pg3', 'leader', 'running', 3, None, False, {'dc': 'east'}),
    ]),
]


@pytest.mark.parametrize('version', ['patroni-4.0.7', 'patroni-4.1'])
@pytest.mark.parametrize('scenario, expected', SAME_IN_BOTH, ids=[s[0] for s in SAME_IN_BOTH])
def test_list_normalises_the_same_for_both_list_shapes(version, scenario, expected):
    assert brief(members_of('%s/%s' % (version, scenario))) == expected


def test_shapes_really_differ_between_versions():
    old = json.loads(load_record('patroni-4.0.7/list_sync_healthy')['stdout'])[1]
    new = json.loads(load_record('patroni-4.1/list_sync_healthy')['stdout'])[1]
    assert 'Lag in MB' in old and 'Receive Lag' not in old
    assert 'Receive Lag' in new and 'Lag in MB' not in new


def test_member_keys_and_extras():
    pg3 = members_of('patroni-4.0.7/list_pending_restart_tags')[2]
    assert pg3 == dict(name='pg3', cluster='pg-cluster', host='127.0.0.1:5434', role='replica',
                       state='streaming', timeline=1, lag_bytes=0, receive_lsn=None, replay_lsn=None,
                       pending_restart=True, pending_restart_reason='max_connections: 100->200',
                       scheduled_restart=None, tags={'dc': 'east'})
    pg2 = members_of('patroni-4.1/list_sync_healthy')[1]
    assert pg2['receive_lsn'] == '0/40000C0' and pg2['replay_lsn'] is None


def test_41_replay_lag_counts_when_receive_is_unknown():
    # Right after a switchover pg3 reports only a replay position (Receive LSN "unknown").
    pg3 = members_of('patroni-4.1/list_after_switchover_immediate')[2]
    assert (pg3['state'], pg3['lag_bytes'], pg3['replay_lsn']) == ('running', 0, '0/4000410')


def test_lag_cells():
    assert pctl._lag_mb('unknown') is None
    assert pctl._lag_mb('') is None
    assert pctl._lag_mb(3) == 3
    assert pctl._lag_mb('2') == 2
    with pytest.raises(ValueError):
        pctl._lag_mb('many')


def test_member_without_member_key_is_rejected():
    with pytest.raises(KeyError):
        pctl.normalise_member({'Role': 'Leader'})


def test_history():
    rows = json.loads(load_record('patroni-4.0.7/history_two_switchovers')['stdout'])
    history = [pctl.normalise_history(r) for r in rows]
    assert history == [
        dict(timeline=1, lsn=67109904, reason='no recovery target specified',
             timestamp='2026-11-25T23:24:42.145367+00:00', new_leader='pg2'),
        dict(timeline=2, lsn=344763832, reason='no recovery target specified',
             timestamp='2026-11-25T23:30:00.369359+00:00', new_leader='pg3'),
    ]


def test_member_facts():
    facts = pctl.member_facts(members_of('patroni-4.0.7/list_after_failover'))
    assert facts == dict(leader='pg1', sync_standbys=['pg2'], replicas=['pg2', 'pg3'], pending_restart=[],
                         timelines=[4], timeline=4)
    assert pctl.member_facts(members_of('patroni-4.0.7/list_paused_no_leader'))['leader'] is None


@pytest.mark.parametrize('record, expected', [
    ('patroni-4.0.7/show_config_initial', dict(paused=False, synchronous_mode='on', synchronous_mode_strict=False)),
    ('patroni-4.0.7/show_config_paused', dict(paused=True, synchronous_mode='on', synchronous_mode_strict=False)),
    ('patroni-4.0.7/show_config_quorum', dict(paused=False, synchronous_mode='quorum', synchronous_mode_strict=False)),
])
def test_config_facts(record, expected):
    assert pctl.config_facts(config_of(record)) == expected


def test_member_table():
    table = pctl.member_table(members_of('patroni-4.0.7/list_replica_stopped'))
    assert table[0].split() == ['member', 'host', 'role', 'state', 'TL', 'lag_bytes', 'pending_restart']
    assert table[3].split() == ['pg3', '127.0.0.1:5434', 'replica', 'stopped', 'unknown', 'no']


# -- dynamic configuration ------------------------------------------------------------

@pytest.mark.parametrize('wanted', [
    {'ttl': 30},
    {'ttl': '30'},
    {'loop_wait': 10.0},
    {'synchronous_mode': 'on'},
    {'synchronous_mode': True},
    {'postgresql': {'parameters': {'hot_standby': True}}},       # stored as 'on'
    {'postgresql': {'parameters': {'hot_standby': 'ON'}}},
    {'postgresql': {'parameters': {'max_wal_senders': '10'}}},
    {'postgresql': {'parameters': {'wal_keep_size': '256MB'}}},
    {'postgresql': {'use_slots': 'true'}},
    {'no_such_key': None},                                       # removing what is absent
    {},
])
def test_no_patch_when_equal(wanted):
    assert pctl.config_patch(config_of('patroni-4.0.7/show_config_initial'), wanted) == {}


@pytest.mark.parametrize('wanted, patch', [
    ({'ttl': 31}, {'ttl': 31}),
    ({'postgresql': {'parameters': {'max_connections': 200}}},
     {'postgresql': {'parameters': {'max_connections': 200}}}),
    ({'postgresql': {'parameters': {'wal_keep_size': '262144kB'}}},       # units compare as written
     {'postgresql': {'parameters': {'wal_keep_size': '262144kB'}}}),
    ({'postgresql': {'parameters': {'hot_standby': False}}},
     {'postgresql': {'parameters': {'hot_standby': False}}}),
    ({'maximum_lag_on_failover': None}, {'maximum_lag_on_failover': None}),
    ({'synchronous_mode': 'quorum'}, {'synchronous_mode': 'quorum'}),
    ({'standby_cluster': {'host': 'x', 'port': None}}, {'standby_cluster': {'host': 'x'}}),
    ({'slots': {}}, {}),
])
def test_patch_is_the_difference_only(wanted, patch):
    assert pctl.config_patch(config_of('patroni-4.0.7/show_config_initial'), wanted) == patch


def test_apply_patch_matches_what_patroni_stored():
    # The patch recorded on stdin of edit-config, applied locally, gives what show-config printed after.
    record = load_record('patroni-4.0.7/edit_config_apply_json_patch')
    before = config_of('patroni-4.0.7/show_config_paused_no_leader')
    after = config_of('patroni-4.0.7/show_config_after_json_patch')
    assert pctl.apply_patch(before, json.loads(record['stdin'])) == after


def test_canonical_does_not_turn_words_into_numbers():
    assert pctl.canonical('nan') == ('str', 'nan')
    assert pctl.canonical('1e3') == ('number', 1000.0)
    assert pctl.canonical(['a', 1]) == pctl.canonical(('a', '1'))
    assert not pctl.same_value('replica', 'logical')


def test_with_removals_drops_what_an_exact_mapping_no_longer_names():
    current = {'ttl': 30, 'postgresql': {'use_slots': True,
                                         'parameters': {'max_connections': 100, 'wal_retrieve_retry_interval': '500ms'}}}
    wanted = {'ttl': 30, 'postgresql': {'parameters': {'max_connections': 200}}}
    settings = pctl.with_removals(current, wanted, ['postgresql.parameters'])
    assert settings == {'ttl': 30, 'postgresql': {'parameters': {'max_connections': 200, 'wal_retrieve_retry_interval': None}}}
    assert wanted == {'ttl': 30, 'postgresql': {'parameters': {'max_connections': 200}}}, 'the input was changed'
    patch = pctl.config_patch(current, settings)
    assert patch == {'postgresql': {'parameters': {'max_connections': 200, 'wal_retrieve_retry_interval': None}}}
    # use_slots is outside the exact mapping: left alone
    assert pctl.apply_patch(current, patch)['postgresql'] == {'use_slots': True, 'parameters': {'max_connections': 200}}


@pytest.mark.parametrize('current, wanted', [
    ({}, {'postgresql': {'parameters': {'a': 1}}}),                      # nothing there yet
    ({'postgresql': {'parameters': None}}, {'postgresql': {}}),          # not a mapping in the cluster
    ({'postgresql': {'parameters': {'a': 1}}}, {'postgresql': 'x'}),     # not a mapping in the settings
])
def test_with_removals_leaves_what_it_cannot_compare(current, wanted):
    assert pctl.config_patch(current, pctl.with_removals(current, wanted, ['postgresql.parameters'])) == \
        pctl.config_patch(current, wanted)


def test_with_removals_empties_an_exact_mapping_the_settings_leave_out():
    current = {'postgresql': {'parameters': {'a': 1}}}
    assert pctl.with_removals(current, {}, ['postgresql.parameters']) == {'postgresql': {'parameters': {'a': None}}}
