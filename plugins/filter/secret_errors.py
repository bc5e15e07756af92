# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: secret_errors
short_description: Why a password would not reach its config file exactly, or is not a secret
version_added: 0.2.0
author: pgha maintainers (@pgha)
description:
  - Checks each password the roles deploy, before any host changes, and returns one sentence per
    problem, naming the variable and what to do; never the value.
  - Refused are a value that is unset or not a string (an unquoted YAML C(12345), C(yes) or C([a])
    reaches the config file as a number, a boolean or a list), a carriage return or line feed (a
    C(|) block scalar ends in one), fewer than O(min_length) or more than O(max_length) characters,
    a character listed in O(forbidden) or outside printable ASCII when O(ascii_only), and the
    placeholders and well-known example passwords (those of the example inventory, Patroni's sample
    configuration, the lab's first version), compared case-insensitively.
options:
  _input:
    description: Mapping of variable name to its value.
    type: dict
    required: true
  min_length:
    description: Fewest characters a value may have.
    type: int
    default: 12
  max_length:
    description: Most characters a value may have; V(0) for no limit.
    type: int
    default: 0
  forbidden:
    description: Characters the config file cannot hold in this value.
    type: str
    default: ''
  ascii_only:
    description: Refuse whitespace, control and non-ASCII characters.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Refuse the VRRP key keepalived could not read
  ansible.builtin.assert:
    that: _errors | length == 0
    fail_msg: "{{ _errors | join(' ') }}"
  vars:
    _errors: >-
      {{ {'keepalived_auth_pass': keepalived_auth_pass}
         | pgha.cluster.secret_errors(min_length=6, max_length=8, forbidden='#!"\${}', ascii_only=true) }}
  no_log: true
'''

RETURN = r'''
_value:
  description: The problems, one sentence each; empty when there is none.
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError

# Lower case; compared with the value stripped and lowered.
WELL_KNOWN = frozenset((
    # placeholders of the example inventory and common stand-ins
    'change_me', 'changeme', 'change-me', 'change me', 'password', 'passw0rd', 'secret', 'secretpassword',
    'default', 'example', 'test', 'todo', 'xxx', 'none', 'null',
    # Patroni's sample configurations (postgres0.yml and the docs)
    'zalando', 'rep-pass', 'rewind_password', 'admin', 'postgres', 'replicator', 'rewind', 'patroni',
    # keepalived's and HAProxy's documentation
    '1111', '1234', '12345678', 'vrrp', 'haproxy', 'stats',
    # the lab's first, fixed, secrets (the lab now generates its own)
    'lab-superuser-secret', 'lab-replicator-secret', 'lab-rewind-secret', 'lab-vrrp',
))


def _kind(value):
    # Ansible hands tagged subclasses (an inventory's int is an _AnsibleTaggedInt): name the kind.
    for types, kind in ((bool, 'boolean'), ((int, float), 'number'), ((list, tuple), 'list'), (dict, 'mapping')):
        if isinstance(value, types):
            return kind
    return type(value).__name__


def _problem(value, min_length, max_length, forbidden, ascii_only):
    if value is None or value == '':
        return 'is unset'
    if not isinstance(value, str):
        return ('is a %s, not a string: YAML reads an unquoted 12345, yes or [a] as a number, a boolean or a list.'
                ' Quote it' % _kind(value))
    if '\n' in value or '\r' in value:
        return 'holds a line break (a | block scalar ends in one): write it on one line, quoted, or use |-'
    if value.strip().lower() in WELL_KNOWN:
        return 'is a placeholder or a published example password: set a secret of your own'
    if len(value) < min_length:
        return 'has %d characters, fewer than the %d required: set a longer one' % (len(value), min_length)
    if max_length and len(value) > max_length:
        return 'has %d characters, more than the %d this setting can hold: set a shorter one' % (len(value), max_length)
    if ascii_only and any(not ('!' <= c <= '~') for c in value):
        return 'holds whitespace, a control or a non-ASCII character: use printable ASCII only'
    bad = sorted(set(c for c in value if c in forbidden))
    if bad:
        return 'holds %s, which its config file cannot hold: leave out %s' % (
            ', '.join(repr(c) for c in bad), ' '.join(forbidden))
    return None


def secret_errors(secrets, min_length=12, max_length=0, forbidden='', ascii_only=False):
    if not isinstance(secrets, dict):
        raise AnsibleFilterError('secret_errors expects a mapping of variable name to value, got %s'
                                 % type(secrets).__name__)
    errors = []
    for name, value in secrets.items():
        problem = _problem(value, int(min_length), int(max_length), forbidden, bool(ascii_only))
        if problem:
            errors.append('%s %s.' % (name, problem))
    return errors


class FilterModule(object):
    def filters(self):
        return {'secret_errors': secret_errors}
