# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Test plumbing for the pgha.cluster unit tests.

``pytest tests/unit`` from the repository root works without installing the collection:
when ``ansible_collections.pgha.cluster`` is not importable (the repository is not checked
out at ``.../ansible_collections/pgha/cluster``), a temporary directory holding
``ansible_collections/pgha/cluster`` -> repository root is put on ``sys.path``.
Under ``ansible-test units`` the collection is already importable and nothing is done.

The only thing replaced in the modules is ``AnsibleModule.run_command`` (plus the clock of
the polling helper): every call is checked against the argv the test expects and answered
with an output recorded from the real tool (tests/unit/fixtures, see its README).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile

import pytest

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _collection_importable():
    try:
        import ansible_collections.pgha.cluster.plugins.module_utils._cli  # noqa: F401 pylint: disable=unused-import
    except ImportError:
        return False
    return True


def _make_importable():
    if _collection_importable():
        return
    parts = REPO_ROOT.split(os.sep)
    if parts[-3:-1] == ['ansible_collections', 'pgha'] and parts[-1] == 'cluster':
        base = os.sep.join(parts[:-3])
    else:
        base = tempfile.mkdtemp(prefix='pgha-unit-')
        atexit.register(shutil.rmtree, base, True)  # removes the link, never follows it
        os.makedirs(os.path.join(base, 'ansible_collections', 'pgha'))
        os.symlink(REPO_ROOT, os.path.join(base, 'ansible_collections', 'pgha', 'cluster'))
    sys.path.insert(0, base)
    # Drop a namespace package cached before the path change, so it is searched again.
    for name in [n for n in sys.modules if n == 'ansible_collections' or n.startswith('ansible_collections.pgha')]:
        del sys.modules[name]
    if not _collection_importable():
        raise RuntimeError('could not make ansible_collections.pgha.cluster importable from %s' % base)


_make_importable()

pytest.register_assert_rewrite('ansible_collections.pgha.cluster.tests.unit.utils')

# pylint: disable=wrong-import-position
from ansible.module_utils import basic  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.pgha.cluster.plugins.module_utils import _cli  # noqa: E402
from ansible_collections.pgha.cluster.tests.unit.utils import FakeClock, RunCommand  # noqa: E402


@pytest.fixture
def run_command(monkeypatch):
    mock = RunCommand()

    def fake_run_command(self, args, **kwargs):  # pylint: disable=unused-argument
        return mock(args, **kwargs)

    monkeypatch.setattr(basic.AnsibleModule, 'run_command', fake_run_command)
    yield mock


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(_cli, 'time', fake)
    return fake


@pytest.fixture
def run_module(capsys, run_command):
    """Run a module's ``main()`` with arguments; return its JSON result (``failed`` set on failure)."""

    def runner(module, args, check_mode=False, diff=False):
        module_args = dict(args)
        module_args['_ansible_check_mode'] = check_mode
        module_args['_ansible_diff'] = diff
        with patch_module_args(module_args):
            with pytest.raises(SystemExit) as exit_info:
                module.main()
        out = capsys.readouterr().out
        result = json.loads(out)
        assert bool(result.get('failed')) == (exit_info.value.code != 0), out
        run_command.assert_done()
        return result

    return runner
