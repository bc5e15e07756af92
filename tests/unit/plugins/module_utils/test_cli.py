# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

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
