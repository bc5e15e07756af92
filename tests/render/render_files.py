# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Readers for the rendered files (render.yml's `files`)."""

from __future__ import annotations

import re

import yaml


def environment(text: str) -> dict:
    """An environment file of KEY="value" lines (etcd's)."""
    env = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            m = re.fullmatch(r'([A-Z_]+)="([^"]*)"', line)
            assert m, f"not a KEY=\"value\" line: {line!r}"
            env[m[1]] = m[2]
    return env


def haproxy_sections(text: str) -> dict[str, list[str]]:
    """HAProxy sections: header line -> its (stripped) lines."""
    sections, current = {}, None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line[0].isspace():
            current = line.strip()
            sections[current] = []
        else:
            sections[current].append(" ".join(line.split()))
    return sections


def patroni_config(text: str) -> dict:
    config = yaml.safe_load(text)
    assert isinstance(config, dict), text
    return config


def exec_start(unit: str) -> list[str]:
    """The ExecStart= lines of a systemd unit."""
    return [line for line in unit.splitlines() if line.startswith("ExecStart=")]
