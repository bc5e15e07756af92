#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: renamed_vars
short_description: Warn about role variables used under a name that was renamed
version_added: 1.0.0
description:
  - For every old name in O(names) that is set for the host, prints a deprecation warning naming the new
    variable and the release that removes the old name, the next major release (2.0.0). Returns the old
    names in use.
  - >-
    The roles keep an old name working for one major release by defaulting the new variable to the old
    one's value (the etcd role's default for C(etcd_leader_away) is the value of C(patroni_etcd_leader_away),
    V(true) when that is unset), so a value set under the new name always wins; this module only tells
    the user to rename.
  - Runs on the controller; changes nothing.
author:
  - pgha maintainers (@pgha)
options:
  names:
    description: Old variable name to new variable name.
    type: dict
    required: true
extends_documentation_fragment:
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
attributes:
  check_mode:
    details: Only reads the host's variables, in check mode too.
  diff_mode:
    details: Only reads the host's variables; there is nothing to compare.
'''

EXAMPLES = r'''
- name: Warn about the etcd leader placement variables' old names
  pgha.cluster.renamed_vars:
    names:
      patroni_etcd_leader_away: etcd_leader_away
      patroni_etcd_leader_away_interval: etcd_leader_away_interval
'''

RETURN = r'''
renamed:
  description: The old names set for this host, each with its new name.
  returned: always
  type: dict
  sample: {"patroni_etcd_leader_away": "etcd_leader_away"}
'''
