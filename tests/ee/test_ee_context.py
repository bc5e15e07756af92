# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""`ansible-builder create` on an EE definition holding the built pgha.cluster tarball.

Offline: the collection is built from this checkout, its galaxy.yml dependencies are packed
from the `ansible` package's bundled copies (an installed collection directory with its
MANIFEST.json and FILES.json is exactly a collection artifact's content), and the build
context is checked without building the image (that needs the base image from a registry).
`ansible-builder introspect` reads the collection-level metadata from the installed tarball,
as the image build does, so meta/execution-environment.yml is proven to reach the EE.

Environment: PGHA_BUNDLED_COLLECTIONS, the ansible_collections directory of an `ansible`
package (make ee-context passes the dev venv's); PGHA_EE_WORK, where the context is left.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from collection_artifacts import pack_dependencies  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / 'galaxy.yml').read_text())
TARBALL = 'pgha-cluster-%s.tar.gz' % GALAXY['version']


def run(*argv, cwd=None):
    result = subprocess.run([str(a) for a in argv], cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, '%s\nrc=%s\n%s\n%s' % (argv, result.returncode, result.stdout, result.stderr)
    return result.stdout


@pytest.fixture(scope='module')
def work():
    bundled = Path(os.environ['PGHA_BUNDLED_COLLECTIONS'])
    work = Path(os.environ['PGHA_EE_WORK'])
    shutil.rmtree(work, ignore_errors=True)
    collections = work / 'collections'
    collections.mkdir(parents=True)
    run(BIN / 'ansible-galaxy', 'collection', 'build', '--output-path', collections, ROOT)
    tarballs = [collections / TARBALL] + pack_dependencies(GALAXY, bundled, collections)
    (work / 'requirements.yml').write_text(yaml.safe_dump({'collections': [
        {'name': 'collections/%s' % t.name, 'type': 'file'} for t in tarballs]}, sort_keys=False))
    shutil.copy(ROOT / 'tests' / 'ee' / 'execution-environment.yml', work / 'execution-environment.yml')
    run(BIN / 'ansible-builder', 'create', '-f', work / 'execution-environment.yml', '-c', work / 'context',
        '--output-filename', 'Containerfile')
    print('EE build context: %s/context (ansible-builder build -f execution-environment.yml there)' % work)
    return work


def test_containerfile_names_base_image_core_and_collections(work):
    containerfile = (work / 'context' / 'Containerfile').read_text()
    assert 'quay.io/centos/centos:stream10' in containerfile
    assert 'ansible-core==2.21.5' in containerfile
    assert 'ansible-galaxy collection install' in containerfile
    assert 'requirements.yml' in containerfile
    # The introspection step that turns meta/execution-environment.yml into pip/bindep installs.
    assert 'introspect' in containerfile


def test_context_carries_the_tarballs_named_by_its_requirements(work):
    build = work / 'context' / '_build'
    requirements = yaml.safe_load((build / 'requirements.yml').read_text())['collections']
    names = sorted(Path(r['name']).name for r in requirements)
    assert TARBALL in names
    assert len(names) >= 1 + len(GALAXY['dependencies'])
    for name in names:
        assert (build / 'collections' / name).is_file(), name


def test_installed_tarball_declares_its_python_and_system_needs(work, tmp_path):
    collections = work / 'collections'
    run(BIN / 'ansible-galaxy', 'collection', 'install', '--offline', '-p', tmp_path,
        *sorted(str(p) for p in collections.glob('*.tar.gz')))
    installed = tmp_path / 'ansible_collections'
    for name in ['pgha.cluster', *GALAXY['dependencies']]:
        assert (installed / name.replace('.', '/') / 'MANIFEST.json').is_file(), name
    found = yaml.safe_load(run(BIN / 'ansible-builder', 'introspect', tmp_path))
    # ansible-builder drops what the EE has anyway (PyYAML comes with ansible-core).
    assert 'netaddr>=0.10.1  # from collection pgha.cluster' in found['python'], found['python']
    assert 'openssh-client [platform:dpkg]  # from collection pgha.cluster' in found['system'], found['system']
    assert 'openssh-clients [platform:rpm]  # from collection pgha.cluster' in found['system'], found['system']
