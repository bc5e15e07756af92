# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Options shared by the modules that run pgbackrest
    # (argument spec: plugins/module_utils/_pgbackrest.py pgbackrest_argument_spec()).
    DOCUMENTATION = r'''
options:
  stanza:
    description:
      - The pgBackRest stanza (C(pgbackrest --stanza)), for example V(pg-cluster).
    type: str
    required: true
  config:
    description:
      - pgBackRest configuration file (C(pgbackrest --config)). By default C(pgbackrest) reads its own
        default, V(/etc/pgbackrest/pgbackrest.conf) or V(/etc/pgbackrest.conf).
      - Repository passphrases stay in that file (or in the E(PGBACKREST_*) environment of the user);
        nothing secret is passed on the command line.
    type: path
  pgbackrest_path:
    description:
      - Path of the C(pgbackrest) binary. By default it is looked up in E(PATH) on the target.
    type: path
requirements:
  - C(pgbackrest) 2.x with C(info --output=json) on the target (recorded and tested with 2.55.1).
notes:
  - 'C(pgbackrest) runs with E(LC_ALL=C) as the user of the task; run it as the user that owns the
    repository and can read the configuration file (usually C(become_user: postgres)).'
'''
