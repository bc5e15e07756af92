#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: patroni_config
short_description: Manage the dynamic (DCS) configuration of a Patroni cluster
version_added: 0.1.0
description:
  - Reads the dynamic configuration with C(patronictl show-config), compares it with O(settings)
    and applies only the difference with C(patronictl edit-config --apply - --force) (the patch is
    given on standard input).
  - Keys not named in O(settings) are left alone. A key set to V(null) is removed.
  - Values compare the way Patroni and PostgreSQL read them, so a rerun with the same settings
    changes nothing; see O(settings).
  - Reports the members that Patroni flags as needing a restart.
  - When O(settings) names C(ttl), C(loop_wait) or C(retry_timeout), the configuration it would
    produce (the current one merged with O(settings); a key left out takes Patroni's default) must be
    one Patroni keeps as given, with C(ttl) at least 20, C(loop_wait) at least 1, C(retry_timeout) at least 3,
    all whole seconds, and C(loop_wait + 2 * retry_timeout <= ttl). Otherwise Patroni would store the
    values and silently run with others, so the module fails before changing anything, also in check mode.
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.patroni
  - pgha.cluster.attributes
  - pgha.cluster.attributes.check_diff
attributes:
  check_mode:
    details: Computes and reports the change without running C(edit-config); refuses the same settings as a real run.
  diff_mode:
    details: The whole dynamic configuration before and after.
options:
  settings:
    description:
      - 'Wanted dynamic configuration, nested as in C(patronictl show-config), for example
        C({loop_wait: 5, postgresql: {parameters: {max_connections: 200}}}).'
      - Mappings are merged key by key; other values (lists too) replace the current value.
      - V(null) removes the key.
      - Numbers equal numeric strings (V(200) is V('200')), and booleans equal C(on)/C(off),
        C(true)/C(false), C(yes)/C(no) in any case, as PostgreSQL reads them.
        Other strings compare exactly, so units must be written as Patroni shows them (V(256MB)).
    type: dict
    required: true
  exact:
    description:
      - Dotted paths of mappings in O(settings), like V(postgresql.parameters), that must end up exactly as given;
        a key the current configuration holds there and O(settings) does not name is removed.
    type: list
    elements: str
    default: []
    version_added: 0.2.0
notes:
  - Patroni flags a restart only after its next cycle (C(loop_wait) seconds), so RV(pending_restart)
    may not yet show a change that needs one. Read it later with M(pgha.cluster.patroni_cluster_info).
  - Changes are verified by reading C(show-config) again after C(edit-config).
seealso:
  - module: pgha.cluster.patroni_cluster_info
  - name: Patroni dynamic configuration
    description: The settings kept in the DCS.
    link: https://patroni.readthedocs.io/en/latest/dynamic_configuration.html
'''

EXAMPLES = r'''
- name: Tune the cluster
  pgha.cluster.patroni_config:
    config_file: /etc/patroni/config.yml
    settings:
      loop_wait: 10
      synchronous_mode: true
      postgresql:
        parameters:
          max_connections: 200
          work_mem: 8MB
  register: patroni_dcs

- name: Say when PostgreSQL needs a restart
  ansible.builtin.debug:
    msg: "Restart pending on {{ patroni_dcs.pending_restart | join(', ') }}"
  when: patroni_dcs.pending_restart | length > 0

- name: Drop a parameter from the dynamic configuration
  pgha.cluster.patroni_config:
    config_file: /etc/patroni/config.yml
    settings:
      postgresql:
        parameters:
          work_mem: null
'''

RETURN = r'''
config:
  description: The dynamic configuration after the change (in check mode, as it would be).
  returned: success
  type: dict
  sample: {loop_wait: 10, ttl: 30, postgresql: {parameters: {max_connections: 200}}}
patch:
  description: The partial configuration that was (or would be) applied; empty when nothing changes.
  returned: success
  type: dict
  sample: {postgresql: {parameters: {max_connections: 200}}}
pending_restart:
  description: Names of the members Patroni flags as needing a restart when the module finished.
  returned: success
  type: list
  elements: str
  sample: [pg1, pg2, pg3]
stdout:
  description: Output of C(patronictl edit-config).
  returned: when a change was applied
  type: str
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliError
from ansible_collections.pgha.cluster.plugins.module_utils._dcs_timing import (
    DCS_TIMING_DEFAULTS,
    DCS_TIMING_KEYS,
    dcs_timing_errors,
)
from ansible_collections.pgha.cluster.plugins.module_utils._patronictl import (
    PatroniCtl,
    apply_patch,
    config_patch,
    member_facts,
    patroni_argument_spec,
    with_removals,
)


def timing_refusal(settings, merged):
    """Why Patroni would not keep the DCS timing of ``merged`` as given, or ``None``.

    Checked only when ``settings`` names a timing key: a change that leaves them alone does
    not make them worse. The sentences name the keys under ``settings`` to fix.
    """
    if not any(key in settings for key in DCS_TIMING_KEYS):
        return None
    errors = dcs_timing_errors(merged, names=dict((key, 'settings.%s' % key) for key in DCS_TIMING_KEYS))
    if not errors:
        return None
    given = ', '.join('%s=%r' % (key, merged.get(key, DCS_TIMING_DEFAULTS[key])) for key in DCS_TIMING_KEYS)
    return 'Settings merged with the current dynamic configuration give %s: %s Nothing was changed.' % (
        given, ' '.join(errors))


def main():
    argument_spec = dict(
        settings=dict(type='dict', required=True),
        exact=dict(type='list', elements='str', default=[]),
    )
    argument_spec.update(patroni_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    settings = module.params['settings']

    client = PatroniCtl(module)
    try:
        before = client.show_config()
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())

    settings = with_removals(before, settings, module.params['exact'])
    patch = config_patch(before, settings)
    after = apply_patch(before, patch)
    refusal = timing_refusal(settings, after)
    if refusal:
        module.fail_json(msg=refusal, patch=patch, config=before)
    result = dict(changed=bool(patch), patch=patch, config=after)
    if module._diff:
        result['diff'] = dict(before=before, after=after)

    try:
        if patch and not module.check_mode:
            result['stdout'] = client.edit_config(patch)
            stored = client.show_config()
            left = config_patch(stored, settings)
            if left:
                module.fail_json(msg='patronictl edit-config ran, but show-config still differs from settings at %s; '
                                     'check that these keys are dynamic settings Patroni accepts.'
                                     % ', '.join(sorted(_paths(left))),
                                 patch=patch, stdout=result['stdout'])
            result['config'] = stored
            if module._diff:
                result['diff']['after'] = stored
        result['pending_restart'] = member_facts(client.list_members())['pending_restart']
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())
    module.exit_json(**result)


def _paths(patch, prefix=''):
    for key, value in patch.items():
        path = '%s.%s' % (prefix, key) if prefix else str(key)
        if isinstance(value, dict) and value:
            yield from _paths(value, path)
        else:
            yield path


if __name__ == '__main__':
    main()
