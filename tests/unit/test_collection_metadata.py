# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The collection's published metadata against what is tested.

- ``meta/runtime.yml`` ``requires_ansible`` starts at the lowest ansible-core line of the
  test matrix (tests/matrix/<line>.txt) and admits the ansible-core running these tests;
- every other collection the roles, playbooks and plugins name is a ``galaxy.yml``
  dependency, and the copy installed beside this ansible-core (the ``ansible`` package's
  bundled one) lies inside the declared range.

Run in each matrix virtualenv (``make matrix``), so each line checks its own bundled copies.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MATRIX = os.path.join(ROOT, 'tests', 'matrix')
# Where a collection is named: task files, templates' callers, playbooks and plugins.
SOURCES = ('roles', 'playbooks', 'plugins')
FQCN = re.compile(r'\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*\b')
SELF_AND_BUILTIN = {'pgha.cluster', 'ansible.builtin', 'ansible.legacy'}


def load_yaml(*parts):
    with open(os.path.join(ROOT, *parts)) as handle:
        return yaml.safe_load(handle)


def matrix_lines():
    lines = []
    for name in os.listdir(MATRIX):
        match = re.fullmatch(r'(\d+)\.(\d+)\.txt', name)
        if match:
            lines.append((int(match.group(1)), int(match.group(2))))
    return sorted(lines)


def requires_ansible():
    return SpecifierSet(load_yaml('meta', 'runtime.yml')['requires_ansible'])


def installed_collections():
    """``{'ns.name': version}`` of the collections importable beside ansible-core."""
    spec = importlib.util.find_spec('ansible_collections')
    found = {}
    for base in spec.submodule_search_locations if spec else []:
        for namespace in sorted(os.listdir(base)):
            ns_dir = os.path.join(base, namespace)
            if not os.path.isdir(ns_dir):
                continue
            for name in sorted(os.listdir(ns_dir)):
                manifest = os.path.join(ns_dir, name, 'MANIFEST.json')
                if os.path.isfile(manifest):
                    with open(manifest) as handle:
                        found['%s.%s' % (namespace, name)] = json.load(handle)['collection_info']['version']
    return found


def collections_named():
    """Collections named as ``ns.collection.item`` in the collection's own content, by file."""
    named = {}
    for top in SOURCES:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d != '__pycache__']
            for filename in filenames:
                if not filename.endswith(('.yml', '.yaml', '.py', '.j2')):
                    continue
                path = os.path.join(dirpath, filename)
                with open(path) as handle:
                    for match in FQCN.finditer(handle.read()):
                        named.setdefault('%s.%s' % match.groups(), set()).add(os.path.relpath(path, ROOT))
    return named


def test_matrix_lines_are_consecutive_and_pin_their_own_ansible_core():
    lines = matrix_lines()
    assert len(lines) >= 2, lines
    for (major, minor), (next_major, next_minor) in zip(lines, lines[1:]):
        assert (next_major, next_minor) == (major, minor + 1), 'tests/matrix skips a line after %d.%d' % (major, minor)
    for major, minor in lines:
        with open(os.path.join(MATRIX, '%d.%d.txt' % (major, minor))) as handle:
            pins = re.findall(r'^ansible-core==(\S+)$', handle.read(), re.M)
        assert len(pins) == 1 and Version(pins[0]).release[:2] == (major, minor), (major, minor, pins)


def test_requires_ansible_starts_at_the_lowest_tested_line():
    lowest = '%d.%d.0' % matrix_lines()[0]
    specifier = requires_ansible()
    lower_bounds = [s.version for s in specifier if s.operator == '>=']
    assert lower_bounds == [lowest], (
        'meta/runtime.yml requires_ansible is %r; the lowest ansible-core line tested (tests/matrix) '
        'is %s, so it must read ">=%s"' % (str(specifier), lowest, lowest))
    assert not [s for s in specifier if s.operator != '>='], 'requires_ansible names no upper bound: %s' % specifier


def test_running_ansible_core_is_a_tested_line_admitted_by_requires_ansible():
    version = Version(ANSIBLE_CORE_VERSION)
    assert version.release[:2] in matrix_lines(), 'ansible-core %s is not a line in tests/matrix' % version
    assert requires_ansible().contains(version, prereleases=True), (
        'ansible-core %s runs these tests but meta/runtime.yml requires_ansible %s refuses it'
        % (version, requires_ansible()))


def test_every_collection_used_is_a_declared_dependency():
    installed = installed_collections()
    declared = set(load_yaml('galaxy.yml')['dependencies'])
    # Only names of real collections count (a dotted file name such as main.yml.j2 is not one).
    used = {name: files for name, files in collections_named().items()
            if name in installed and name not in SELF_AND_BUILTIN}
    missing = {name: sorted(files) for name, files in used.items() if name not in declared}
    assert not missing, 'used but not in galaxy.yml dependencies: %s' % missing
    assert declared <= set(used), 'declared but never used: %s' % sorted(declared - set(used))


@pytest.mark.parametrize('name', sorted(load_yaml('galaxy.yml')['dependencies']))
def test_bundled_dependency_lies_in_the_declared_range(name):
    installed = installed_collections()
    assert name in installed, '%s (a galaxy.yml dependency) is not installed beside ansible-core %s' % (
        name, ANSIBLE_CORE_VERSION)
    wanted = SpecifierSet(load_yaml('galaxy.yml')['dependencies'][name])
    assert wanted.contains(Version(installed[name])), (
        '%s %s is tested here (ansible-core %s) but galaxy.yml declares %s'
        % (name, installed[name], ANSIBLE_CORE_VERSION, wanted))


def test_galaxy_metadata_for_a_release():
    galaxy = load_yaml('galaxy.yml')
    assert Version(galaxy['version']) >= Version('1.0.0')
    home = galaxy['repository']
    assert galaxy['issues'].startswith(home) and galaxy['documentation'].startswith(home)
    # Execution-environment tooling reads a root requirements.txt as runtime dependencies:
    # the developers' tool chain lives in requirements-dev.txt, kept out of the tarball.
    assert not os.path.exists(os.path.join(ROOT, 'requirements.txt'))
    for dev_path in ('requirements-dev.txt', 'requirements-tools.txt', 'tests', 'molecule', 'lab', '.venv', '.venv-*', 'Makefile'):
        assert dev_path in galaxy['build_ignore'], dev_path


def test_built_tarball_holds_the_collection_and_no_developer_files(tmp_path):
    galaxy = os.path.join(os.path.dirname(sys.executable), 'ansible-galaxy')
    subprocess.run([galaxy, 'collection', 'build', '--output-path', str(tmp_path), ROOT],
                   check=True, capture_output=True, text=True)
    [tarball] = tmp_path.glob('pgha-cluster-*.tar.gz')
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
    tops = {name.split('/')[0] for name in names}
    assert {'MANIFEST.json', 'FILES.json', 'README.md', 'meta', 'playbooks', 'plugins', 'roles'} <= tops
    assert not tops & {'tests', 'molecule', 'lab', 'pgha_lab', 'results', 'Makefile', 'requirements-dev.txt',
                       'requirements.txt', 'ansible.cfg', '.venv'}, sorted(tops)
    assert 'playbooks/site.yml' in names and 'meta/runtime.yml' in names
    assert not [n for n in names if '__pycache__' in n or n.startswith('.venv')]
