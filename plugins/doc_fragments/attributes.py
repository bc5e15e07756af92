# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # The attributes every pgha.cluster module has. A module adds exactly one of the named
    # fragments below, which states its check_mode/diff_mode support; it may add `details`
    # of its own under an attribute (a module's keys win over a fragment's).
    DOCUMENTATION = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/pgha.cluster.pgha) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - pgha.cluster.pgha
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
'''

    # pgha.cluster.attributes.read_only: modules that only read (the *_info and *_wait modules).
    READ_ONLY = r'''
options: {}
attributes:
  check_mode:
    support: full
    details: Read-only; it runs the same read-only commands in check mode.
  diff_mode:
    support: N/A
    details: Read-only; there is nothing to compare.
'''

    # pgha.cluster.attributes.check_diff: modules that change the cluster. Check mode reads the
    # current state and reports the change without making it; diff mode returns the state before
    # and after. The module's `details` say what exactly.
    CHECK_DIFF = r'''
options: {}
attributes:
  check_mode:
    support: full
    details: Reads the current state and reports what it would change, without changing it.
  diff_mode:
    support: full
    details: Returns the state before and after the change (in check mode, as it would be).
'''
