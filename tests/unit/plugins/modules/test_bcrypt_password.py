# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""bcrypt_password keeps a hash that still matches (a web config rewritten on every run
would restart Prometheus each time) and makes a new one otherwise, with the real bcrypt."""

from __future__ import annotations

import bcrypt

from ansible_collections.pgha.cluster.plugins.modules import bcrypt_password


def test_a_new_hash_checks_against_the_password(run_module):
    result = run_module(bcrypt_password, dict(password='s3cret pass', rounds=4))
    assert result['changed'] is False and result['kept'] is False
    assert result['hash'].startswith('$2b$04$')
    assert bcrypt.checkpw(b's3cret pass', result['hash'].encode())


def test_the_current_hash_is_kept_while_it_matches(run_module):
    current = bcrypt.hashpw(b's3cret pass', bcrypt.gensalt(4)).decode()
    result = run_module(bcrypt_password, dict(password='s3cret pass', current=current, rounds=4))
    assert result['kept'] is True and result['hash'] == current


def test_a_changed_password_gets_a_new_hash(run_module):
    current = bcrypt.hashpw(b'old password', bcrypt.gensalt(4)).decode()
    result = run_module(bcrypt_password, dict(password='new password', current=current, rounds=4))
    assert result['kept'] is False and result['hash'] != current
    assert bcrypt.checkpw(b'new password', result['hash'].encode())


def test_a_current_value_that_is_no_bcrypt_hash_is_replaced(run_module):
    for current in ['s3cret pass', '$2b$04$short', '$6$salt$sha512crypt']:
        result = run_module(bcrypt_password, dict(password='s3cret pass', current=current, rounds=4))
        assert result['kept'] is False, current
        assert bcrypt.checkpw(b's3cret pass', result['hash'].encode())


def test_bad_rounds_and_an_empty_password_are_refused(run_module):
    result = run_module(bcrypt_password, dict(password='x', rounds=3))
    assert result['failed'] is True and result['msg'] == 'rounds must be between 4 and 31, not 3'
    result = run_module(bcrypt_password, dict(password=''))
    assert result['failed'] is True and 'password is empty' in result['msg']


def test_the_password_never_appears_in_the_result(run_module):
    result = run_module(bcrypt_password, dict(password='s3cret pass', rounds=4))
    assert 's3cret pass' not in repr(result)
