# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Patroni's DCS timing rule (module_utils/_dcs_timing.py) as a table: settings -> sentences."""

from __future__ import annotations

import pytest

from ansible_collections.pgha.cluster.plugins.module_utils._dcs_timing import (
    DCS_TIMING_DEFAULTS,
    DCS_TIMING_KEYS,
    DCS_TIMING_MINIMUMS,
    dcs_timing_errors,
)

SUM = ('%s=%d + 2 * %s=%d exceeds %s=%d: Patroni needs loop_wait + 2 * retry_timeout <= ttl '
       '(it would silently shrink loop_wait and retry_timeout). Lower %s or %s, or raise %s.')


def below(name, value, minimum):
    return ('%s=%d is below %d, the lowest value Patroni runs with (it would silently use %d): set %d or more.'
            % (name, value, minimum, minimum, minimum))


def not_whole(name, raw):
    return '%s=%r is not a whole number of seconds: give an integer.' % (name, raw)


def over(loop_wait, retry_timeout, ttl):
    return SUM % ('loop_wait', loop_wait, 'retry_timeout', retry_timeout, 'ttl', ttl,
                  'loop_wait', 'retry_timeout', 'ttl')


# id, settings, expected sentences (names default to the keys)
CASES = [
    # defaults for missing keys: Patroni's 30/10/10 meet the rule exactly
    ('empty', {}, []),
    ('none', None, []),
    ('defaults-written-out', {'ttl': 30, 'loop_wait': 10, 'retry_timeout': 10}, []),
    ('other-keys-ignored', {'maximum_lag_on_failover': 1048576, 'postgresql': {}}, []),
    ('lab-fast-profile', {'ttl': 20, 'loop_wait': 1, 'retry_timeout': 5}, []),
    # minimums
    ('ttl-at-minimum', {'ttl': 20, 'loop_wait': 2, 'retry_timeout': 9}, []),
    ('ttl-below-minimum', {'ttl': 19, 'loop_wait': 1, 'retry_timeout': 3}, [below('ttl', 19, 20)]),
    ('loop-wait-zero', {'loop_wait': 0}, [below('loop_wait', 0, 1)]),
    ('retry-timeout-below', {'retry_timeout': 2}, [below('retry_timeout', 2, 3)]),
    ('negative', {'loop_wait': -1}, [below('loop_wait', -1, 1)]),
    ('all-below', {'ttl': 5, 'loop_wait': 0, 'retry_timeout': 1},
     [below('ttl', 5, 20), below('loop_wait', 0, 1), below('retry_timeout', 1, 3)]),
    # the sum rule, alone and together with a minimum
    ('sum-equal-is-fine', {'ttl': 40, 'loop_wait': 10, 'retry_timeout': 15}, []),
    ('sum-one-over', {'ttl': 40, 'loop_wait': 11, 'retry_timeout': 15}, [over(11, 15, 40)]),
    ('sum-with-defaults', {'ttl': 25}, [over(10, 10, 25)]),
    ('sum-raised-loop-wait-against-defaults', {'loop_wait': 11}, [over(11, 10, 30)]),
    ('sum-and-minimum', {'ttl': 10}, [below('ttl', 10, 20), over(10, 10, 10)]),
    # types: digit strings count, other strings, floats and booleans do not
    ('digit-strings', {'ttl': '30', 'loop_wait': ' 10 ', 'retry_timeout': '10'}, []),
    ('signed-digit-string', {'loop_wait': '-1'}, [below('loop_wait', -1, 1)]),
    ('digit-string-sum', {'ttl': '25'}, [over(10, 10, 25)]),
    ('unit-string', {'ttl': '30s'}, [not_whole('ttl', '30s')]),
    ('empty-string', {'retry_timeout': ''}, [not_whole('retry_timeout', '')]),
    ('float', {'loop_wait': 2.5}, [not_whole('loop_wait', 2.5)]),
    ('whole-float', {'ttl': 30.0}, [not_whole('ttl', 30.0)]),
    ('bool-true', {'loop_wait': True}, [not_whole('loop_wait', True)]),
    ('bool-false', {'ttl': False}, [not_whole('ttl', False)]),
    ('null', {'ttl': None}, [not_whole('ttl', None)]),
    # a value that is not a number leaves the sum unjudged (no sentence built on a guess)
    ('not-whole-skips-the-sum', {'ttl': 'x', 'loop_wait': 100}, [not_whole('ttl', 'x')]),
]


@pytest.mark.parametrize('settings, errors', [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_dcs_timing_errors(settings, errors):
    assert dcs_timing_errors(settings) == errors


NAMES = {'ttl': 'patroni_ttl', 'loop_wait': 'patroni_loop_wait', 'retry_timeout': 'patroni_retry_timeout'}


@pytest.mark.parametrize('settings, names, errors', [
    ({'ttl': 25}, NAMES, [SUM % ('patroni_loop_wait', 10, 'patroni_retry_timeout', 10, 'patroni_ttl', 25,
                                 'patroni_loop_wait', 'patroni_retry_timeout', 'patroni_ttl')]),
    ({'ttl': 19, 'loop_wait': 1, 'retry_timeout': 3}, NAMES, [below('patroni_ttl', 19, 20)]),
    ({'loop_wait': 'often'}, NAMES, [not_whole('patroni_loop_wait', 'often')]),
    # a key without a name of its own keeps its key
    ({'loop_wait': 0, 'ttl': 19}, {'ttl': 'settings.ttl'},
     [below('settings.ttl', 19, 20), below('loop_wait', 0, 1), SUM % (
         'loop_wait', 0, 'retry_timeout', 10, 'settings.ttl', 19, 'loop_wait', 'retry_timeout', 'settings.ttl')]),
], ids=['sum', 'minimum', 'type', 'partial-names'])
def test_names_in_messages(settings, names, errors):
    assert dcs_timing_errors(settings, names) == errors


def test_names_are_not_changed():
    names = {'ttl': 'patroni_ttl'}
    dcs_timing_errors({'ttl': 1}, names)
    assert names == {'ttl': 'patroni_ttl'}


def test_tables_cover_the_same_keys():
    assert set(DCS_TIMING_KEYS) == set(DCS_TIMING_DEFAULTS) == set(DCS_TIMING_MINIMUMS)
    # Patroni's defaults are values it keeps.
    assert dcs_timing_errors(dict(DCS_TIMING_DEFAULTS)) == []
