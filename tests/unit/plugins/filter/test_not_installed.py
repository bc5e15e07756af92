# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.not_installed filter: which of a role's packages a host lacks."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.not_installed import FilterModule

NOT_INSTALLED = FilterModule().filters()['not_installed']


@pytest.mark.parametrize('packages, installed, missing', [
    (['haproxy'], ['haproxy', 'ufw'], []),
    (['pgbackrest', 'ufw'], ['ufw'], ['pgbackrest']),
    (['etcd-server', 'etcd-client'], [], ['etcd-server', 'etcd-client']),
    ([], ['ufw'], []),
    # Unknown (the role used without the common role): every package, so the install runs.
    (['keepalived'], None, ['keepalived']),
    # A version pin is never taken for the installed package.
    (['haproxy=3.0*'], ['haproxy'], ['haproxy=3.0*']),
])
def test_the_packages_not_installed(packages, installed, missing):
    assert NOT_INSTALLED(packages, installed) == missing


@pytest.mark.parametrize('packages, installed', [('haproxy', ['haproxy']), (['haproxy'], 'haproxy ufw')])
def test_refuses_what_is_not_a_list(packages, installed):
    with pytest.raises(AnsibleFilterError, match='not_installed expects'):
        NOT_INSTALLED(packages, installed)
