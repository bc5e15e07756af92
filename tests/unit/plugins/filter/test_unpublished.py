# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.unpublished filter: which hosts lack the facts another role publishes."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.unpublished import FilterModule

UNPUBLISHED = FilterModule().filters()['unpublished']

HOSTVARS = {
    'pg1': {'patroni_postgresql_port': 5432, 'common_node_address': '172.28.0.11'},
    'pg2': {'patroni_postgresql_port': 5432},
    'pg3': {},
}


@pytest.mark.parametrize('hosts, names, missing', [
    (['pg1'], ['patroni_postgresql_port', 'common_node_address'], []),
    ([], ['patroni_postgresql_port'], []),
    (['pg1', 'pg2'], [], []),
    (['pg2'], ['patroni_postgresql_port', 'common_node_address'], ['pg2: common_node_address']),
    (['pg3', 'pg1', 'pg2'], ['common_node_address', 'patroni_postgresql_port'],
     ['pg3: common_node_address', 'pg3: patroni_postgresql_port', 'pg2: common_node_address']),
    # a host unknown to hostvars has published nothing
    (['pg9'], ['etcd_client_port'], ['pg9: etcd_client_port']),
])
def test_unpublished(hosts, names, missing):
    assert UNPUBLISHED(hosts, HOSTVARS, names) == missing


@pytest.mark.parametrize('hosts, names', [('pg1', ['x']), (['pg1'], 'x'), (None, ['x'])])
def test_unpublished_refuses_what_is_not_a_list(hosts, names):
    with pytest.raises(AnsibleFilterError, match='unpublished expects a list of hosts and a list of fact names'):
        UNPUBLISHED(hosts, HOSTVARS, names)
