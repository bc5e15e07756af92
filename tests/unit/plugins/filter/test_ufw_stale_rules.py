# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.ufw_stale_rules filter: pgha's ufw rules no longer wanted, and the uncommented
rules of releases before 1.0.0, read from ufw's own rule files."""

from __future__ import annotations

import binascii

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.ufw_stale_rules import FilterModule, parse

STALE = FilterModule().filters()['ufw_stale_rules']


def _hex(text):
    return binascii.hexlify(text.encode()).decode()


def _tuple(action, proto, port, src, comment=None, direction='in'):
    line = '### tuple ### %s %s %s 0.0.0.0/0 any %s %s' % (action, proto, port, src, direction)
    return line + (' comment=%s' % _hex(comment) if comment is not None else '')


# A user.rules as ufw 0.36 writes it (Debian 13): iptables lines between the tuples.
USER_RULES = '\n'.join([
    '*filter',
    ':ufw-user-input - [0:0]',
    '### RULES ###',
    '',
    _tuple('allow', 'tcp', '22', '0.0.0.0/0', 'pgha ssh'),
    '-A ufw-user-input -p tcp --dport 22 -j ACCEPT',
    '',
    _tuple('allow', 'tcp', '5432', '10.0.1.11', 'pgha patroni_postgresql_port'),
    _tuple('allow', 'tcp', '5432', '10.0.1.99', 'pgha patroni_postgresql_port'),  # a member since removed
    _tuple('allow', 'tcp', '8008', '10.0.1.0/24'),  # an earlier release's rule for the subnet
    _tuple('allow', 'vrrp', 'any', '10.0.1.0/24'),  # an earlier release's VRRP rule
    _tuple('allow', 'tcp', '9100', '10.0.1.0/24'),  # the operator's own rule on another port
    _tuple('allow', 'tcp', '5432', '192.0.2.7', 'monitoring'),  # the operator's own, commented
    _tuple('deny', 'tcp', '5432', '10.0.1.50', 'pgha patroni_postgresql_port'),  # not an allow rule
    '### tuple ### allow any any 0.0.0.0/0 any 10.0.1.0/24 OpenSSH - in',  # an application profile rule
    '### END RULES ###',
])
USER6_RULES = '\n'.join([
    _tuple('allow', 'tcp', '22', '::/0', 'pgha ssh'),
    _tuple('allow', 'tcp', '2379', 'fd00::99', 'pgha etcd_client_port'),
])

WANTED = [
    {'name': 'patroni_postgresql_port', 'proto': 'tcp', 'port': 5432, 'source': '10.0.1.11/32', 'family': 'ipv4',
     'comment': 'pgha patroni_postgresql_port'},
    {'proto': 'tcp', 'port': '22', 'source': '0.0.0.0/0', 'comment': 'pgha ssh'},
    {'proto': 'tcp', 'port': 22, 'source': '::/0', 'comment': 'pgha ssh'},
]


def test_parse_reads_simple_tuples_with_their_comment():
    rules = parse(USER_RULES)
    assert rules[0] == {'action': 'allow', 'direction': 'in', 'proto': 'tcp', 'port': 22, 'source': '0.0.0.0/0',
                        'comment': 'pgha ssh'}
    assert rules[1]['source'] == '10.0.1.11/32'
    assert {'proto': 'vrrp', 'port': None} == {k: rules[4][k] for k in ('proto', 'port')}
    assert len(rules) == 8  # the application profile rule is left out


def test_stale_pgha_rules_and_legacy_rules_go_the_rest_stays():
    assert STALE([USER_RULES, USER6_RULES], WANTED, legacy_source='10.0.1.0/24', legacy_ports=[5432, 8008, 2379, 2380]) == [
        {'proto': 'tcp', 'port': 5432, 'source': '10.0.1.99/32', 'comment': 'pgha patroni_postgresql_port'},
        {'proto': 'tcp', 'port': 8008, 'source': '10.0.1.0/24', 'comment': ''},
        {'proto': 'vrrp', 'port': None, 'source': '10.0.1.0/24', 'comment': ''},
        {'proto': 'tcp', 'port': 2379, 'source': 'fd00::99/128', 'comment': 'pgha etcd_client_port'},
    ]


def test_without_a_legacy_source_only_pgha_rules_go():
    assert [r['comment'] for r in STALE(USER_RULES, WANTED)] == ['pgha patroni_postgresql_port']


def test_a_legacy_rule_still_wanted_stays():
    """An uncommented rule for the clients' subnet on a pool port that is still wanted from it stays
    (ufw gives it the wanted rule's comment when the wanted rule is added)."""
    text = _tuple('allow', 'tcp', '5000', '10.0.1.0/24')
    wanted = [{'proto': 'tcp', 'port': 5000, 'source': '10.0.1.0/24', 'comment': 'pgha haproxy_write_port'}]
    assert STALE(text, wanted, legacy_source='10.0.1.0/24', legacy_ports=[5000]) == []
    assert STALE(text, [], legacy_source='10.0.1.0/24', legacy_ports=[5000]) == [
        {'proto': 'tcp', 'port': 5000, 'source': '10.0.1.0/24', 'comment': ''}]


def test_nothing_stale_when_every_rule_is_wanted():
    assert STALE(USER6_RULES.splitlines()[0], WANTED) == []
    assert STALE('', WANTED) == []


@pytest.mark.parametrize('texts, wanted, match', [
    (None, [], 'expects the text of the rule files'),
    ('', 'x', 'expects the text of the rule files'),
    ('', [{'proto': 'tcp'}], 'a wanted rule lacks'),
])
def test_refusals(texts, wanted, match):
    with pytest.raises(AnsibleFilterError, match=match):
        STALE(texts, wanted)
