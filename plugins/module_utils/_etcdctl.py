# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the pgha.cluster collection. It may change or vanish
# in any release without notice; do not import it from other collections.

"""A small client for ``etcdctl`` (API v3, ``-w json``) and the cluster assessment the
etcd modules share.

Things the JSON of etcdctl 3.5 does that the parsing below relies on:

* ``endpoint health`` and ``endpoint status`` exit non-zero when an endpoint is down
  but still print JSON for every endpoint they could judge; that JSON is data, not a
  tool failure.
* Member, cluster and leader IDs are uint64 printed as decimal JSON numbers, often above
  2**53. Python's ``json`` parses them as exact ``int`` (never through ``float``); each ID
  is also returned as the hex string that etcdctl's table output and logs use.
* ``isLearner`` is omitted when false; ``errors`` is omitted when empty; alarms are the
  numeric enum of etcdserverpb.AlarmType.
"""

from __future__ import annotations

import json
import re

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliClient, CliError, format_cmd

ALARM_TYPES = {0: 'NONE', 1: 'NOSPACE', 2: 'CORRUPT'}


def etcd_argument_spec():
    """Options shared by every module that talks to etcdctl (doc fragment ``pgha.cluster.etcd``)."""
    return dict(
        endpoints=dict(type='list', elements='str', default=['127.0.0.1:2379']),
        cacert=dict(type='path'),
        cert=dict(type='path'),
        key=dict(type='path', no_log=False),
        user=dict(type='str'),
        password=dict(type='str', no_log=True),
        dial_timeout=dict(type='int', default=2),
        command_timeout=dict(type='int', default=5),
        etcdctl_path=dict(type='path'),
    )


ETCD_REQUIRED_TOGETHER = [('cert', 'key'), ('user', 'password')]


def id_hex(value):
    """etcd IDs the way etcdctl prints them in tables and logs."""
    return None if value is None else '%x' % value


def endpoint_key(endpoint):
    """Compare endpoints without scheme or trailing slash: ``https://a:2379/`` == ``a:2379``."""
    text = str(endpoint).strip()
    text = re.sub(r'^[a-z][a-z0-9+.-]*://', '', text, flags=re.IGNORECASE)
    return text.rstrip('/').lower()


