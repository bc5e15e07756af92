# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.ufw_missing_rules filter: the wanted rules ufw's rule files do not hold yet,
so the ufw module runs only for those."""

from __future__ import annotations

import binascii

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.ufw_missing_rules import FilterModule

MISSING = FilterModule().filters()['ufw_missing_rules']


def _tuple(action, proto, port, src, comment=None, direction='in'):
    line = '### tuple ### %s %s %s 0.0.0.0/0 any %s %s' % (action, proto, port, src, direction)
    return line + (' comment=%s' % binascii.hexlify(comment.encode()).decode() if comment is not None else '')


def _rule(port, source, comment, proto='tcp'):
    return {'proto': proto, 'port': port, 'source': source, 'comment': comment}


WANTED = [
    _rule(5432, '10.0.1.11/32', 'pgha patroni_postgresql_port'),
    _rule(5432, '10.0.1.12/32', 'pgha patroni_postgresql_port'),
    _rule(5000, '10.0.1.0/24', 'pgha haproxy_write_port'),
    _rule(None, '10.0.1.22/32', 'pgha vrrp', proto='vrrp'),
    _rule(8008, 'fd00::11/128', 'pgha patroni_restapi_port'),
]
USER_RULES = '\n'.join([
    '### RULES ###',
    _tuple('allow', 'tcp', '5432', '10.0.1.11', 'pgha patroni_postgresql_port'),  # ufw writes a /32 as the address
    '-A ufw-user-input -p tcp --dport 5432 -s 10.0.1.11 -j ACCEPT',
    _tuple('allow', 'tcp', '5000', '10.0.1.0/24', 'pgha haproxy_write_port'),
    _tuple('allow', 'vrrp', 'any', '10.0.1.22', 'pgha vrrp'),
    _tuple('deny', 'tcp', '5432', '10.0.1.12', 'pgha patroni_postgresql_port'),  # a deny rule is not the allow rule
    '### END RULES ###',
])
USER6_RULES = _tuple('allow', 'tcp', '8008', 'fd00::11', 'pgha patroni_restapi_port').replace('0.0.0.0/0', '::/0')


def test_only_the_rules_ufw_lacks():
    assert MISSING([USER_RULES, USER6_RULES], WANTED) == [WANTED[1]]


def test_everything_present_means_nothing_to_add():
    both = USER_RULES + '\n' + _tuple('allow', 'tcp', '5432', '10.0.1.12', 'pgha patroni_postgresql_port')
    assert MISSING([both, USER6_RULES], WANTED) == []


def test_a_fresh_ufw_lacks_every_rule():
    assert MISSING([], WANTED) == WANTED
    assert MISSING('### RULES ###\n### END RULES ###\n', WANTED) == WANTED


def test_a_rule_without_its_comment_is_added_again_for_the_comment():
    """An earlier release's uncommented rule of the same port and source: ufw gives it the comment."""
    text = _tuple('allow', 'tcp', '5432', '10.0.1.11')
    assert _rule(5432, '10.0.1.11/32', 'pgha patroni_postgresql_port') in MISSING(text, WANTED)


def test_an_outgoing_rule_is_not_the_incoming_one():
    text = _tuple('allow', 'tcp', '5000', '10.0.1.0/24', 'pgha haproxy_write_port', direction='out')
    assert _rule(5000, '10.0.1.0/24', 'pgha haproxy_write_port') in MISSING(text, WANTED)


@pytest.mark.parametrize('texts, wanted', [(42, WANTED), ('', 'not a list'), ('', [{'proto': 'tcp'}])])
def test_bad_input_is_refused(texts, wanted):
    with pytest.raises(AnsibleFilterError, match='ufw_missing_rules'):
        MISSING(texts, wanted)
