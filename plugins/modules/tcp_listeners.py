#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: tcp_listeners
short_description: List the TCP ports a Linux host listens on, with the process and systemd unit of each
version_added: 0.2.0
description:
  - Reads the listening sockets from C(/proc/net/tcp) and C(/proc/net/tcp6) with the user owning each, finds the
    process holding each one through C(/proc/<pid>/fd), and the systemd unit that process runs in through
    C(/proc/<pid>/cgroup).
  - The roles' preflight uses it to refuse a port that something they do not manage already holds, before any
    host changes.
  - Never reports C(changed).
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
attributes:
  check_mode:
    details: Read-only; it reads C(/proc) in check mode too.
options:
  ports:
    description:
      - Only these ports; all listening ports when empty.
    type: list
    elements: int
    default: []
notes:
  - Run it as root (C(become)) to see the processes of other users. Root without C(CAP_SYS_PTRACE) (a container's
    default) cannot read other users' C(/proc/<pid>/fd); such a socket is listed with RV(listeners[].pid) V(null)
    and its owning user only.
'''

EXAMPLES = r'''
- name: Read what holds the ports
  pgha.cluster.tcp_listeners:
    ports: [5432, 8008]
  register: listeners

- name: Refuse a PostgreSQL port held by something else than Patroni
  ansible.builtin.assert:
    that: listeners.listeners | rejectattr('unit', 'equalto', 'patroni.service') | list | length == 0
'''

RETURN = r'''
listeners:
  description: One element per listening socket, sorted by port.
  returned: always
  type: list
  elements: dict
  contains:
    port:
      description: The TCP port.
      type: int
    address:
      description: The address it listens on (V(0.0.0.0) or V(::) for every address).
      type: str
    uid:
      description: The user id owning the socket.
      type: int
    user:
      description: That user's name, V(null) when it has none.
      type: str
    pid:
      description: The process holding the socket, V(null) when it could not be read.
      type: int
    process:
      description: The process's name (C(/proc/<pid>/comm)), V(null) when unknown.
      type: str
    unit:
      description: The systemd unit (C(.service) or C(.scope)) the process runs in, V(null) when it runs in none.
      type: str
  sample:
    - {port: 5432, address: 0.0.0.0, uid: 101, user: postgres, pid: 812, process: postgres, unit: patroni.service}
'''

import os
import pwd
import re
import socket
import struct

from ansible.module_utils.basic import AnsibleModule

_LISTEN = '0A'
_UNIT = re.compile(r'[^/]+\.(?:service|scope)$')


def _address(hex_address):
    raw = bytes.fromhex(hex_address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, struct.pack('<I', struct.unpack('>I', raw)[0]))
    # IPv6: four 32-bit words, each in host (little-endian) order.
    words = struct.unpack('>4I', raw)
    return socket.inet_ntop(socket.AF_INET6, struct.pack('<4I', *words))


def parse_proc_net(text):
    """(inode, address, port, uid) of each listening socket in a /proc/net/tcp{,6} table."""
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != _LISTEN:
            continue
        hex_address, hex_port = fields[1].split(':')
        sockets.append((fields[9], _address(hex_address), int(hex_port, 16), int(fields[7])))
    return sockets


def unit_of(cgroup_text):
    """The innermost systemd .service or .scope in a /proc/<pid>/cgroup file, or None."""
    for line in cgroup_text.splitlines():
        path = line.split(':', 2)[-1]
        units = [part for part in path.split('/') if _UNIT.match(part)]
        if units:
            return units[-1]
    return None


def _user(uid):
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return None


def _read(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def socket_owners(proc='/proc'):
    """inode -> pid for every socket some process holds."""
    owners = {}
    for pid in os.listdir(proc):
        if not pid.isdigit():
            continue
        fd_dir = os.path.join(proc, pid, 'fd')
        try:
            fds = os.listdir(fd_dir)
        except (IOError, OSError):
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except (IOError, OSError):
                continue
            if target.startswith('socket:['):
                owners.setdefault(target[8:-1], int(pid))
    return owners


def listeners(ports=(), proc='/proc'):
    sockets = []
    for table in ('tcp', 'tcp6'):
        text = _read(os.path.join(proc, 'net', table))
        if text:
            sockets.extend(parse_proc_net(text))
    wanted = set(ports)
    sockets = [sock for sock in sockets if not wanted or sock[2] in wanted]
    owners = socket_owners(proc) if sockets else {}
    result = []
    for inode, address, port, uid in sockets:
        pid = owners.get(inode)
        process = unit = None
        if pid is not None:
            process = (_read(os.path.join(proc, str(pid), 'comm')) or '').strip() or None
            unit = unit_of(_read(os.path.join(proc, str(pid), 'cgroup')) or '')
        result.append({'port': port, 'address': address, 'uid': uid, 'user': _user(uid), 'pid': pid,
                       'process': process, 'unit': unit})
    return sorted(result, key=lambda r: (r['port'], r['address']))


def main():
    module = AnsibleModule(
        argument_spec=dict(ports=dict(type='list', elements='int', default=[])),
        supports_check_mode=True,
    )
    module.exit_json(changed=False, listeners=listeners(module.params['ports']))


if __name__ == '__main__':
    main()
