# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the pgha.cluster collection. It may change or vanish
# in any release without notice; do not import it from other collections.

"""A small client for ``patronictl``, plus the normalisation the pgha modules share.

``patronictl list -f json`` changed shape in Patroni 4.1: 4.0 prints one ``Lag in MB``
column, 4.1 prints ``Receive LSN``/``Receive Lag``/``Replay LSN``/``Replay Lag``. Both are
read here by the keys present in each row, so the parsing does not depend on guessing
the version; the version is still read (``patronictl version``) and reported.
Keys whose value is empty are left out by patronictl; lag is whole MB (rounded by
patronictl) or the string ``unknown``.
"""

from __future__ import annotations

import copy
import json
import re
import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliClient, CliError, format_cmd, poll, subcommand_words

try:
    import yaml
except ImportError:
    HAS_YAML = False
    YAML_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_YAML = True
    YAML_IMPORT_ERROR = None


MB = 1024 * 1024

LEADER_ROLES = ('leader', 'standby_leader')
SYNC_ROLES = ('sync_standby', 'quorum_standby')
# Member states in which PostgreSQL is up (patroni.postgresql.misc.PostgresqlState).
RUNNING_STATES = ('running', 'streaming', 'in archive recovery')


def patroni_argument_spec():
    """Options shared by every module that talks to patronictl (doc fragment ``pgha.cluster.patroni``)."""
    return dict(
        config_file=dict(type='path', aliases=['patroni_config_file']),
        dcs_url=dict(type='str'),
        cluster_name=dict(type='str', aliases=['scope']),
        patronictl_path=dict(type='path'),
        patronictl_timeout=dict(type='int', default=60),
    )


class PatroniCtl(CliClient):
    """Runs ``patronictl`` with the connection options of the module."""

    binary = 'patronictl'
    path_option = 'patronictl_path'

    def __init__(self, module):
        super(PatroniCtl, self).__init__(module)
        params = module.params
        self.config_file = params.get('config_file')
        self.dcs_url = params.get('dcs_url')
        self.cluster_name = params.get('cluster_name')
        self.patronictl_timeout = params.get('patronictl_timeout') or 0
        if self.dcs_url and not self.cluster_name:
            module.fail_json(msg='Option dcs_url needs cluster_name (the Patroni scope): '
                                 'without a configuration file patronictl cannot tell which cluster to read.')
        if self.patronictl_timeout < 0:
            module.fail_json(msg='Option patronictl_timeout must be 0 (no limit) or a positive number of seconds, '
                                 'not %s.' % self.patronictl_timeout)
        self._timeout_bin = None
        if self.patronictl_timeout:
            # patronictl retries for ever while the DCS is unreachable; coreutils timeout bounds it.
            self._timeout_bin = module.get_bin_path('timeout', required=False)

    def prefix(self):
        if self._timeout_bin:
            return [self._timeout_bin, str(self.patronictl_timeout)]
        return []

    def base_args(self):
        args = []
        if self.config_file:
            args += ['-c', self.config_file]
        if self.dcs_url:
            args += ['--dcs-url', self.dcs_url]
        return args

    def cluster_args(self):
        return [self.cluster_name] if self.cluster_name else []

    def describe_failure(self, args, rc, out, err):
        if self._timeout_bin and rc == 124:
            return ('patronictl %s did not finish within %s seconds (option patronictl_timeout); '
                    'check that the DCS (option dcs_url, or the one in the Patroni configuration) is reachable.'
                    % (subcommand_words(args), self.patronictl_timeout))
        return super(PatroniCtl, self).describe_failure(args, rc, out, err)

    # -- read-only commands -------------------------------------------------

    def version(self):
        """Version of the patronictl client, e.g. ``4.0.7``."""
        args = ['version']
        dummy, rc, out, err = self.run(args)
        match = re.search(r'patronictl version (\S+)', out)
        if not match:
            raise self.bad_output(args, 'no "patronictl version X" line', out, rc, err)
        return match.group(1)

    def list_members(self):
        """Normalised members of ``patronictl list -f json``."""
        return self.run_json_rows(['list'] + self.cluster_args() + ['-f', 'json'], normalise_member, 'a member row')

    def history(self):
        """Normalised timeline history of ``patronictl history -f json``."""
        return self.run_json_rows(['history'] + self.cluster_args() + ['-f', 'json'], normalise_history,
                                  'a history row')

    def show_config(self):
        """The dynamic (DCS) configuration as a dict (``patronictl show-config`` prints YAML)."""
        if not HAS_YAML:
            self.module.fail_json(msg=missing_required_lib('PyYAML'), exception=YAML_IMPORT_ERROR)
        args = ['show-config'] + self.cluster_args()
        argv, rc, out, err = self.run(args)
        try:
            data = yaml.safe_load(out)
        except yaml.YAMLError as exc:
            raise CliError('patronictl show-config printed output that is not valid YAML (%s).' % exc,
                           cmd=format_cmd(argv), rc=rc, stdout=out, stderr=err)
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise self.bad_output(args, 'expected a mapping', out, rc, err)
        return data

    # -- commands that change the cluster -------------------------------------

    def edit_config(self, patch):
        """Apply ``patch`` (a partial configuration; ``None`` removes a key) through stdin.

        JSON is valid YAML, so the patch goes in as JSON and keeps its types exactly.
        """
        args = ['edit-config'] + self.cluster_args() + ['--apply', '-', '--force']
        argv, rc, out, err = self.run(args, data=json.dumps(patch, sort_keys=True))
        return out

    def switchover(self, leader, candidate):
        """Planned switchover; fails when patronictl reports a refusal (it exits 0 then)."""
        args = ['switchover'] + self.cluster_args() + ['--leader', leader, '--candidate', candidate, '--force']
        argv, rc, out, err = self.run(args)
        match = re.search(r'^.*Switchover failed.*$', out, re.MULTILINE)
        if match:
            raise CliError('Patroni refused the switchover from %s to %s: %s'
                           % (leader, candidate, match.group(0).strip()),
                           cmd=format_cmd(argv), rc=rc, stdout=out, stderr=err)
        return out


