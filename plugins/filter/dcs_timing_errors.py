# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: dcs_timing_errors
short_description: Why Patroni would not run with these DCS timings
version_added: 0.1.0
author: pgha maintainers (@pgha)
description:
  - Checks C(ttl), C(loop_wait) and C(retry_timeout) against the rule Patroni applies silently
    (minimums 20, 1 and 3 seconds, and C(loop_wait + 2 * retry_timeout <= ttl)).
  - Returns one sentence per problem, naming the variable to fix; an empty list when Patroni keeps the values.
  - The same rule is used by the M(pgha.cluster.patroni_config) module and the lab drills.
options:
  _input:
    description: Mapping with any of C(ttl), C(loop_wait), C(retry_timeout); a missing key takes Patroni's default.
    type: dict
    required: true
  names:
    description: Maps each key to the variable name used in the messages.
    type: dict
'''

EXAMPLES = r'''
- name: Refuse timings Patroni would change
  ansible.builtin.assert:
    that: _errors | length == 0
    fail_msg: "{{ _errors | join(' ') }}"
  vars:
    _errors: >-
      {{ {'ttl': patroni_ttl, 'loop_wait': patroni_loop_wait, 'retry_timeout': patroni_retry_timeout}
         | pgha.cluster.dcs_timing_errors(names={'ttl': 'patroni_ttl'}) }}
'''

RETURN = r'''
_value:
  description: The problems, one sentence each; empty when there is none.
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.module_utils._dcs_timing import dcs_timing_errors


def _dcs_timing_errors(settings, names=None):
    if not isinstance(settings, dict):
        raise AnsibleFilterError('dcs_timing_errors expects a mapping of ttl/loop_wait/retry_timeout, got %s'
                                 % type(settings).__name__)
    return dcs_timing_errors(settings, names)


class FilterModule(object):
    def filters(self):
        return {'dcs_timing_errors': _dcs_timing_errors}
