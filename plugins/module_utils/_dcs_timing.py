# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the pgha.cluster collection. It may change or vanish
# in any release without notice; do not import it from other collections.

"""The one home of Patroni's DCS timing rule.

Patroni accepts any ``ttl``, ``loop_wait`` and ``retry_timeout`` into the DCS and then runs
with other values: it raises ttl below 20, loop_wait below 1 and retry_timeout below 3 to
those minimums, and when ``loop_wait + 2 * retry_timeout > ttl`` it shrinks loop_wait and
retry_timeout itself. pgha refuses such values instead. The preflight (through the
``pgha.cluster.dcs_timing_errors`` filter), the ``patroni_config`` module (on the merged
configuration) and the lab's drills all call :func:`dcs_timing_errors`.
"""

from __future__ import annotations

import re

#: The timing keys of Patroni's dynamic configuration, in the order messages name them.
DCS_TIMING_KEYS = ('ttl', 'loop_wait', 'retry_timeout')

#: Patroni's own values for a key the configuration leaves out.
DCS_TIMING_DEFAULTS = {'ttl': 30, 'loop_wait': 10, 'retry_timeout': 10}

#: The lowest value Patroni runs with; lower ones are silently raised.
DCS_TIMING_MINIMUMS = {'ttl': 20, 'loop_wait': 1, 'retry_timeout': 3}

_WHOLE = re.compile(r'^[+-]?[0-9]+$')


def _whole_number(value):
    """``value`` as an int when it is a whole number (int or string of digits, maybe signed), else None.

    Booleans are refused although Python counts them as ints: ``ttl: true`` is a typo, not 1.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE.match(value.strip()):
        return int(value.strip())
    return None


def dcs_timing_errors(settings, names=None):
    """The reasons Patroni would not run with ``settings`` as given, as sentences.

    ``settings`` maps any of ``ttl``, ``loop_wait`` and ``retry_timeout`` to a value; a key
    left out takes Patroni's default. ``names`` maps each key to the name the user wrote it
    under (``patroni_ttl``), so that every sentence names the variable to fix. An empty
    list means Patroni keeps the values exactly.
    """
    names = dict((key, key) for key in DCS_TIMING_KEYS) if names is None else dict(names)
    for key in DCS_TIMING_KEYS:
        names.setdefault(key, key)
    values = {}
    errors = []
    for key in DCS_TIMING_KEYS:
        raw = settings.get(key, DCS_TIMING_DEFAULTS[key]) if settings else DCS_TIMING_DEFAULTS[key]
        value = _whole_number(raw)
        if value is None:
            errors.append('%s=%r is not a whole number of seconds: give an integer.' % (names[key], raw))
            continue
        values[key] = value
        if value < DCS_TIMING_MINIMUMS[key]:
            errors.append('%s=%d is below %d, the lowest value Patroni runs with (it would silently use %d): '
                          'set %d or more.' % (names[key], value, DCS_TIMING_MINIMUMS[key],
                                               DCS_TIMING_MINIMUMS[key], DCS_TIMING_MINIMUMS[key]))
    if len(values) == len(DCS_TIMING_KEYS) and values['loop_wait'] + 2 * values['retry_timeout'] > values['ttl']:
        errors.append('%s=%d + 2 * %s=%d exceeds %s=%d: Patroni needs loop_wait + 2 * retry_timeout <= ttl '
                      '(it would silently shrink loop_wait and retry_timeout). Lower %s or %s, or raise %s.'
                      % (names['loop_wait'], values['loop_wait'], names['retry_timeout'], values['retry_timeout'],
                         names['ttl'], values['ttl'], names['loop_wait'], names['retry_timeout'], names['ttl']))
    return errors
