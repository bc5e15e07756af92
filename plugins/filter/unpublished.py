# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: unpublished
short_description: Which hosts lack the facts another role publishes
version_added: 0.1.0
author: pgha maintainers (@pgha)
description:
  - The roles of pgha.cluster read each other's values only through facts that the owning role publishes
    in its preflight (C(common_node_address), C(patroni_postgresql_port), C(etcd_client_port), ...).
  - 'Given hosts and fact names, returns one C(host: name) entry per fact a host does not have yet, so a
    role can refuse to run, naming what is missing, before it renders anything from those facts.'
options:
  _input:
    description: The hosts whose facts are read (inventory names).
    type: list
    elements: str
    required: true
  hostvars:
    description: The C(hostvars) magic variable.
    type: raw
    required: true
  names:
    description: The fact names each host must have.
    type: list
    elements: str
    required: true
'''

EXAMPLES = r'''
- name: Check the database nodes published their ports
  ansible.builtin.assert:
    that: _missing | length == 0
    fail_msg: "Run the patroni role's preflight first; missing: {{ _missing | join(', ') }}"
  vars:
    _missing: "{{ groups['postgres'] | pgha.cluster.unpublished(hostvars, ['patroni_postgresql_port']) }}"
'''

RETURN = r'''
_value:
  description: 'C(host: name) for every fact a host lacks, in the order given; empty when all are there.'
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError


def _unpublished(hosts, hostvars, names):
    if not isinstance(hosts, (list, tuple)) or not isinstance(names, (list, tuple)):
        raise AnsibleFilterError('unpublished expects a list of hosts and a list of fact names')
    missing = []
    for host in hosts:
        host_vars = hostvars[host] if host in hostvars else {}
        missing.extend('%s: %s' % (host, name) for name in names if name not in host_vars)
    return missing


class FilterModule(object):
    def filters(self):
        return {'unpublished': _unpublished}