class EtcdCtl(CliClient):
    """Runs ``etcdctl`` (API v3) against the module's endpoints."""

    binary = 'etcdctl'
    path_option = 'etcdctl_path'

    def __init__(self, module):
        super(EtcdCtl, self).__init__(module)
        params = module.params
        self.endpoints = [e.strip() for e in params['endpoints'] if e and e.strip()]
        if not self.endpoints:
            module.fail_json(msg='Option endpoints is empty: name at least one etcd client URL, '
                                 'for example 127.0.0.1:2379.')
        for option in ('dial_timeout', 'command_timeout'):
            if params.get(option) is not None and params[option] <= 0:
                module.fail_json(msg='Option %s must be a positive number of seconds, not %s.'
                                     % (option, params[option]))

    def environ(self):
        env = super(EtcdCtl, self).environ()
        env['ETCDCTL_API'] = '3'
        params = self.module.params
        if params.get('user'):
            # Credentials travel in the environment, never in argv (ps shows argv).
            env['ETCDCTL_USER'] = params['user']
            env['ETCDCTL_PASSWORD'] = params['password']
        return env

    def base_args(self):
        params = self.module.params
        args = ['--endpoints', ','.join(self.endpoints)]
        if params.get('dial_timeout'):
            args += ['--dial-timeout', '%ss' % params['dial_timeout']]
        if params.get('command_timeout'):
            args += ['--command-timeout', '%ss' % params['command_timeout']]
        for option in ('cacert', 'cert', 'key'):
            if params.get(option):
                args += ['--' + option, params[option]]
        return args

    def version(self):
        args = ['version']
        dummy, rc, out, err = self.run(args)
        match = re.search(r'etcdctl version: (\S+)', out)
        if not match:
            raise self.bad_output(args, 'no "etcdctl version: X" line', out, rc, err)
        return match.group(1)

    def endpoint_health(self):
        """Per-endpoint health. Down endpoints are data (etcdctl exits 1 and still prints JSON)."""
        args = ['endpoint', 'health', '-w', 'json']
        rows, rc, err = self.run_json(args, accept_json_on_error=True)
        if not isinstance(rows, list) or not all(isinstance(r, dict) and 'endpoint' in r for r in rows):
            raise self.bad_output(args, 'expected a list of {endpoint, health, took}', json.dumps(rows), rc, err)
        found = dict((endpoint_key(r['endpoint']), r) for r in rows)
        result = []
        for endpoint in self.endpoints:
            row = found.get(endpoint_key(endpoint))
            if row is None:
                result.append(dict(endpoint=endpoint, healthy=False, took=None,
                                   error='etcdctl endpoint health printed nothing for this endpoint'))
                continue
            result.append(dict(endpoint=endpoint, healthy=row.get('health') is True,
                               took=row.get('took'), error=row.get('error') or None))
        return result

    def endpoint_status(self):
        """Per-endpoint status; endpoints that did not answer come back with ``reachable: false``."""
        args = ['endpoint', 'status', '-w', 'json']
        rows, rc, err = self.run_json(args, accept_json_on_error=True)
        if not isinstance(rows, list) or not all(isinstance(r, dict) and 'Endpoint' in r for r in rows):
            raise self.bad_output(args, 'expected a list of {Endpoint, Status}', json.dumps(rows), rc, err)
        reasons = dict((endpoint_key(m.group(1)), m.group(2)) for m in
                       re.finditer(r'Failed to get the status of endpoint (\S+) \((.*)\)', err or ''))
        found = dict((endpoint_key(r['Endpoint']), r) for r in rows)
        result = []
        for endpoint in self.endpoints:
            row = found.get(endpoint_key(endpoint))
            if row is None:
                reason = reasons.get(endpoint_key(endpoint), 'etcdctl endpoint status printed nothing for this endpoint')
                result.append(dict(endpoint=endpoint, reachable=False, error=reason))
                continue
            try:
                result.append(normalise_status(endpoint, row['Status']))
            except (KeyError, TypeError, ValueError) as exc:
                raise self.bad_output(args, 'status of %s could not be read (%s)' % (endpoint, exc),
                                      json.dumps(rows), rc, err)
        return result

    def member_list(self):
        return self.run_json_rows(['member', 'list', '-w', 'json'], normalise_member, 'a member', key='members')

    def alarm_list(self):
        return self.run_json_rows(['alarm', 'list', '-w', 'json'], normalise_alarm, 'an alarm', key='alarms')

    def member_add(self, name, peer_urls, learner):
        """``member add``; returns the new member (normalised, named ``name``: etcd names it at its first start)."""
        args = ['member', 'add', name, '--peer-urls', ','.join(peer_urls)] + (['--learner'] if learner else [])
        data, rc, err = self.run_json(args + ['-w', 'json'])
        try:
            member = normalise_member(data['member'])
        except (KeyError, TypeError, ValueError) as exc:
            raise self.bad_output(args, 'the new member could not be read (%s)' % exc, json.dumps(data), rc, err)
        member['name'] = name
        return member

    def member_remove(self, member_id):
        self.run(['member', 'remove', id_hex(member_id)])

    def member_promote(self, member_id):
        """``member promote``; ``False`` while the learner is not yet in sync with the leader."""
        args = ['member', 'promote', id_hex(member_id)]
        argv, rc, out, err = self.run(args, expected_rc=None)
        if rc == 0:
            return True
        if 'in sync with leader' in (err or '') + (out or ''):
            return False
        raise CliError(self.describe_failure(args, rc, out, err), cmd=format_cmd(argv), rc=rc, stdout=out, stderr=err)


