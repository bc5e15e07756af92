# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Attributes every pgha.cluster module shares; check_mode and diff_mode stay in each module.
    DOCUMENTATION = r'''
attributes:
  action_group:
    description: Use C(group/pgha.cluster.pgha) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - pgha.cluster.pgha
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
'''