# -- normalisation ---------------------------------------------------------------

def _lag_mb(value):
    """A patronictl lag cell: int/float MB, '' or 'unknown' -> MB or None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    if not text or text == 'unknown':
        return None
    return float(text) if '.' in text else int(text)


def _lsn(value):
    if value in (None, '', 'unknown'):
        return None
    return str(value)


def normalise_role(role):
    """``Sync Standby`` -> ``sync_standby``."""
    return str(role).strip().lower().replace(' ', '_')


def normalise_member(row):
    """One row of ``patronictl list -f json`` (Patroni 4.0 or 4.1 shape) in pgha's shape."""
    lags = [_lag_mb(row.get(key)) for key in ('Lag in MB', 'Receive Lag', 'Replay Lag')]
    known = [lag for lag in lags if lag is not None]
    timeline = row.get('TL')
    tags = row.get('Tags') or {}
    if not isinstance(tags, dict):
        raise ValueError('Tags of member %s is not a mapping' % row.get('Member'))
    member = dict(
        name=row['Member'],
        cluster=row.get('Cluster'),
        host=row.get('Host') or None,
        role=normalise_role(row['Role']),
        state=row.get('State') or None,
        timeline=int(timeline) if timeline not in (None, '') else None,
        lag_bytes=int(round(max(known) * MB)) if known else None,
        receive_lsn=_lsn(row.get('Receive LSN')),
        replay_lsn=_lsn(row.get('Replay LSN')),
        pending_restart=bool(row.get('Pending restart')),
        pending_restart_reason=row.get('Pending restart reason') or None,
        scheduled_restart=row.get('Scheduled restart') or None,
        tags=dict(tags),
    )
    if 'Group' in row:
        member['group'] = row['Group']
    return member


def normalise_history(row):
    return dict(
        timeline=int(row['TL']),
        lsn=row.get('LSN'),
        reason=row.get('Reason'),
        timestamp=row.get('Timestamp'),
        new_leader=row.get('New Leader'),
    )


def synchronous_mode(config):
    """``off``, ``on`` or ``quorum`` from the dynamic configuration."""
    value = config.get('synchronous_mode', False)
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == 'quorum':
            return 'quorum'
        return 'on' if lowered in ('on', 'true', 'yes', '1') else 'off'
    return 'on' if value else 'off'


def is_true(value):
    if isinstance(value, str):
        return value.strip().lower() in ('on', 'true', 'yes', '1')
    return bool(value)


def leaders(members):
    return [m for m in members if m['role'] in LEADER_ROLES]


def member_facts(members):
    """Cluster-level facts that the member list alone shows."""
    found = leaders(members)
    timelines = sorted(set(m['timeline'] for m in members if m['timeline'] is not None))
    return dict(
        leader=found[0]['name'] if len(found) == 1 else None,
        sync_standbys=[m['name'] for m in members if m['role'] in SYNC_ROLES],
        replicas=[m['name'] for m in members if m['role'] not in LEADER_ROLES],
        pending_restart=[m['name'] for m in members if m['pending_restart']],
        timelines=timelines,
        timeline=timelines[-1] if timelines else None,
    )


def config_facts(config):
    """Cluster-level facts that the dynamic configuration shows."""
    return dict(
        paused=is_true(config.get('pause', False)),
        synchronous_mode=synchronous_mode(config),
        synchronous_mode_strict=is_true(config.get('synchronous_mode_strict', False)),
    )