def normalise_status(endpoint, status):
    header = status.get('header', {})
    member_id = int(header['member_id'])
    leader_id = int(status.get('leader', 0)) or None
    return dict(
        endpoint=endpoint,
        reachable=True,
        error=None,
        member_id=member_id,
        member_id_hex=id_hex(member_id),
        cluster_id_hex=id_hex(int(header['cluster_id'])) if 'cluster_id' in header else None,
        version=status.get('version'),
        leader_id=leader_id,
        leader_id_hex=id_hex(leader_id),
        is_leader=leader_id is not None and leader_id == member_id,
        is_learner=bool(status.get('isLearner', False)),
        raft_term=int(status.get('raftTerm', header.get('raft_term', 0))),
        raft_index=int(status.get('raftIndex', 0)),
        raft_applied_index=int(status.get('raftAppliedIndex', 0)),
        revision=int(header.get('revision', 0)),
        db_size=int(status.get('dbSize', 0)),
        db_size_in_use=int(status.get('dbSizeInUse', 0)),
        errors=list(status.get('errors', [])),
    )


def normalise_member(member):
    member_id = int(member['ID'])
    return dict(
        id=member_id,
        id_hex=id_hex(member_id),
        # An added member that never started has no name yet.
        name=member.get('name') or None,
        peer_urls=list(member.get('peerURLs', [])),
        client_urls=list(member.get('clientURLs', [])),
        is_learner=bool(member.get('isLearner', False)),
    )


def normalise_alarm(alarm):
    member_id = int(alarm['memberID'])
    kind = alarm.get('alarm', 0)
    if isinstance(kind, int) and not isinstance(kind, bool):
        kind = ALARM_TYPES.get(kind, str(kind))
    return dict(member_id=member_id, member_id_hex=id_hex(member_id), alarm=str(kind))


def snapshot(client, tolerate_errors=False):
    """Everything the etcd modules look at, in one dict.

    With ``tolerate_errors`` a failing etcdctl call is recorded under ``errors`` (as
    :class:`CliError`) instead of raised, so a wait loop can keep polling.
    """
    state = dict(health=None, status=None, members=None, alarms=None, errors=[])
    for key, call in (('health', client.endpoint_health), ('status', client.endpoint_status),
                      ('members', client.member_list), ('alarms', client.alarm_list)):
        try:
            state[key] = call()
        except CliError as exc:
            if not tolerate_errors:
                raise
            state['errors'].append(exc)
    return state


