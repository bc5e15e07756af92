# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.port_conflicts filter over tcp_listeners' result."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.port_conflicts import FilterModule

FILTER = FilterModule().filters()['port_conflicts']
LISTENERS = [
    {'port': 2379, 'address': '0.0.0.0', 'pid': 900, 'process': 'etcd', 'unit': 'etcd.service'},
    {'port': 5432, 'address': '0.0.0.0', 'pid': 812, 'process': 'postgres', 'unit': 'postgresql@17-main.service'},
    {'port': 5432, 'address': '::', 'pid': 812, 'process': 'postgres', 'unit': 'postgresql@17-main.service'},
    {'port': 8008, 'address': '0.0.0.0', 'uid': 0, 'user': 'root', 'pid': None, 'process': None, 'unit': None},
    {'port': 2380, 'address': '0.0.0.0', 'uid': 107, 'user': 'etcd', 'pid': None, 'process': None, 'unit': None},
]


def test_the_role_s_own_unit_and_free_ports_pass():
    assert FILTER(LISTENERS, {'etcd_client_port': 2379, 'etcd_peer_port': '2380'}, 'etcd.service', 'etcd') == []


def test_a_port_held_by_another_unit_is_named_with_its_holder():
    errors = FILTER(LISTENERS, {'patroni_postgresql_port': '5432', 'patroni_restapi_port': 8008}, 'patroni.service')
    assert len(errors) == 2
    assert errors[0].startswith('Port 5432 (patroni_postgresql_port) is held by postgres (pid 812, postgresql@17-main.service)')
    assert 'set patroni_postgresql_port to a free port' in errors[0]
    assert 'a process of user root that could not be read' in errors[1] and 'patroni_restapi_port' in errors[1]


def test_an_unreadable_socket_of_the_role_s_user_is_the_role_s():
    assert FILTER(LISTENERS, {'etcd_peer_port': 2380}, 'etcd.service', 'etcd') == []
    assert len(FILTER(LISTENERS, {'etcd_peer_port': 2380}, 'etcd.service')) == 1
    assert len(FILTER(LISTENERS, {'patroni_restapi_port': 8008}, 'patroni.service', 'postgres')) == 1


def test_the_etcd_port_held_by_patroni_is_refused_too():
    assert len(FILTER(LISTENERS, {'etcd_client_port': 2379}, 'patroni.service')) == 1


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleFilterError):
        FILTER({'port': 1}, {}, 'x.service')
