# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every module's documentation is valid YAML and takes its attributes from the doc fragment.

ansible-test sanity (tests/sanity.sh) checks the documentation in full; this catches the
common mistakes in a second: a YAML slip, a copied attribute description, a module without
a stated check_mode/diff_mode support.
"""

from __future__ import annotations

import importlib
import os

import pytest
import yaml

MODULES_DIR = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'plugins', 'modules')
MODULES = sorted(name[:-3] for name in os.listdir(MODULES_DIR) if name.endswith('.py') and name != '__init__.py')
SUPPORT = {'pgha.cluster.attributes.read_only', 'pgha.cluster.attributes.check_diff'}


def docs(name):
    module = importlib.import_module('ansible_collections.pgha.cluster.plugins.modules.' + name)
    return [yaml.safe_load(getattr(module, part)) for part in ('DOCUMENTATION', 'EXAMPLES', 'RETURN')]


def test_every_module_is_listed():
    assert len(MODULES) == 11


@pytest.mark.parametrize('name', MODULES)
def test_documentation_parses(name):
    documentation, examples, returned = docs(name)
    assert documentation['module'] == name
    assert isinstance(examples, list) and all(task['name'] for task in examples)
    assert isinstance(returned, dict)


@pytest.mark.parametrize('name', MODULES)
def test_attributes_come_from_the_fragment(name):
    documentation = docs(name)[0]
    fragments = documentation['extends_documentation_fragment']
    assert 'pgha.cluster.attributes' in fragments
    assert len(SUPPORT.intersection(fragments)) == 1, 'name exactly one of %s' % sorted(SUPPORT)
    # What a module may still say itself: details of its own, never a copied description or support.
    for attribute in documentation.get('attributes', {}).values():
        assert set(attribute) == {'details'}


@pytest.mark.parametrize('name', MODULES)
def test_diff_support_is_claimed_by_the_modules_that_return_a_diff(name):
    documentation = docs(name)[0]
    with open(os.path.join(MODULES_DIR, name + '.py')) as handle:
        returns_diff = "result['diff']" in handle.read()
    assert ('pgha.cluster.attributes.check_diff' in documentation['extends_documentation_fragment']) == returns_diff


TASK_KEYWORDS = {'name', 'register', 'when', 'loop', 'vars', 'check_mode', 'diff', 'changed_when', 'failed_when',
                 'until', 'retries', 'delay', 'delegate_to', 'run_once', 'become', 'become_user', 'tags', 'environment',
                 'no_log', 'ignore_errors', 'notify', 'loop_control', 'module_defaults'}


@pytest.mark.parametrize('name', MODULES)
def test_examples_call_modules_by_fqcn(name):
    examples = docs(name)[1]
    called = []
    for task in examples:
        actions = [key for key in task if key not in TASK_KEYWORDS]
        assert len(actions) == 1, 'EXAMPLES task %r of %s names no single module: %s' % (task['name'], name, actions)
        assert actions[0].count('.') == 2, 'EXAMPLES task %r of %s calls %r, not an FQCN' % (task['name'], name, actions[0])
        called.append(actions[0])
    assert 'pgha.cluster.' + name in called, '%s EXAMPLES never call pgha.cluster.%s' % (name, name)
