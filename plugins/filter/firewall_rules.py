# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: firewall_rules
short_description: The host firewall's rules, one per port and allowed source
version_added: 1.0.0
author: pgha maintainers (@pgha)
description:
  - Given the TCP ports a host listens on (by the name of the fact that publishes each) and the sources
    allowed to reach each of them, returns one rule per port and source, in the order given, each once.
  - A source is an address or a network (CIDR); an address becomes its host network (C(/32), C(/128)).
  - The common role applies the list with ufw (Debian, Ubuntu) or firewalld rich rules (RHEL family),
    and publishes it as the fact C(common_firewall_rules).
options:
  _input:
    description: 'Port name (the fact publishing it, such as C(etcd_client_port)) -> TCP port.'
    type: dict
    required: true
  sources:
    description: 'Port name -> the addresses or networks allowed to reach it. Every port needs an entry.'
    type: dict
    required: true
  vrrp:
    description: Addresses or networks whose VRRP packets (IP protocol 112) are accepted.
    type: list
    elements: str
    default: []
'''

EXAMPLES = r'''
- name: Publish the rules
  ansible.builtin.set_fact:
    common_firewall_rules: >-
      {{ {'etcd_peer_port': 2380} | pgha.cluster.firewall_rules({'etcd_peer_port': ['10.0.1.11', '10.0.1.12']}) }}
# [{'name': 'etcd_peer_port', 'proto': 'tcp', 'port': 2380, 'source': '10.0.1.11/32', 'family': 'ipv4',
#   'comment': 'pgha etcd_peer_port'}, {... '10.0.1.12/32' ...}]
'''

RETURN = r'''
_value:
  description: The rules.
  type: list
  elements: dict
  contains:
    name:
      description: The port's name, C(vrrp) for VRRP.
      type: str
    proto:
      description: C(tcp), or C(vrrp).
      type: str
    port:
      description: The TCP port; null for VRRP.
      type: int
    source:
      description: The allowed source as a network (C(10.0.1.11/32), C(10.0.1.0/24), C(fd00::5/128)).
      type: str
    family:
      description: C(ipv4) or C(ipv6), the source's family.
      type: str
    comment:
      description: C(pgha <name>), the tag the rule carries where the firewall keeps one (ufw).
      type: str
'''

import ipaddress

from ansible.errors import AnsibleFilterError

COMMENT_PREFIX = 'pgha '


def _network(source, name):
    try:
        return ipaddress.ip_network(str(source).strip())
    except ValueError as exc:
        raise AnsibleFilterError('firewall_rules: %r (a source of %s) is not an IP address or network: %s'
                                 % (source, name, exc))


def _rule(name, proto, port, source):
    network = _network(source, name)
    return {'name': name, 'proto': proto, 'port': port, 'source': str(network),
            'family': 'ipv%d' % network.version, 'comment': COMMENT_PREFIX + name}


def _firewall_rules(ports, sources, vrrp=None):
    if not isinstance(ports, dict) or not isinstance(sources, dict):
        raise AnsibleFilterError('firewall_rules expects a mapping of port names to ports and one of port names to sources')
    rules = []
    for name, port in ports.items():
        if name not in sources:
            raise AnsibleFilterError('firewall_rules: no sources for %s' % name)
        if isinstance(sources[name], (str, bytes)) or not isinstance(sources[name], (list, tuple)):
            raise AnsibleFilterError('firewall_rules: the sources of %s must be a list' % name)
        rules.extend(_rule(name, 'tcp', int(port), s) for s in sources[name])
    rules.extend(_rule('vrrp', 'vrrp', None, s) for s in vrrp or [])
    unique = []
    for rule in rules:
        if rule not in unique:
            unique.append(rule)
    return unique


class FilterModule(object):
    def filters(self):
        return {'firewall_rules': _firewall_rules}