def member_table(members):
    """Plain-text table of members for failure messages (one string per line)."""
    header = ('member', 'host', 'role', 'state', 'TL', 'lag_bytes', 'pending_restart')
    rows = [header]
    for m in members:
        rows.append((m['name'], m['host'] or '', m['role'], m['state'] or '',
                     '' if m['timeline'] is None else str(m['timeline']),
                     'unknown' if m['lag_bytes'] is None else str(m['lag_bytes']),
                     'yes' if m['pending_restart'] else 'no'))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(header))]
    return ['  '.join(str(cell).ljust(widths[i]) for i, cell in enumerate(r)).rstrip() for r in rows]


def wait_for_members(client, unmet_of, timeout, delay):
    """Poll ``patronictl list`` until ``unmet_of(members)`` returns no sentence.

    A failing call counts as an unmet condition and polling goes on (the DCS may be
    starting, a member restarting). Returns a dict: ``done``, ``unmet`` (at the last poll),
    ``members`` (last listed; ``None`` when ``list`` never answered), ``error`` (the
    :class:`CliError` of the last poll when it failed, else ``None``), ``attempts``, ``elapsed``.
    """
    last = dict(members=None, error=None)

    def check():
        try:
            members = client.list_members()
        except CliError as exc:
            last['error'] = exc
            return False, ['patronictl list failed: %s' % exc.msg]
        last['members'], last['error'] = members, None
        unmet = unmet_of(members)
        return not unmet, unmet

    done, unmet, attempts, elapsed = poll(check, timeout, delay)
    return dict(done=done, unmet=unmet, members=last['members'], error=last['error'],
                attempts=attempts, elapsed=elapsed)


# -- dynamic configuration comparison ----------------------------------------------

_NUMBER = re.compile(r'^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$')
_TRUE = ('on', 'true', 'yes')
_FALSE = ('off', 'false', 'no')


def canonical(value):
    """A comparable form of a configuration value.

    Patroni keeps what it was given (``patronictl edit-config -s`` parses values as YAML,
    an applied file keeps its types) and PostgreSQL reads ``200``/``'200'`` and
    ``true``/``'on'`` alike, so numbers compare by value whether written as numbers or
    numeric strings, and booleans compare equal to ``on``/``off``, ``true``/``false``,
    ``yes``/``no`` in any case. Other strings compare exactly (``256MB`` is not ``262144kB``).
    """
    if isinstance(value, bool):
        return ('bool', value)
    if isinstance(value, (int, float)):
        return ('number', value)
    if isinstance(value, str):
        text = value.strip()
        lowered = text.lower()
        if lowered in _TRUE:
            return ('bool', True)
        if lowered in _FALSE:
            return ('bool', False)
        if _NUMBER.match(text):
            number = float(text)
            return ('number', int(text) if re.match(r'^[+-]?\d+$', text) else number)
        return ('str', text)
    if isinstance(value, dict):
        return ('dict', tuple(sorted((str(k), canonical(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ('list', tuple(canonical(v) for v in value))
    if value is None:
        return ('null', None)
    return ('other', repr(value))


def same_value(current, wanted):
    return canonical(current) == canonical(wanted)


def _strip_none(value):
    if isinstance(value, dict):
        return dict((k, _strip_none(v)) for k, v in value.items() if v is not None)
    return value


def config_patch(current, wanted):
    """The smallest patch that turns ``current`` into ``current`` merged with ``wanted``.

    ``wanted`` is nested like the dynamic configuration; a ``None`` value asks for the key
    to be removed. Keys not named in ``wanted`` are left alone.
    """
    patch = {}
    for key, want in wanted.items():
        if want is None:
            if key in current:
                patch[key] = None
            continue
        have = current.get(key)
        if isinstance(want, dict) and isinstance(have, dict):
            sub = config_patch(have, want)
            if sub:
                patch[key] = sub
        elif isinstance(want, dict):
            # Absent, or not a mapping yet: the wanted mapping replaces it (empty means nothing to set).
            cleaned = _strip_none(want)
            if cleaned:
                patch[key] = cleaned
        elif key not in current or not same_value(have, want):
            patch[key] = want
    return patch


def with_removals(current, wanted, exact):
    """``wanted`` with a ``None`` (remove) for each key that a mapping named in ``exact`` (dotted paths,
    like ``postgresql.parameters``) holds in ``current`` but not in ``wanted``: those mappings end up
    exactly as wanted. ``wanted`` itself is not changed."""
    result = copy.deepcopy(wanted)
    for path in exact:
        parents, last = path.split('.')[:-1], path.split('.')[-1]
        have, want = current, result
        for key in parents:
            have = have.get(key) if isinstance(have, dict) else None
            if not isinstance(want.setdefault(key, {}), dict):
                want = None
                break
            want = want[key]
        if want is None or not isinstance(have, dict) or not isinstance(have.get(last), dict):
            continue
        if not isinstance(want.setdefault(last, {}), dict):
            continue
        for key in have[last]:
            want[last].setdefault(key, None)
    return result


def apply_patch(current, patch):
    """``current`` with ``patch`` applied the way ``patronictl edit-config --apply`` merges."""
    result = dict(current)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = apply_patch(result[key], value)
        else:
            result[key] = value
    return result
