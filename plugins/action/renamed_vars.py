# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action of pgha.cluster.renamed_vars: a deprecation warning per renamed variable still set."""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible.utils.display import Display

display = Display()


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(('names',))

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # not used
        dummy, args = self.validate_argument_spec(argument_spec=dict(
            names=dict(type='dict', required=True),
        ))
        task_vars = task_vars or {}
        in_use = {}
        for old, new in sorted(args['names'].items()):
            if old not in task_vars:
                continue
            in_use[old] = new
            display.deprecated(
                'The variable %s was renamed to %s. Its value is used while %s is not set; rename it in your '
                'inventory or playbook.' % (old, new, new),
                version='2.0.0',  # the next major release; a literal, as ansible-test's pylint requires
                collection_name='pgha.cluster',
            )
        result.update(changed=False, renamed=in_use)
        return result
