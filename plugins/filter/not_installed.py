# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
name: not_installed
short_description: Which of a role's packages a host does not have yet
version_added: 1.1.0
author: pgha maintainers (@pgha)
description:
  - The common role reads once per run which packages each host has installed (C(common_installed_packages)).
    A role's install task runs only for a host that lacks one of its packages, so a re-run of site.yml
    does not pay the package manager's start-up (python-apt, dnf) for every role on every host.
  - Returns the packages of the input list not in O(installed). When O(installed) is unknown (C(none), when
    the role is used without the common role or the package database could not be read), every package
    is returned, so the install task runs as it would without this filter.
  - A name that is not a bare package name (C(haproxy=3.0*), a path to an RPM) is never found installed.
options:
  _input:
    description: The packages a role installs.
    type: list
    elements: str
    required: true
  installed:
    description: The names of the packages installed on the host, or C(none) when unknown.
    type: raw
    required: true
'''

EXAMPLES = r'''
- name: Install HAProxy
  ansible.builtin.package:
    name: "{{ haproxy_packages }}"
    state: present
  when: haproxy_packages | pgha.cluster.not_installed(common_installed_packages | default(none)) | length > 0
'''

RETURN = r'''
_value:
  description: The packages of the input not installed, in the order given; all of them when O(installed) is C(none).
  type: list
  elements: str
'''

from ansible.errors import AnsibleFilterError


def _not_installed(packages, installed):
    if not isinstance(packages, (list, tuple)):
        raise AnsibleFilterError('not_installed expects a list of package names, got %s' % type(packages).__name__)
    if installed is None:
        return list(packages)
    if not isinstance(installed, (list, tuple)):
        raise AnsibleFilterError('not_installed expects installed to be a list of package names or none, got %s'
                                 % type(installed).__name__)
    have = set(installed)
    return [name for name in packages if name not in have]


class FilterModule(object):
    def filters(self):
        return {'not_installed': _not_installed}
