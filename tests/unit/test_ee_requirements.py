# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The execution-environment metadata covers what the collection imports and uses.

Every third-party module imported anywhere under plugins/ (not the standard library, not
ansible-core, not a collection) must be a requirement in meta/ee-requirements.txt, under the
name of the distribution that provides it here; so must the libraries behind the
``ansible.utils`` filters the roles call. meta/execution-environment.yml must point
ansible-builder at that file and at bindep.txt, and both must ship in the built tarball.
"""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import sys

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOT_THIRD_PARTY = {'__future__', 'ansible', 'ansible_collections'}
# Filters of other collections that need a Python library on the controller.
FILTER_LIBRARIES = {
    re.compile(r'\bansible\.utils\.(ipaddr|ipv4|ipv6|ipv|ipwrap|ipmath|ipsubnet|in_network|in_any_network|'
               r'network_in_network|network_in_usable|nthhost|next_nth_usable|previous_nth_usable|'
               r'cidr_merge|hwaddr|macaddr|reduce_on_network|slaac|usable_range)\b'): 'netaddr',
}


def ee_requirements():
    with open(os.path.join(ROOT, 'meta', 'ee-requirements.txt')) as handle:
        lines = [line.split('#', 1)[0].strip() for line in handle]
    return {canonicalize_name(Requirement(line).name) for line in lines if line}


def imported_top_modules(path):
    with open(path) as handle:
        tree = ast.parse(handle.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split('.')[0]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module.split('.')[0]


def third_party_imports(tree='plugins'):
    """``{top-level module: [files importing it]}`` for every non-stdlib import under ``tree``."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, tree)):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        for filename in filenames:
            if filename.endswith('.py'):
                path = os.path.join(dirpath, filename)
                for name in imported_top_modules(path):
                    if name not in sys.stdlib_module_names and name not in NOT_THIRD_PARTY:
                        found.setdefault(name, []).append(os.path.relpath(path, ROOT))
    return found


def test_every_third_party_import_of_the_plugins_is_an_ee_requirement():
    distributions = importlib.metadata.packages_distributions()
    declared = ee_requirements()
    missing = {}
    for module, files in sorted(third_party_imports().items()):
        provided_by = {canonicalize_name(d) for d in distributions.get(module, [])}
        assert provided_by, ('%s (imported by %s) is not installed here, so its distribution is unknown: '
                             'install it and list it in meta/ee-requirements.txt' % (module, ', '.join(files)))
        if not provided_by & declared:
            missing[module] = (sorted(provided_by), files)
    assert not missing, 'imported by plugins/ but not in meta/ee-requirements.txt: %s' % missing


def test_libraries_of_the_filters_the_roles_use_are_ee_requirements():
    declared = ee_requirements()
    needed = {}
    for top in ('roles', 'playbooks'):
        for dirpath, _dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            for filename in filenames:
                path = os.path.join(dirpath, filename)
                with open(path, errors='replace') as handle:
                    text = handle.read()
                for pattern, library in FILTER_LIBRARIES.items():
                    if pattern.search(text):
                        needed.setdefault(library, []).append(os.path.relpath(path, ROOT))
    assert needed, 'the roles use no ansible.utils IP filter any more: drop netaddr from FILTER_LIBRARIES'
    missing = {lib: files for lib, files in needed.items() if canonicalize_name(lib) not in declared}
    assert not missing, 'filters used whose library is not in meta/ee-requirements.txt: %s' % missing


def test_ee_metadata_points_at_shipped_files():
    with open(os.path.join(ROOT, 'meta', 'execution-environment.yml')) as handle:
        meta = yaml.safe_load(handle)
    assert meta['dependencies'] == {'python': 'meta/ee-requirements.txt', 'system': 'bindep.txt'}
    with open(os.path.join(ROOT, 'galaxy.yml')) as handle:
        ignored = yaml.safe_load(handle)['build_ignore']
    for path in meta['dependencies'].values():
        assert os.path.isfile(os.path.join(ROOT, path)), path
        assert not [p for p in ignored if path == p or path.startswith(p.rstrip('/') + '/')], (
            '%s is in galaxy.yml build_ignore: ansible-builder would not find it in the tarball' % path)


@pytest.mark.parametrize('line', [
    'openssh-client [platform:dpkg]',
    'openssh-clients [platform:rpm]',
])
def test_bindep_names_the_ssh_client_per_platform(line):
    with open(os.path.join(ROOT, 'bindep.txt')) as handle:
        assert line in [entry.strip() for entry in handle]
