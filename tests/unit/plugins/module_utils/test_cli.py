# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json

import pytest

from ansible_collections.pgha.cluster.plugins.module_utils import _cli


def test_poll_stops_on_success(clock):
    answers = iter([(False, 'a'), (False, 'b'), (True, 'c')])
    assert _cli.poll(lambda: next(answers), timeout=60, delay=5) == (True, 'c', 3, 10.0)
    assert clock.sleeps == [5, 5]


def test_poll_never_sleeps_past_the_timeout(clock):
    assert _cli.poll(lambda: (False, 'x'), timeout=12, delay=5) == (False, 'x', 3, 10.0)
    assert clock.sleeps == [5, 5]


def test_poll_with_zero_timeout_checks_once(clock):
    assert _cli.poll(lambda: (False, 'x'), timeout=0, delay=5) == (False, 'x', 1, 0.0)
    assert clock.sleeps == []


def test_format_cmd_quotes():
    assert _cli.format_cmd(['patronictl', '-c', '/etc/a b.yml', 'list']) == "patronictl -c '/etc/a b.yml' list"


def test_subcommand_words():
    assert _cli.subcommand_words(['endpoint', 'health', '-w', 'json']) == 'endpoint health'
    assert _cli.subcommand_words(['list', 'pg-cluster', '-f', 'json']) == 'list pg-cluster'


def test_cli_error_carries_fail_json_keys():
    error = _cli.CliError('boom', cmd='x', rc=1, stdout='o', stderr='e')
    assert error.as_fail_kwargs() == dict(msg='boom', cmd='x', rc=1, stdout='o', stderr='e')


# params, options checked besides timeout, expected sentences
POLL_OPTIONS = [
    (dict(timeout=0, delay=1), (), []),
    (dict(timeout=300, delay=5), (), []),
    (dict(timeout=-1, delay=5), (), ['Option timeout must not be negative (got -1).']),
    (dict(timeout=10, delay=0), (), ['Option delay must be at least 1 second (got 0).']),
    (dict(timeout=-5, delay=-2), (), ['Option timeout must not be negative (got -5).',
                                      'Option delay must be at least 1 second (got -2).']),
    (dict(timeout=1, delay=1, members=-1, max_lag_bytes=None), ('members', 'max_lag_bytes'),
     ['Option members must not be negative (got -1).']),
    (dict(timeout=1, delay=1, members=0, max_lag_bytes=0), ('members', 'max_lag_bytes'), []),
]


@pytest.mark.parametrize('params, non_negative, errors', POLL_OPTIONS)
def test_poll_option_errors(params, non_negative, errors):
    assert _cli.poll_option_errors(params, non_negative) == errors


def test_poll_argument_spec():
    assert _cli.poll_argument_spec(timeout=120, delay=5) == dict(timeout=dict(type='int', default=120),
                                                                 delay=dict(type='int', default=5))


class FakeModule(object):
    def __init__(self, **params):
        self.params = params

    def exit_json(self, **kwargs):
        raise SystemExit(('exit', kwargs))

    def fail_json(self, **kwargs):
        raise SystemExit(('fail', kwargs))


def test_check_poll_options_fails_naming_every_option():
    with pytest.raises(SystemExit) as info:
        _cli.check_poll_options(FakeModule(timeout=-1, delay=0))
    assert info.value.code == ('fail', dict(msg='Option timeout must not be negative (got -1). '
                                                'Option delay must be at least 1 second (got 0).'))


def test_check_poll_options_passes_good_values():
    assert _cli.check_poll_options(FakeModule(timeout=0, delay=1)) is None


def test_finish_wait_exits_with_the_result_when_done():
    with pytest.raises(SystemExit) as info:
        _cli.finish_wait(FakeModule(), True, dict(changed=False), 'not reached', _cli.CliError('boom', cmd='x', rc=1))
    assert info.value.code == ('exit', dict(changed=False))


def test_finish_wait_fails_with_the_last_command_facts():
    error = _cli.CliError('boom', cmd='x', rc=1, stdout='o', stderr='e')
    with pytest.raises(SystemExit) as info:
        _cli.finish_wait(FakeModule(), False, dict(changed=False), 'not reached', error)
    assert info.value.code == ('fail', dict(msg='not reached', changed=False, cmd='x', rc=1, stdout='o', stderr='e'))
    with pytest.raises(SystemExit) as info:
        _cli.finish_wait(FakeModule(), False, dict(changed=False), 'not reached')
    assert info.value.code == ('fail', dict(msg='not reached', changed=False))


class ToolModule(FakeModule):
    """Just enough of AnsibleModule for a CliClient whose one call prints ``stdout``."""

    def __init__(self, stdout):
        super(ToolModule, self).__init__()
        self.stdout = stdout

    def get_bin_path(self, name, required=False):
        return '/usr/bin/' + name

    def run_command(self, argv, **kwargs):
        assert argv == ['/usr/bin/tool', 'list'] and kwargs['environ_update'] == {'LC_ALL': 'C'}
        return 0, self.stdout, ''


class Tool(_cli.CliClient):
    binary = 'tool'


def read_row(row):
    return row['a']


# stdout, key, rows or the message of the CliError
ROWS = [
    ('[{"a": 1}, {"a": 2}]', None, [1, 2]),
    ('[]', None, []),
    ('{"header": {}, "members": [{"a": 3}]}', 'members', [3]),
    ('{"header": {}}', 'members', []),  # etcdctl leaves an empty list out
    ('{"a": 1}', None, 'expected a list of objects'),
    ('[1, 2]', None, 'expected a list of objects'),
    ('[{"a": 1}]', 'members', 'expected {header, members}'),
    ('{"members": {"a": 1}}', 'members', 'expected {header, members}'),
    ('{"members": [[1]]}', 'members', 'expected {header, members}'),
    ('[{"b": 1}]', None, "a row could not be read ('a')"),
]


@pytest.mark.parametrize('stdout, key, expected', ROWS)
def test_run_json_rows(stdout, key, expected):
    client = Tool(ToolModule(stdout))
    if isinstance(expected, list):
        assert client.run_json_rows(['list'], read_row, 'a row', key=key) == expected
        return
    with pytest.raises(_cli.CliError) as info:
        client.run_json_rows(['list'], read_row, 'a row', key=key)
    assert info.value.msg == 'tool list printed JSON of an unexpected shape: %s.' % expected
    assert (info.value.cmd, info.value.rc, info.value.stdout) == ('/usr/bin/tool list', 0, json.dumps(json.loads(stdout)))
