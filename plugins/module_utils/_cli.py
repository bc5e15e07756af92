# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the pgha.cluster collection. It may change or vanish
# in any release without notice; do not import it from other collections.

"""Shared plumbing for the patronictl and etcdctl clients.

One place runs a command: argv list (never a shell string), locale pinned to C, the
result handed back or wrapped in a :class:`CliError` that carries what ``fail_json``
needs (``cmd``, ``rc``, ``stdout``, ``stderr``). The polling helpers keep the gate
modules (``*_wait``, ``patroni_switchover``) on one clock that tests can replace, check
their ``timeout`` and ``delay`` options in one place and end them the same way.
"""

from __future__ import annotations

import json
import re
import shlex
import time


class CliError(Exception):
    """A command failed, or printed something other than what was expected."""

    def __init__(self, msg, cmd=None, rc=None, stdout=None, stderr=None):
        super(CliError, self).__init__(msg)
        self.msg = msg
        self.cmd = cmd
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr

    def as_fail_kwargs(self):
        """Keyword arguments for ``module.fail_json``."""
        return dict(msg=self.msg, cmd=self.cmd, rc=self.rc, stdout=self.stdout, stderr=self.stderr)

    def command_facts(self):
        """``cmd``, ``rc``, ``stdout`` and ``stderr``, for a result whose message says something else."""
        facts = self.as_fail_kwargs()
        facts.pop('msg')
        return facts


def subcommand_words(args):
    """The words of ``args`` before the first option: ``endpoint health``, ``list``."""
    words = []
    for arg in args:
        if str(arg).startswith('-'):
            break
        words.append(str(arg))
    return ' '.join(words)


def format_cmd(argv):
    """Quote an argv list for messages (the list itself is what runs)."""
    return ' '.join(shlex.quote(str(arg)) for arg in argv)


class CliClient(object):
    """Base class: finds one binary and runs it with a fixed locale."""

    #: Name of the binary looked up on the target's PATH.
    binary = None
    #: Module option that overrides the binary path.
    path_option = None

    def __init__(self, module):
        self.module = module
        override = module.params.get(self.path_option) if self.path_option else None
        self.bin_path = override or module.get_bin_path(self.binary, required=True)

    def environ(self):
        """Environment for every call; subclasses add their own (never secrets in argv)."""
        return {'LC_ALL': 'C'}

    def prefix(self):
        """Words placed before the binary (for example a timeout wrapper)."""
        return []

    def base_args(self):
        """Global options placed right after the binary."""
        return []

    def run(self, args, data=None, expected_rc=(0,)):
        """Run ``binary base_args args``; return ``(argv, rc, stdout, stderr)``.

        Raises :class:`CliError` when the return code is not in ``expected_rc``
        (pass ``expected_rc=None`` to accept any).
        """
        argv = self.prefix() + [self.bin_path] + self.base_args() + list(args)
        rc, out, err = self.module.run_command(argv, data=data, environ_update=self.environ(),
                                               check_rc=False)
        if expected_rc is not None and rc not in expected_rc:
            raise CliError(self.describe_failure(args, rc, out, err), cmd=format_cmd(argv),
                           rc=rc, stdout=out, stderr=err)
        return argv, rc, out, err

    def describe_failure(self, args, rc, out, err):
        """One sentence naming the subcommand, the exit code and the tool's last words."""
        text = (err or out or '').strip()
        lines = text.splitlines()
        detail = lines[-1].strip() if lines else 'no output'
        if 'Traceback (most recent call last)' in text:
            # A Python tool crashed: its exception line says more than the last line.
            raised = re.findall(r'^([A-Za-z_][\w.]*(?:Error|Exception)\w*: .*)$', text, re.MULTILINE)
            if raised:
                detail = raised[-1].strip()
        return '%s %s failed with exit code %s: %s' % (self.binary, subcommand_words(args), rc, detail)

    def run_json(self, args, expected_rc=(0,), accept_json_on_error=False):
        """Run and parse stdout as JSON.

        With ``accept_json_on_error`` a non-zero exit whose stdout still parses as JSON
        is returned as data together with the return code (etcdctl does that when an
        endpoint is down); any other failure raises :class:`CliError`.
        Returns ``(data, rc, stderr)``.
        """
        argv, rc, out, err = self.run(args, expected_rc=None)
        ok_rc = expected_rc is None or rc in expected_rc
        if not ok_rc and not accept_json_on_error:
            raise CliError(self.describe_failure(args, rc, out, err), cmd=format_cmd(argv),
                           rc=rc, stdout=out, stderr=err)
        try:
            data = json.loads(out)
        except ValueError as exc:
            if not ok_rc:
                msg = self.describe_failure(args, rc, out, err)
            else:
                msg = '%s %s printed output that is not valid JSON (%s).' % (self.binary, subcommand_words(args), exc)
            raise CliError(msg, cmd=format_cmd(argv), rc=rc, stdout=out, stderr=err)
        return data, rc, err

    def run_json_rows(self, args, normalise, row_name, key=None):
        """Run and normalise each object of the JSON list printed: ``[normalise(row), ...]``.

        The list is the output itself, or with ``key`` the list under that key of a JSON object
        (etcdctl's ``{header, members}``; a missing key means no rows). ``row_name`` ("a member")
        names one row in the message when ``normalise`` cannot read it. A wrong shape raises
        :class:`CliError`.
        """
        data, rc, err = self.run_json(args)
        if key is None:
            rows, shape = data, 'a list of objects'
        else:
            rows, shape = (data.get(key, []) if isinstance(data, dict) else None), '{header, %s}' % key
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise self.bad_output(args, 'expected %s' % shape, json.dumps(data), rc, err)
        try:
            return [normalise(row) for row in rows]
        except (KeyError, TypeError, ValueError) as exc:
            raise self.bad_output(args, '%s could not be read (%s)' % (row_name, exc), json.dumps(data), rc, err)

    def bad_output(self, args, what, out, rc=0, err=''):
        """Build a :class:`CliError` for JSON that does not have the expected shape."""
        argv = self.prefix() + [self.bin_path] + self.base_args() + list(args)
        return CliError('%s %s printed JSON of an unexpected shape: %s.' % (self.binary, subcommand_words(args), what),
                        cmd=format_cmd(argv), rc=rc, stdout=out, stderr=err)


