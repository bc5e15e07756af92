#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: bcrypt_password
short_description: A bcrypt hash of a password that stays the same while the password does
version_added: 1.1.0
description:
  - Returns O(current) when it is a bcrypt hash of O(password), otherwise a new bcrypt hash of O(password).
  - >-
    For the web configuration files of Prometheus, Alertmanager and the exporters, whose C(basic_auth_users)
    hold bcrypt hashes: hashing with a new salt on every run would rewrite the file, and restart the
    service, each time. Pass the hash the file holds now as O(current).
  - >-
    Runs on the managed host, which needs Python's bcrypt library (C(python3-bcrypt)). Never reports
    C(changed); writing the hash is the job of the task that uses it.
author:
  - pgha maintainers (@pgha)
options:
  password:
    description: The password.
    type: str
    required: true
  current:
    description: The hash in use now; empty or not a bcrypt hash of O(password) gives a new hash.
    type: str
    default: ''
  rounds:
    description: bcrypt's cost factor of a new hash (4 to 31; each step doubles the time a check takes).
    type: int
    default: 10
requirements:
  - bcrypt (Python library, on the managed host)
extends_documentation_fragment:
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
attributes:
  check_mode:
    details: Computes the hash in check mode too; it changes nothing on the host.
'''

EXAMPLES = r'''
- name: Hash the web password, keeping the hash the file holds when the password is unchanged
  pgha.cluster.bcrypt_password:
    password: "{{ monitoring_web_password }}"
    current: "{{ (web_config.content | b64decode | from_yaml).basic_auth_users.admin | default('') }}"
  register: web_hash
  no_log: true
'''

RETURN = r'''
hash:
  description: O(current) when it matches O(password), else a new bcrypt hash (C($2b$...)).
  returned: always
  type: str
  sample: $2b$10$C6UzMDM.H6dfI/f/IKxGhuL7vLJNHrzO2eP0JYJTAkAgRpFF2nVdq
kept:
  description: Whether RV(hash) is O(current).
  returned: always
  type: bool
'''

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

try:
    import bcrypt
except ImportError:
    bcrypt = None
    BCRYPT_IMPORT_ERROR = traceback.format_exc()
else:
    BCRYPT_IMPORT_ERROR = None


def matches(password, current):
    """Whether current is a bcrypt hash of password (anything else, including garbage, is not)."""
    if not current.startswith(('$2a$', '$2b$', '$2y$')):
        return False
    try:
        return bcrypt.checkpw(password.encode('utf-8'), current.encode('ascii'))
    except ValueError:
        return False


def password_hash(password, current, rounds):
    """(hash, kept): the current hash when it still matches, else a new one."""
    if matches(password, current):
        return current, True
    return bcrypt.hashpw(password.encode('utf-8'), bcrypt.gensalt(rounds)).decode('ascii'), False


def main():
    module = AnsibleModule(
        argument_spec=dict(
            password=dict(type='str', required=True, no_log=True),
            current=dict(type='str', default='', no_log=False),
            rounds=dict(type='int', default=10),
        ),
        supports_check_mode=True,
    )
    if bcrypt is None:
        module.fail_json(msg=missing_required_lib('bcrypt (python3-bcrypt)'), exception=BCRYPT_IMPORT_ERROR)
    rounds = module.params['rounds']
    if not 4 <= rounds <= 31:
        module.fail_json(msg=f'rounds must be between 4 and 31, not {rounds}')
    if not module.params['password']:
        module.fail_json(msg='password is empty: bcrypt_password hashes a password that is set')
    value, kept = password_hash(module.params['password'], module.params['current'] or '', rounds)
    module.exit_json(changed=False, hash=value, kept=kept)


if __name__ == '__main__':
    main()
