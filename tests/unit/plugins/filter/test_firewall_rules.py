# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.firewall_rules filter: one rule per port and allowed source."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.firewall_rules import FilterModule

RULES = FilterModule().filters()['firewall_rules']


def _rule(name, proto, port, source, family='ipv4'):
    return {'name': name, 'proto': proto, 'port': port, 'source': source, 'family': family, 'comment': 'pgha ' + name}


def test_one_rule_per_port_and_source_addresses_as_host_networks():
    ports = {'etcd_client_port': '2379', 'etcd_peer_port': 2380}
    sources = {'etcd_client_port': ['10.0.1.11', '10.0.1.12', '10.0.1.0/24'], 'etcd_peer_port': ['10.0.1.11']}
    assert RULES(ports, sources) == [
        _rule('etcd_client_port', 'tcp', 2379, '10.0.1.11/32'),
        _rule('etcd_client_port', 'tcp', 2379, '10.0.1.12/32'),
        _rule('etcd_client_port', 'tcp', 2379, '10.0.1.0/24'),
        _rule('etcd_peer_port', 'tcp', 2380, '10.0.1.11/32'),
    ]


def test_ipv6_sources_and_vrrp():
    assert RULES({'haproxy_stats_port': 7000}, {'haproxy_stats_port': ['fd00::21', '2001:db8::/64']},
                 vrrp=['10.0.1.22']) == [
        _rule('haproxy_stats_port', 'tcp', 7000, 'fd00::21/128', 'ipv6'),
        _rule('haproxy_stats_port', 'tcp', 7000, '2001:db8::/64', 'ipv6'),
        _rule('vrrp', 'vrrp', None, '10.0.1.22/32'),
    ]


def test_a_source_given_twice_is_one_rule():
    """A member that is in two groups (etcd and Patroni) or also an admin source is admitted once."""
    assert RULES({'p': 1}, {'p': ['10.0.1.11', '10.0.1.11/32', '10.0.1.11']}) == [_rule('p', 'tcp', 1, '10.0.1.11/32')]


def test_a_port_without_sources_admits_no_one():
    assert RULES({'p': 1}, {'p': []}) == []


@pytest.mark.parametrize('ports, sources, match', [
    ({'p': 1}, {}, 'no sources for p'),
    ({'p': 1}, {'p': '10.0.1.11'}, 'the sources of p must be a list'),
    ({'p': 1}, {'p': ['10.0.1.300']}, "'10.0.1.300' \\(a source of p\\) is not an IP address or network"),
    ({'p': 1}, {'p': ['10.0.1.5/24']}, 'a source of p'),  # host bits set
    ([], {}, 'expects a mapping'),
])
def test_refusals(ports, sources, match):
    with pytest.raises(AnsibleFilterError, match=match):
        RULES(ports, sources)
