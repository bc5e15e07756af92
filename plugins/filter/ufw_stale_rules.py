# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: ufw_stale_rules
short_description: The rules pgha added to ufw that are no longer wanted
version_added: 1.0.0
author: pgha maintainers (@pgha)
description:
  - >-
    Reads the rules ufw keeps (the C(### tuple ###) lines of C(/etc/ufw/user.rules) and C(user6.rules), the form
    ufw itself and C(community.general.ufw) read them in) and returns those to delete.
  - 'A rule is pgha''s when its comment starts with C(pgha ): it is stale when it is not in O(wanted).'
  - 'Releases before 1.0.0 added uncommented rules opening every port to one source: an uncommented C(allow)
    rule from O(legacy_source) to one of O(legacy_ports) (or of protocol C(vrrp)) is stale too, unless a
    wanted rule has its port and source (ufw gives it the wanted rule''s comment when that rule is added).'
  - Other rules (the operator's own, SSH's) are never returned.
options:
  _input:
    description: The text of ufw's rule files, one string per file (or one string).
    type: raw
    required: true
  wanted:
    description: The rules to keep, as the P(pgha.cluster.firewall_rules#filter) filter returns them.
    type: list
    elements: dict
    required: true
  legacy_source:
    description: The source earlier releases opened the ports to; empty for none.
    type: str
    default: ''
  legacy_ports:
    description: The TCP ports earlier releases opened.
    type: list
    elements: int
    default: []
'''

EXAMPLES = r'''
- name: Delete the stale rules
  community.general.ufw:
    rule: allow
    proto: "{{ item.proto }}"
    port: "{{ item.port | string if item.port else omit }}"
    from_ip: "{{ item.source }}"
    comment: "{{ item.comment }}"
    delete: true
  loop: >-
    {{ __ufw_files.results | map(attribute='content') | map('b64decode')
       | pgha.cluster.ufw_stale_rules(common_firewall_rules) }}
'''

RETURN = r'''
_value:
  description: The stale rules, in the files' order, each once.
  type: list
  elements: dict
  contains:
    proto:
      description: C(tcp), C(udp), C(vrrp), ...
      type: str
    port:
      description: The destination port; null when the rule has none.
      type: int
    source:
      description: The source network (C(10.0.1.11/32)).
      type: str
    comment:
      description: The rule's comment (empty for an uncommented rule); deleting with it matches the rule exactly.
      type: str
'''

import binascii
import ipaddress
import re

from ansible.errors import AnsibleFilterError

COMMENT_PREFIX = 'pgha '
_TUPLE = re.compile(r'^### tuple ###\s+(?P<fields>.*?)(?:\s+comment=(?P<comment>[0-9a-fA-F]*))?\s*$')


def _decode(comment):
    try:
        return binascii.unhexlify(comment).decode('utf-8') if comment else ''
    except (binascii.Error, UnicodeDecodeError):
        return comment


def _network(text):
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        return None


def parse(text):
    """The simple rules (no application profile) of one ufw rule file: action, proto, port, source, comment."""
    rules = []
    for line in text.splitlines():
        m = _TUPLE.match(line.strip())
        if not m:
            continue
        fields = m.group('fields').split()
        if len(fields) != 7:  # 9 fields: a rule naming an application profile
            continue
        action, proto, dport, _dst, _sport, src, direction = fields
        source = _network(src)
        if source is None:
            continue
        rules.append({'action': action, 'direction': direction, 'proto': proto,
                      'port': int(dport) if dport.isdigit() else None,
                      'source': source, 'comment': _decode(m.group('comment') or '')})
    return rules


def rule_key(rule):
    """(proto, port, source network) of a rule, the way ufw compares them."""
    port = rule['port']
    return (rule['proto'], int(port) if port not in (None, '') else None, str(ipaddress.ip_network(rule['source'])))


def _ufw_stale_rules(texts, wanted, legacy_source='', legacy_ports=None):
    if isinstance(texts, (str, bytes)):
        texts = [texts]
    if not isinstance(texts, (list, tuple)) or not isinstance(wanted, (list, tuple)):
        raise AnsibleFilterError('ufw_stale_rules expects the text of the rule files and a list of wanted rules')
    try:
        keep = set((rule_key(r), r['comment']) for r in wanted)
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('ufw_stale_rules: a wanted rule lacks proto, port, source or comment: %s' % exc)
    wanted_keys = set(k for k, _c in keep)
    legacy = _network(legacy_source) if legacy_source else None
    ports = set(int(p) for p in legacy_ports or [])
    stale = []
    for text in texts:
        for rule in parse(text if isinstance(text, str) else text.decode('utf-8')):
            if rule['action'] != 'allow' or rule['direction'] != 'in':
                continue
            if rule['comment'].startswith(COMMENT_PREFIX):
                gone = (rule_key(rule), rule['comment']) not in keep
            elif rule['comment'] == '' and legacy is not None and rule['source'] == legacy:
                gone = (rule['proto'] == 'vrrp' or (rule['proto'] == 'tcp' and rule['port'] in ports)) \
                    and rule_key(rule) not in wanted_keys
            else:
                gone = False
            entry = {'proto': rule['proto'], 'port': rule['port'], 'source': rule['source'], 'comment': rule['comment']}
            if gone and entry not in stale:
                stale.append(entry)
    return stale


class FilterModule(object):
    def filters(self):
        return {'ufw_stale_rules': _ufw_stale_rules}
