# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: port_conflicts
short_description: Which of a role's ports something else already holds
version_added: 0.2.0
author: pgha maintainers (@pgha)
description:
  - Reads the listeners M(pgha.cluster.tcp_listeners) found on a host and returns one sentence per port of
    O(ports) held by a process outside the systemd unit O(unit), naming the variable, the process and its
    unit, and what to do; an empty list when the role's own unit (or nothing) holds them.
  - A socket whose process could not be read (root without C(CAP_SYS_PTRACE), as in a container) is the role's
    when the user O(user) owns it.
options:
  _input:
    description: The C(listeners) M(pgha.cluster.tcp_listeners) returned.
    type: list
    elements: dict
    required: true
  ports:
    description: Maps each port variable's name to its value.
    type: dict
    required: true
  unit:
    description: The systemd unit that may hold them, like C(patroni.service).
    type: str
    required: true
  user:
    description: The user the role's service runs as, like C(postgres); V(null) to require the unit.
    type: str
'''

EXAMPLES = r'''
- name: Refuse a port another program holds
  ansible.builtin.assert:
    that: _errors | length == 0
    fail_msg: "{{ _errors | join(' ') }}"
  vars:
    _errors: "{{ common_listeners | pgha.cluster.port_conflicts({'etcd_client_port': 2379}, 'etcd.service', 'etcd') }}"
'''

RETURN = r'''
_value:
  description: The problems, one sentence each; empty when there is none.
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError


def _ours(listener, unit, user):
    if listener.get('pid') is None:
        return user is not None and listener.get('user') == user
    return listener.get('unit') == unit


def port_conflicts(listeners, ports, unit, user=None):
    if not isinstance(listeners, list) or not isinstance(ports, dict):
        raise AnsibleFilterError('port_conflicts expects the tcp_listeners list and a mapping of variable to port')
    errors = []
    for name, port in ports.items():
        holders = [r for r in listeners if r.get('port') == int(port) and not _ours(r, unit, user)]
        if not holders:
            continue
        holder = holders[0]
        who = ('%s (pid %s, %s)' % (holder['process'], holder['pid'], holder['unit'] or 'in no systemd unit')
               if holder.get('pid') is not None
               else 'a process of user %s that could not be read' % (holder.get('user') or holder.get('uid')))
        errors.append('Port %s (%s) is held by %s, which this role does not manage: stop and disable it, or set %s'
                      ' to a free port.' % (port, name, who, name))
    return errors


class FilterModule(object):
    def filters(self):
        return {'port_conflicts': port_conflicts}
