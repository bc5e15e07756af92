# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

from ansible_collections.pgha.cluster.plugins.modules import etcd_cluster_info
from ansible_collections.pgha.cluster.tests.unit.utils import (
    E_ALARMS,
    E_HEALTH,
    E_MEMBERS,
    E_STATUS,
    E_VERSION,
    ETCD_ARGS,
    ETCDCTL,
    Call,
    etcd_snapshot_calls,
    load_record,
)


def test_all_healthy(run_module, run_command):
    run_command.expect(Call(E_VERSION, 'etcd-3.5.16/version'),
                       *etcd_snapshot_calls('endpoint_health_all_up', 'endpoint_status_all_up', 'member_list',
                                            'alarm_list_none'))
    result = run_module(etcd_cluster_info, ETCD_ARGS)
    assert result['changed'] is False
    assert result['etcdctl_version'] == '3.5.16'
    assert result['healthy'] is True and result['problems'] == []
    assert result['leader'] == dict(id=205223157840375465, id_hex='2d9195feec26ea9', name='e3')
    assert (result['raft_term'], result['raft_index'], result['cluster_id_hex']) == (2, 48, '175bbb927e7c7584')
    assert sorted(m['name'] for m in result['members']) == ['e1', 'e2', 'e3']
    assert [e['db_size'] for e in result['endpoints']] == [36864, 36864, 36864]
    assert result['alarms'] == []
    # Every call pinned the locale and the API version.
    assert all(c['environ_update'] == {'LC_ALL': 'C', 'ETCDCTL_API': '3'} for c in run_command.seen)


def test_one_member_down_is_data_not_a_failure(run_module, run_command):
    # endpoint health and endpoint status exit 1 here and still print JSON.
    assert load_record('etcd-3.5.16/endpoint_health_one_down')['rc'] == 1
    run_command.expect(Call(E_VERSION, 'etcd-3.5.16/version'),
                       *etcd_snapshot_calls('endpoint_health_one_down', 'endpoint_status_one_down',
                                            'member_list_one_down', 'alarm_list_one_down'))
    result = run_module(etcd_cluster_info, ETCD_ARGS)
    assert result['healthy'] is False
    assert result['leader']['name'] == 'e1'
    down = result['endpoints'][2]
    assert (down['endpoint'], down['member'], down['healthy'], down['reachable']) == \
        ('127.0.0.1:32379', 'e3', False, False)
    assert result['status'][2] == dict(endpoint='127.0.0.1:32379', reachable=False, error='context deadline exceeded')
    assert result['health'][2]['error'] == 'context deadline exceeded'


def test_nospace_alarm(run_module, run_command):
    run_command.expect(Call(E_VERSION, 'etcd-3.5.16/version'),
                       *etcd_snapshot_calls('endpoint_health_nospace', 'endpoint_status_nospace', 'member_list',
                                            'alarm_list_nospace'))
    result = run_module(etcd_cluster_info, ETCD_ARGS)
    assert result['alarms'] == [dict(member_id=205223157840375465, member_id_hex='2d9195feec26ea9', alarm='NOSPACE')]
    assert result['status'][0]['errors'] == ['memberID:205223157840375465 alarm:NOSPACE ']
    assert result['healthy'] is False


def test_learner(run_module, run_command):
    endpoints = ['127.0.0.1:2379', '127.0.0.1:22379', '127.0.0.1:32379', '127.0.0.1:42379']

    def argv(*words):
        return [ETCDCTL, '--endpoints', ','.join(endpoints), '--dial-timeout', '2s', '--command-timeout', '5s'] + \
            list(words)

    run_command.expect(Call(argv('version'), 'etcd-3.5.16/version'),
                       *etcd_snapshot_calls('endpoint_health_with_learner', 'endpoint_status_with_learner',
                                            'member_list_with_learner', 'alarm_list_none', argv=argv))
    result = run_module(etcd_cluster_info, dict(ETCD_ARGS, endpoints=endpoints))
    learner = result['endpoints'][3]
    assert (learner['member'], learner['is_learner'], learner['healthy']) == ('e4', True, False)
    assert 'rpc not supported for learner' in ' '.join(result['problems'])


