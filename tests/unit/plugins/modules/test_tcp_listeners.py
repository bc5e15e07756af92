# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""tcp_listeners reads /proc: here a /proc laid out in a temporary directory, and the real one."""

from __future__ import annotations

import os
import socket

from ansible_collections.pgha.cluster.plugins.modules import tcp_listeners

HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
TCP = HEADER + (
    # 0.0.0.0:5432 LISTEN, inode 111
    '   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 111 1 0 100 0 0 10 0\n'
    # 127.0.0.1:2379 LISTEN, inode 222
    '   1: 0100007F:094B 00000000:0000 0A 00000000:00000000 00:00000000 00000000   107        0 222 1 0 100 0 0 10 0\n'
    # 172.28.0.11:5432 -> 172.28.0.21:40000 ESTABLISHED: not a listener
    '   2: 0B001CAC:1538 15001CAC:9C40 01 00000000:00000000 00:00000000 00000000   106        0 333 1 0 100 0 0 10 0\n'
)
TCP6 = HEADER + (
    # [::1]:8008 LISTEN, inode 444 (held by nobody we can read)
    '   0: 00000000000000000000000001000000:1F48 00000000000000000000000000000000:0000 0A '
    '00000000:00000000 00:00000000 00000000     0        0 444 1 0 100 0 0 10 0\n'
)


def test_parse_proc_net_keeps_listeners_only():
    assert tcp_listeners.parse_proc_net(TCP) == [('111', '0.0.0.0', 5432, 106), ('222', '127.0.0.1', 2379, 107)]
    assert tcp_listeners.parse_proc_net(TCP6) == [('444', '::1', 8008, 0)]


def test_unit_of_takes_the_innermost_unit():
    assert tcp_listeners.unit_of('0::/system.slice/patroni.service\n') == 'patroni.service'
    # a lab container with the host's cgroup namespace
    assert tcp_listeners.unit_of('0::/system.slice/docker-ab12.scope/system.slice/etcd.service\n') == 'etcd.service'
    assert tcp_listeners.unit_of('0::/\n') is None


def _fake_proc(root, processes):
    (root / 'net').mkdir()
    (root / 'net' / 'tcp').write_text(TCP)
    (root / 'net' / 'tcp6').write_text(TCP6)
    for pid, (comm, cgroup, inodes) in processes.items():
        fd = root / str(pid) / 'fd'
        fd.mkdir(parents=True)
        (root / str(pid) / 'comm').write_text(comm + '\n')
        (root / str(pid) / 'cgroup').write_text(cgroup)
        for n, inode in enumerate(inodes):
            os.symlink('socket:[%s]' % inode, str(fd / str(n)))
        os.symlink('/dev/null', str(fd / 'null'))
    (root / 'self').mkdir()
    return str(root)


def test_listeners_name_the_process_and_unit(tmp_path, monkeypatch):
    monkeypatch.setattr(tcp_listeners, '_user', {0: 'root', 106: 'postgres', 107: 'etcd'}.get)
    proc = _fake_proc(tmp_path, {
        812: ('postgres', '0::/system.slice/postgresql@17-main.service\n', ['111']),
        900: ('etcd', '0::/system.slice/etcd.service\n', ['222', '999']),
    })
    assert tcp_listeners.listeners(proc=proc) == [
        {'port': 2379, 'address': '127.0.0.1', 'uid': 107, 'user': 'etcd', 'pid': 900, 'process': 'etcd',
         'unit': 'etcd.service'},
        {'port': 5432, 'address': '0.0.0.0', 'uid': 106, 'user': 'postgres', 'pid': 812, 'process': 'postgres',
         'unit': 'postgresql@17-main.service'},
        {'port': 8008, 'address': '::1', 'uid': 0, 'user': 'root', 'pid': None, 'process': None, 'unit': None},
    ]
    assert [r['port'] for r in tcp_listeners.listeners([5432], proc=proc)] == [5432]
    assert tcp_listeners.listeners([6000], proc=proc) == []


def test_the_real_proc_shows_a_socket_this_process_listens_on():
    with socket.socket() as server:
        server.bind(('127.0.0.1', 0))
        server.listen(1)
        port = server.getsockname()[1]
        found = tcp_listeners.listeners([port])
    assert len(found) == 1
    assert found[0]['pid'] == os.getpid() and found[0]['address'] == '127.0.0.1'
    assert found[0]['uid'] == os.getuid()
