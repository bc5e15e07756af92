# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.dcs_timing_errors filter, imported by its collection path as Ansible loads it."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.dcs_timing_errors import FilterModule
from ansible_collections.pgha.cluster.plugins.module_utils._dcs_timing import dcs_timing_errors

FILTER = FilterModule().filters()['dcs_timing_errors']


def test_the_filter_is_registered_under_its_name():
    assert set(FilterModule().filters()) == {'dcs_timing_errors'}


@pytest.mark.parametrize('settings, names', [
    ({}, None),
    ({'ttl': 30, 'loop_wait': 10, 'retry_timeout': 10}, None),
    ({'ttl': 25}, None),
    ({'ttl': 25}, {'ttl': 'patroni_ttl', 'loop_wait': 'patroni_loop_wait', 'retry_timeout': 'patroni_retry_timeout'}),
    ({'ttl': '19', 'loop_wait': True}, {'loop_wait': 'patroni_loop_wait'}),
])
def test_the_filter_answers_like_module_utils(settings, names):
    assert FILTER(settings, names) == dcs_timing_errors(settings, names)


def test_the_filter_names_the_variable():
    errors = FILTER({'ttl': 25, 'loop_wait': 10, 'retry_timeout': 10}, names={'ttl': 'patroni_ttl'})
    assert len(errors) == 1 and errors[0].startswith('loop_wait=10 + 2 * retry_timeout=10 exceeds patroni_ttl=25:')


@pytest.mark.parametrize('value', [None, [30, 10, 10], 'ttl=30', 30])
def test_the_filter_refuses_what_is_not_a_mapping(value):
    with pytest.raises(AnsibleFilterError, match='dcs_timing_errors expects a mapping of ttl/loop_wait/retry_timeout, got '):
        FILTER(value)