def test_tls_and_credentials(run_module, run_command):
    secret = 'S3cr3t-pw'
    base = [ETCDCTL, '--endpoints', 'https://10.0.1.11:2379', '--dial-timeout', '3s', '--command-timeout', '7s',
            '--cacert', '/etc/etcd/ca.crt', '--cert', '/etc/etcd/client.crt', '--key', '/etc/etcd/client.key']
    version = load_record('etcd-3.5.16/version')
    run_command.expect(Call(base + ['version'], rc=version['rc'], stdout=version['stdout']),
                       Call(base + ['endpoint', 'health', '-w', 'json'], rc=1, stdout='not json',
                            stderr='Error: context deadline exceeded\n'))
    result = run_module(etcd_cluster_info, dict(
        endpoints=['https://10.0.1.11:2379'], etcdctl_path=ETCDCTL, dial_timeout=3, command_timeout=7,
        cacert='/etc/etcd/ca.crt', cert='/etc/etcd/client.crt', key='/etc/etcd/client.key',
        user='root', password=secret))
    assert result['failed'] is True
    env = run_command.seen[0]['environ_update']
    assert env['ETCDCTL_USER'] == 'root' and env['ETCDCTL_PASSWORD'] == secret
    assert all(secret not in ' '.join(c['argv']) for c in run_command.seen)
    assert secret not in json.dumps(result)


def test_user_needs_password(run_module):
    result = run_module(etcd_cluster_info, dict(ETCD_ARGS, user='root'))
    assert result['failed'] is True and 'password' in result['msg']


def test_tool_failure(run_module, run_command):
    # member list has no partial answer: with its only endpoint down it fails.
    endpoints = ['127.0.0.1:32379']

    def argv(*words):
        return [ETCDCTL, '--endpoints', endpoints[0], '--dial-timeout', '2s', '--command-timeout', '3s'] + list(words)

    record = load_record('etcd-3.5.16/member_list_unreachable')
    run_command.expect(Call(argv('version'), 'etcd-3.5.16/version'),
                       Call(argv('endpoint', 'health', '-w', 'json'), 'etcd-3.5.16/endpoint_health_single_down'),
                       # endpoint status of the single dead endpoint was not recorded; its empty
                       # list with exit 1 is what etcdctl prints (see endpoint_status_one_down).
                       Call(argv('endpoint', 'status', '-w', 'json'), rc=1, stdout='[]\n',
                            stderr='Failed to get the status of endpoint 127.0.0.1:32379 (context deadline exceeded)\n'),
                       Call(argv('member', 'list', '-w', 'json'), 'etcd-3.5.16/member_list_unreachable'))
    result = run_module(etcd_cluster_info, dict(ETCD_ARGS, endpoints=endpoints, command_timeout=3))
    assert result['failed'] is True
    assert result['msg'] == 'etcdctl member list failed with exit code 1: Error: context deadline exceeded'
    assert (result['rc'], result['stdout'], result['stderr']) == (1, record['stdout'], record['stderr'])
    assert result['cmd'].startswith('/usr/bin/etcdctl --endpoints 127.0.0.1:32379')


def test_malformed_json(run_module, run_command):
    record = load_record('etcd-3.5.16/endpoint_health_all_up')
    run_command.expect(Call(E_VERSION, 'etcd-3.5.16/version'),
                       Call(E_HEALTH, rc=0, stdout=record['stdout'][:40]))  # cut short
    result = run_module(etcd_cluster_info, ETCD_ARGS)
    assert result['failed'] is True
    assert result['msg'].startswith('etcdctl endpoint health printed output that is not valid JSON')
    assert result['stdout'] == record['stdout'][:40]


def test_unexpected_json_shape(run_module, run_command):
    # member list JSON where endpoint health JSON belongs.
    members = load_record('etcd-3.5.16/member_list')
    run_command.expect(Call(E_VERSION, 'etcd-3.5.16/version'),
                       Call(E_HEALTH, rc=0, stdout=members['stdout']))
    result = run_module(etcd_cluster_info, ETCD_ARGS)
    assert result['failed'] is True and 'unexpected shape' in result['msg']


def test_check_mode_reads_the_same(run_module, run_command):
    run_command.expect(Call(E_VERSION, 'etcd-3.5.16/version'),
                       *etcd_snapshot_calls('endpoint_health_all_up', 'endpoint_status_all_up', 'member_list',
                                            'alarm_list_none'))
    result = run_module(etcd_cluster_info, ETCD_ARGS, check_mode=True)
    assert result['changed'] is False and result['healthy'] is True


def test_uses_the_argv_constants():
    # Guard: the shared argv constants are what the snapshot helper builds.
    assert [c.argv for c in etcd_snapshot_calls('endpoint_health_all_up', 'endpoint_status_all_up', 'member_list',
                                                'alarm_list_none')] == [E_HEALTH, E_STATUS, E_MEMBERS, E_ALARMS]