def assess(state, endpoints):
    """Judge a snapshot: ``(problems, rows, summary)``.

    ``problems`` lists sentences naming what is wrong; ``rows`` has one entry per
    endpoint in ``endpoints`` (the ones asked for); ``summary`` carries the cluster-level facts.
    """
    problems = []
    members = state.get('members') or []
    by_id = dict((m['id'], m) for m in members)
    by_url = {}
    for m in members:
        for url in m['client_urls']:
            by_url[endpoint_key(url)] = m
    health = dict((endpoint_key(h['endpoint']), h) for h in state.get('health') or [])
    status = dict((endpoint_key(s['endpoint']), s) for s in state.get('status') or [])
    alarms = state.get('alarms') or []

    for exc in state.get('errors', []):
        problems.append(exc.msg)

    rows = []
    for endpoint in endpoints:
        key = endpoint_key(endpoint)
        h = health.get(key)
        s = status.get(key)
        member = None
        if s and s.get('reachable'):
            member = by_id.get(s['member_id'])
        if member is None:
            member = by_url.get(key)
        row = dict(
            endpoint=endpoint,
            member=member['name'] if member else None,
            member_id_hex=member['id_hex'] if member else (s or {}).get('member_id_hex'),
            healthy=h['healthy'] if h else None,
            reachable=s['reachable'] if s else None,
            is_leader=bool(s and s.get('is_leader')),
            is_learner=bool((s and s.get('is_learner')) or (member and member['is_learner'])),
            raft_term=(s or {}).get('raft_term'),
            raft_index=(s or {}).get('raft_index'),
            db_size=(s or {}).get('db_size'),
            problems=[],
        )
        if h is None:
            row['problems'].append('no health answer')
        elif not h['healthy']:
            row['problems'].append('unhealthy: %s' % (h['error'] or 'no reason given'))
        if s is not None and not s['reachable']:
            row['problems'].append('no status: %s' % s['error'])
        elif s is not None and s['errors']:
            row['problems'].append('errors: %s' % '; '.join(e.strip() for e in s['errors']))
        rows.append(row)
        if row['problems']:
            problems.append('Endpoint %s%s is not healthy (%s).' % (
                endpoint, ' (member %s)' % row['member'] if row['member'] else '', '; '.join(row['problems'])))

    leader_ids = sorted(set(s['leader_id'] for s in status.values() if s.get('reachable') and s.get('leader_id')))
    leader = by_id.get(leader_ids[0]) if len(leader_ids) == 1 else None
    if state.get('status') is not None:
        if not leader_ids:
            problems.append('No endpoint reports a raft leader: the cluster has no quorum.')
        elif len(leader_ids) > 1:
            problems.append('Endpoints disagree on the raft leader (%s).' % ', '.join(id_hex(i) for i in leader_ids))
        elif state.get('members') is not None and leader is None:
            problems.append('The raft leader %s reported by the endpoints is not in the member list.' % id_hex(leader_ids[0]))
    for alarm in alarms:
        name = by_id.get(alarm['member_id'], {}).get('name') or alarm['member_id_hex']
        problems.append('Alarm %s is raised on member %s; clear its cause, then run etcdctl alarm disarm.'
                        % (alarm['alarm'], name))

    reachable = [s for s in status.values() if s.get('reachable')]
    summary = dict(
        leader=dict(id=leader['id'], id_hex=leader['id_hex'], name=leader['name']) if leader else (
            dict(id=leader_ids[0], id_hex=id_hex(leader_ids[0]), name=None) if len(leader_ids) == 1 else None),
        raft_term=max([s['raft_term'] for s in reachable]) if reachable else None,
        raft_index=max([s['raft_index'] for s in reachable]) if reachable else None,
        cluster_id_hex=reachable[0]['cluster_id_hex'] if reachable else None,
        healthy=not problems,
    )
    return problems, rows, summary


def quorum_after_removal(members, status_rows, member_id):
    """Whether the voting members left after removing ``member_id`` still have a reachable majority.

    Returns ``(ok, voters_left, reachable_left)``: ``voters_left`` the names (or hex IDs) of the
    voting members that stay, ``reachable_left`` those of them that answered ``endpoint status``.
    """
    reachable_ids = set(row['member_id'] for row in status_rows if row.get('reachable'))
    voters = [m for m in members if not m['is_learner'] and m['id'] != member_id]
    reachable = [m for m in voters if m['id'] in reachable_ids]
    names = [m['name'] or m['id_hex'] for m in voters]
    return bool(voters) and len(reachable) >= len(voters) // 2 + 1, names, [m['name'] or m['id_hex'] for m in reachable]


def endpoint_table(rows):
    """Plain-text table of the endpoint rows (one string per line) for failure messages."""
    header = ('endpoint', 'member', 'healthy', 'leader', 'raft_term', 'raft_index', 'problem')
    lines = [header]
    for r in rows:
        lines.append((r['endpoint'], r['member'] or '?', {True: 'yes', False: 'no', None: '?'}[r['healthy']],
                      'yes' if r['is_leader'] else 'no',
                      '' if r['raft_term'] is None else str(r['raft_term']),
                      '' if r['raft_index'] is None else str(r['raft_index']),
                      '; '.join(r['problems']) or '-'))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return ['  '.join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in lines]