def poll(check, timeout, delay):
    """Call ``check()`` until it reports success or ``timeout`` seconds have passed.

    ``check`` returns ``(done, state)``. Returns ``(done, state, attempts, elapsed)``
    with the last state seen. Uses ``time.monotonic`` and ``time.sleep`` from this
    module so tests can replace the clock.
    """
    start = time.monotonic()
    attempts = 0
    while True:
        attempts += 1
        done, state = check()
        elapsed = time.monotonic() - start
        if done:
            return True, state, attempts, elapsed
        if elapsed + delay > timeout:
            return False, state, attempts, elapsed
        time.sleep(delay)


def poll_argument_spec(timeout, delay):
    """The ``timeout`` and ``delay`` options of a module that polls, with its defaults.

    Check them with :func:`check_poll_options` once the module is built.
    """
    return dict(
        timeout=dict(type='int', default=timeout),
        delay=dict(type='int', default=delay),
    )


def poll_option_errors(params, non_negative=()):
    """Sentences naming each polling option set out of range, and the range to use.

    ``timeout`` (and every option in ``non_negative``, unset ones skipped) must be 0 or
    more; ``delay`` at least 1 second, so that a wait never spins. Empty when all are fine.
    """
    errors = []
    for option in ('timeout',) + tuple(non_negative):
        value = params.get(option)
        if value is not None and value < 0:
            errors.append('Option %s must not be negative (got %s).' % (option, value))
    if params['delay'] < 1:
        errors.append('Option delay must be at least 1 second (got %s).' % params['delay'])
    return errors


def check_poll_options(module, non_negative=()):
    """Fail the module, naming every option out of range, before anything runs."""
    errors = poll_option_errors(module.params, non_negative)
    if errors:
        module.fail_json(msg=' '.join(errors))


def finish_wait(module, done, result, msg, error=None):
    """End a module that waited: ``exit_json(**result)`` when ``done``, else ``fail_json(msg)``.

    On failure the command facts of ``error`` (the last call, when it failed) are added, so
    the output shows what the tool said while the message says what was not reached.
    """
    if done:
        module.exit_json(**result)
    if error is not None:
        result.update(error.command_facts())
    module.fail_json(msg=msg, **result)
