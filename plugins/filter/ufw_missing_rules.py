# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: ufw_missing_rules
short_description: The wanted ufw rules that ufw does not have yet
version_added: 1.0.0
author: pgha maintainers (@pgha)
description:
  - >-
    Reads the rules ufw keeps (the C(### tuple ###) lines of C(/etc/ufw/user.rules) and C(user6.rules), as
    P(pgha.cluster.ufw_stale_rules#filter) reads them) and returns the elements of O(wanted) that are not among
    them as C(allow) rules for incoming traffic with the same protocol, port, source and comment.
  - >-
    So C(community.general.ufw) runs only for what is missing: one call per rule costs about two seconds, and a
    cluster has tens of rules per host.
  - A wanted rule present without its comment (an earlier release's) is returned, so that ufw gives it the comment.
options:
  _input:
    description: The text of ufw's rule files, one string per file (or one string).
    type: raw
    required: true
  wanted:
    description: The rules, as the P(pgha.cluster.firewall_rules#filter) filter returns them.
    type: list
    elements: dict
    required: true
'''

EXAMPLES = r'''
- name: Allow each port from its sources
  community.general.ufw:
    rule: allow
    proto: "{{ item.proto }}"
    port: "{{ item.port | string if item.port else omit }}"
    from_ip: "{{ item.source }}"
    comment: "{{ item.comment }}"
  loop: >-
    {{ __ufw_files.results | map(attribute='content') | map('b64decode')
       | pgha.cluster.ufw_missing_rules(common_firewall_rules) }}
'''

RETURN = r'''
_value:
  description: The elements of O(wanted) ufw lacks, in their order.
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.ufw_stale_rules import parse, rule_key


def _ufw_missing_rules(texts, wanted):
    if isinstance(texts, (str, bytes)):
        texts = [texts]
    if not isinstance(texts, (list, tuple)) or not isinstance(wanted, (list, tuple)):
        raise AnsibleFilterError('ufw_missing_rules expects the text of the rule files and a list of wanted rules')
    present = set()
    for text in texts:
        for rule in parse(text if isinstance(text, str) else text.decode('utf-8')):
            if rule['action'] == 'allow' and rule['direction'] == 'in':
                present.add((rule_key(rule), rule['comment']))
    try:
        return [rule for rule in wanted if (rule_key(rule), rule['comment']) not in present]
    except (KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError('ufw_missing_rules: a wanted rule lacks proto, port, source or comment: %s' % exc)


class FilterModule(object):
    def filters(self):
        return {'ufw_missing_rules': _ufw_missing_rules}
