# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pgha.cluster.secret_errors filter: what the preflight refuses in a password."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.pgha.cluster.plugins.filter.secret_errors import FilterModule

FILTER = FilterModule().filters()['secret_errors']
KEEPALIVED = dict(min_length=6, max_length=8, forbidden='#!"\\${}', ascii_only=True)


def test_the_filter_is_registered_under_its_name():
    assert set(FilterModule().filters()) == {'secret_errors'}


@pytest.mark.parametrize('value', [
    'pre{#x#}post-and-more', '{{ 6*7 }}-pw-long', 'quote\'double"colon:hash#', 'brace{ }%\\@$!-spaces in it',
    'Grüße-Ünïcødé-ß', 'x' * 200,
])
def test_strong_passwords_of_any_character_pass(value):
    assert FILTER({'patroni_superuser_password': value}) == []


@pytest.mark.parametrize('value, says', [
    (None, 'is unset'),
    ('', 'is unset'),
    (12345, 'is a number, not a string'),
    (True, 'is a boolean, not a string'),
    (['a'], 'is a list, not a string'),
    ('long-enough-password\n', 'line break'),
    ('long-enough\rpassword', 'line break'),
    ('CHANGE_ME', 'placeholder'),
    ('ChangeMe', 'placeholder'),
    ('  Zalando ', 'placeholder'),
    ('LAB-SUPERUSER-SECRET', 'placeholder'),
    ('short-pw', 'has 8 characters, fewer than the 12 required'),
])
def test_each_problem_is_refused_naming_the_variable(value, says):
    errors = FILTER({'patroni_replication_password': value})
    assert len(errors) == 1
    assert errors[0].startswith('patroni_replication_password ')
    assert says in errors[0]


def test_a_message_never_holds_the_value():
    secret = 'my-secret-value\n'
    errors = FILTER({'haproxy_stats_password': secret, 'patroni_rewind_password': 'tiny-one'})
    assert len(errors) == 2
    assert not any('my-secret' in e or 'tiny-one' in e for e in errors)


@pytest.mark.parametrize('value, says', [
    ('abcdefghi', 'more than the 8'),
    ('abc', 'fewer than the 6'),
    ('ab#defg', "'#'"),
    ('ab!defg', "'!'"),
    ('ab"defg', "'\"'"),
    ('ab$defg', "'$'"),
    ('ab cdefg', 'whitespace'),
    ('abcdéfg', 'non-ASCII'),
    ('lab-vrrp', 'placeholder'),
])
def test_keepalived_rules(value, says):
    errors = FILTER({'keepalived_auth_pass': value}, **KEEPALIVED)
    assert len(errors) == 1 and says in errors[0], errors


def test_a_keepalived_key_it_can_read_passes():
    assert FILTER({'keepalived_auth_pass': 'aB3_-%&+'}, **KEEPALIVED) == []


def test_not_a_mapping_is_an_error():
    with pytest.raises(AnsibleFilterError):
        FILTER(['patroni_superuser_password'])
