# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pytest

from ansible_collections.pgha.cluster.plugins.modules import etcd_member
from ansible_collections.pgha.cluster.tests.unit.utils import ETCD_ARGS, Call, etcdctl

E4_URL = 'http://127.0.0.1:42380'
E4_ID = 'd5c0d2c8f407ff2a'
LIST = etcdctl('member', 'list', '-w', 'json')
STATUS = etcdctl('endpoint', 'status', '-w', 'json')
ADD_E4 = etcdctl('member', 'add', 'e4', '--peer-urls', E4_URL, '--learner', '-w', 'json')
PROMOTE_E4 = etcdctl('member', 'promote', E4_ID)


def rec(name):
    return 'etcd-3.5.16/' + name


def names(members):
    return sorted((m['name'] or '', m['is_learner']) for m in members)


def test_adds_a_learner_and_names_it(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list')), Call(ADD_E4, rec('member_add_learner')),
                       Call(LIST, rec('member_list_learner_unstarted')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', peer_urls=[E4_URL]), diff=True)
    assert result['changed'] is True
    assert (result['member']['name'], result['member']['id_hex'], result['member']['is_learner']) == ('e4', E4_ID, True)
    # etcd lists the learner without a name until it starts: the module labels it for ETCD_INITIAL_CLUSTER.
    assert names(result['members']) == [('', True), ('e1', False), ('e2', False), ('e3', False)]
    assert sorted(result['initial_cluster'].split(',')) == [
        'e1=http://127.0.0.1:2380', 'e2=http://127.0.0.1:22380', 'e3=http://127.0.0.1:32380', 'e4=' + E4_URL]
    assert result['diff']['after'].splitlines()[-1] == 'e4 %s (learner)' % E4_URL
    assert 'e4' not in result['diff']['before']


def test_an_unnamed_learner_with_the_peer_url_is_already_present(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list_learner_unstarted')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', peer_urls=[E4_URL]), diff=True)
    assert result['changed'] is False
    assert result['member']['id_hex'] == E4_ID
    assert result['diff']['before'] == result['diff']['after']


def test_check_mode_reports_the_add_without_making_it(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', peer_urls=[E4_URL]), check_mode=True)
    assert result['changed'] is True
    assert names(result['members'])[-1] == ('e4', True)
    assert len(run_command.seen) == 1


def test_promotes_once_the_learner_has_caught_up(run_module, run_command, clock):
    run_command.expect(Call(LIST, rec('member_list_learner_unstarted')),
                       Call(PROMOTE_E4, rec('member_promote_not_in_sync')),
                       Call(PROMOTE_E4, rec('member_promote')),
                       Call(LIST, rec('member_list_four')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', peer_urls=[E4_URL], state='voting', delay=2))
    assert result['changed'] is True and result['attempts'] == 2 and clock.sleeps == [2]
    assert names(result['members']) == [('e1', False), ('e2', False), ('e3', False), ('e4', False)]


def test_promotion_gives_up_after_the_timeout(run_module, run_command, clock):
    run_command.expect(Call(LIST, rec('member_list_learner_unstarted')),
                       *[Call(PROMOTE_E4, rec('member_promote_not_in_sync')) for dummy in range(3)])
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', peer_urls=[E4_URL], state='voting', timeout=6,
                                          delay=3))
    assert 'did not catch up with the leader within 6 seconds (option timeout)' in result['msg']
    assert result['attempts'] == 3 and clock.sleeps == [3, 3]


def test_a_voting_member_is_left_alone(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list_four')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', state='voting'))
    assert result['changed'] is False and result['attempts'] == 0


def test_promoting_a_member_that_is_not_there_fails(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', state='voting'))
    assert result['msg'] == 'etcd has no member e4 to promote: add it first (state=present).'


def test_removes_a_member_when_the_others_keep_their_majority(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list_four')), Call(STATUS, rec('endpoint_status_all_up')),
                       Call(etcdctl('member', 'remove', E4_ID), rec('member_remove')),
                       Call(LIST, rec('member_list_after_remove')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', state='absent'))
    assert result['changed'] is True and result['member'] is None
    assert names(result['members']) == [('e1', False), ('e2', False), ('e3', False)]


def test_removes_a_dead_member(run_module, run_command):
    # e3 is down: e1 and e2 stay, both reachable, a majority of two.
    run_command.expect(Call(LIST, rec('member_list_one_down')), Call(STATUS, rec('endpoint_status_one_down')),
                       Call(etcdctl('member', 'remove', '2d9195feec26ea9'), rec('member_remove'), same_subcommand=False),
                       Call(LIST, rec('member_list_after_remove')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e3', state='absent'))
    assert result['changed'] is True


def test_refuses_a_removal_that_leaves_no_reachable_majority(run_module, run_command):
    # e3 is down: removing e2 would leave e1 and e3, one of them reachable.
    run_command.expect(Call(LIST, rec('member_list_one_down')), Call(STATUS, rec('endpoint_status_one_down')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e2', state='absent'))
    assert result['msg'] == ('Refusing to remove etcd member e2: the voting members left (e3, e1) would have 1 '
                             'reachable (e1), short of a majority. Bring the others back first.')


def test_absent_member_is_nothing_to_do(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', peer_urls=[E4_URL], state='absent'))
    assert result['changed'] is False and result['member'] is None


def test_a_peer_url_held_by_another_member_is_refused(run_module, run_command):
    run_command.expect(Call(LIST, rec('member_list')))
    result = run_module(etcd_member, dict(ETCD_ARGS, name='e4', peer_urls=['http://127.0.0.1:2380']))
    assert result['msg'] == ('The peer URL http://127.0.0.1:2380 belongs to etcd member e1, not e4: '
                             'remove that member first.')


@pytest.mark.parametrize('params, message', [
    (dict(name='e4'), 'Option peer_urls is empty: etcd needs the peer URL of member e4 to add it.'),
])
def test_adding_needs_a_peer_url(run_module, run_command, params, message):
    run_command.expect(Call(LIST, rec('member_list')))
    assert run_module(etcd_member, dict(ETCD_ARGS, **params))['msg'] == message
