# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Collection artifacts (tarballs) from the copies the `ansible` package bundles.

Galaxy is not reachable here, so pgha.cluster's galaxy.yml dependencies are installed from
tarballs made of the bundled copies. An installed collection carries its MANIFEST.json, but
its FILES.json lists files the `ansible` package left out (CI configs, tests), which
`ansible-galaxy collection install` would fail to extract: FILES.json is written again for
the files present, and MANIFEST.json's checksum of it updated.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

SKIP = {'MANIFEST.json', 'FILES.json', '__pycache__'}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    archive.addfile(info, io.BytesIO(data))


def pack_installed(source: Path, dest_dir: Path) -> Path:
    """Pack the installed collection at ``source`` (.../ansible_collections/<ns>/<name>) into
    ``dest_dir/<ns>-<name>-<version>.tar.gz``; return the tarball's path."""
    manifest = json.loads((source / 'MANIFEST.json').read_text())
    info = manifest['collection_info']
    entries = [{'name': '.', 'ftype': 'dir', 'chksum_type': None, 'chksum_sha256': None, 'format': 1}]
    members = []
    for dirpath, dirnames, filenames in os.walk(source):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP)
        rel_dir = os.path.relpath(dirpath, source)
        if rel_dir != '.':
            entries.append({'name': rel_dir, 'ftype': 'dir', 'chksum_type': None, 'chksum_sha256': None, 'format': 1})
            members.append((rel_dir, None))
        for filename in sorted(filenames):
            if rel_dir == '.' and filename in SKIP or filename.endswith('.pyc'):
                continue
            path = Path(dirpath) / filename
            rel = os.path.normpath(os.path.join(rel_dir, filename))
            entries.append({'name': rel, 'ftype': 'file', 'chksum_type': 'sha256',
                            'chksum_sha256': _sha256(path.read_bytes()), 'format': 1})
            members.append((rel, path))
    files_json = json.dumps({'files': entries, 'format': 1}, indent=4).encode()
    manifest['file_manifest_file']['chksum_sha256'] = _sha256(files_json)
    tarball = Path(dest_dir) / ('%s-%s-%s.tar.gz' % (info['namespace'], info['name'], info['version']))
    with tarfile.open(tarball, 'w:gz') as archive:
        _add_bytes(archive, 'MANIFEST.json', json.dumps(manifest, indent=4).encode())
        _add_bytes(archive, 'FILES.json', files_json)
        for rel, path in members:
            if path is None:
                dir_info = tarfile.TarInfo(rel)
                dir_info.type = tarfile.DIRTYPE
                dir_info.mode = 0o755
                archive.addfile(dir_info)
            else:
                archive.add(path, rel, recursive=False)
    return tarball


def pack_dependencies(galaxy: dict, bundled: Path, dest_dir: Path) -> list[Path]:
    """Tarballs of every galaxy.yml dependency from the ``bundled`` ansible_collections tree,
    and of what they depend on in turn (community.general 13 needs
    community.library_inventory_filtering_v1, for one)."""
    wanted, done, tarballs = list(galaxy['dependencies']), set(), []
    while wanted:
        name = wanted.pop(0)
        if name in done:
            continue
        done.add(name)
        source = Path(bundled) / name.split('.')[0] / name.split('.')[1]
        tarballs.append(pack_installed(source, dest_dir))
        manifest = json.loads((source / 'MANIFEST.json').read_text())
        wanted += list(manifest['collection_info'].get('dependencies') or {})
    return tarballs
