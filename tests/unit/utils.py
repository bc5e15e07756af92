# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers shared by the unit tests (imported as ansible_collections.pgha.cluster.tests.unit.utils)."""

from __future__ import annotations

import json
import os

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fixtures')

SUBCOMMANDS = ('list', 'history', 'show-config', 'edit-config', 'switchover', 'version',
               'endpoint', 'member', 'alarm', 'info')


def load_record(name):
    """A recorded call: ``{'argv', 'rc', 'stdout', 'stderr'}`` from tests/unit/fixtures/<name>.json."""
    with open(os.path.join(FIXTURES, name + '.json')) as handle:
        return json.load(handle)


def subcommand(argv):
    """The part of an argv from the subcommand on, without binary, global options and the
    positional scope name (the recordings name the cluster through -c instead)."""
    for index, word in enumerate(argv):
        if word in SUBCOMMANDS:
            return [w for w in argv[index:] if w != 'pg-cluster']
    raise AssertionError('no subcommand in %r' % (argv,))


class Call(object):
    """One expected ``run_command`` call and its answer."""

    def __init__(self, argv, record=None, rc=None, stdout=None, stderr='', data=None, same_subcommand=True):
        self.argv = list(argv)
        self.data = data
        if record is not None:
            recorded = load_record(record)
            if same_subcommand:
                # The fixture must have been recorded with the subcommand the test expects.
                assert subcommand(argv) == subcommand(recorded['argv']), (record, recorded['argv'])
            self.answer = (recorded['rc'], recorded['stdout'], recorded['stderr'])
        else:
            self.answer = (rc, stdout, stderr)


class RunCommand(object):
    """Replaces ``AnsibleModule.run_command``: calls must come in the expected order and shape."""

    def __init__(self):
        self.expected = []
        self.seen = []

    def expect(self, *calls):
        self.expected.extend(calls)
        return self

    def __call__(self, args, **kwargs):
        assert isinstance(args, list), 'argv must be a list, never a shell string: %r' % (args,)
        assert not kwargs.get('use_unsafe_shell'), 'use_unsafe_shell must not be used'
        assert kwargs.get('environ_update', {}).get('LC_ALL') == 'C', 'the locale must be pinned to C'
        self.seen.append(dict(argv=list(args), data=kwargs.get('data'), environ_update=kwargs.get('environ_update')))
        assert self.expected, 'unexpected call %r' % (args,)
        call = self.expected.pop(0)
        assert list(args) == call.argv, 'argv %r, expected %r' % (args, call.argv)
        if call.data is not None:
            assert kwargs.get('data') == call.data, 'stdin %r, expected %r' % (kwargs.get('data'), call.data)
        return call.answer

    def assert_done(self):
        assert not self.expected, 'expected calls not made: %r' % ([c.argv for c in self.expected],)


class FakeClock(object):
    """Stands in for ``time`` in the polling helper: sleeping only moves the clock."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


# -- argv the modules are expected to run ------------------------------------------

PATRONICTL = '/usr/bin/patronictl'
PATRONI_CONFIG = '/etc/patroni/config.yml'
PATRONI_ARGS = dict(config_file=PATRONI_CONFIG, patronictl_path=PATRONICTL, patronictl_timeout=0)


def patronictl(*words):
    """``/usr/bin/patronictl -c /etc/patroni/config.yml <words>``."""
    return [PATRONICTL, '-c', PATRONI_CONFIG] + list(words)


P_VERSION = patronictl('version')
P_LIST = patronictl('list', '-f', 'json')
P_HISTORY = patronictl('history', '-f', 'json')
P_SHOW = patronictl('show-config')
P_EDIT = patronictl('edit-config', '--apply', '-', '--force')


def p_switchover(leader, candidate):
    return patronictl('switchover', '--leader', leader, '--candidate', candidate, '--force')


ETCDCTL = '/usr/bin/etcdctl'
ETCD_ENDPOINTS = ['127.0.0.1:2379', '127.0.0.1:22379', '127.0.0.1:32379']
ETCD_ARGS = dict(endpoints=ETCD_ENDPOINTS, etcdctl_path=ETCDCTL)


def etcdctl(*words, **kwargs):
    """``/usr/bin/etcdctl --endpoints <the three> --dial-timeout 2s --command-timeout 5s <words>``."""
    endpoints = kwargs.get('endpoints', ETCD_ENDPOINTS)
    return [ETCDCTL, '--endpoints', ','.join(endpoints), '--dial-timeout', '2s', '--command-timeout', '5s'] + list(words)


E_VERSION = etcdctl('version')
E_HEALTH = etcdctl('endpoint', 'health', '-w', 'json')
E_STATUS = etcdctl('endpoint', 'status', '-w', 'json')
E_MEMBERS = etcdctl('member', 'list', '-w', 'json')
E_ALARMS = etcdctl('alarm', 'list', '-w', 'json')


def etcd_snapshot_calls(health, status, members, alarms, argv=etcdctl):
    """The four calls of one etcd snapshot, in the order the client makes them."""
    return [
        Call(argv('endpoint', 'health', '-w', 'json'), 'etcd-3.5.16/' + health),
        Call(argv('endpoint', 'status', '-w', 'json'), 'etcd-3.5.16/' + status),
        Call(argv('member', 'list', '-w', 'json'), 'etcd-3.5.16/' + members),
        Call(argv('alarm', 'list', '-w', 'json'), 'etcd-3.5.16/' + alarms),
    ]


PGBACKREST = '/usr/bin/pgbackrest'
PGBACKREST_ARGS = dict(stanza='pg-cluster', pgbackrest_path=PGBACKREST)


def pgbackrest(*words):
    """``/usr/bin/pgbackrest <words>``."""
    return [PGBACKREST] + list(words)


B_VERSION = pgbackrest('version')
B_INFO = pgbackrest('--output=json', 'info', '--stanza=pg-cluster')
