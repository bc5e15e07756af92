# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the pgha.cluster collection. It may change or vanish
# in any release without notice; do not import it from other collections.

"""A small client for ``pgbackrest`` (``info --output=json``) and the reading of its answer.

Everything but :class:`PgBackRest` is plain Python, testable without Ansible: the
normalisation of one stanza, WAL segment names and LSNs, and the check of a restore target
against the backups and the archive.

Things the JSON of pgBackRest 2.55 does that the parsing below relies on:

* ``info`` prints a JSON list of stanzas, also for a single ``--stanza``, and exits 0 even
  when the stanza is missing, has no backup, or a repository could not be read: that state
  is in ``status`` (``code``/``message``), per repository in ``repo[].status``. For code 99
  the stanza's message is only ``other``; the reason is in the repository's message.
* An error before ``info`` can run (configuration file missing or unreadable) exits non-zero
  and prints ``P00  ERROR: [NNN]: ...`` on stdout, not stderr; stdout is then not JSON.
* A repository read with a wrong ``repo1-cipher-pass`` reports the decrypted garbage in its
  message: raw control characters inside a JSON string (invalid JSON, so the parse is not
  strict) and bytes that are not UTF-8 (``run_command`` hands them over as surrogate escapes;
  they are replaced by U+FFFD here).
* Timestamps (``timestamp.start``/``stop``) are Unix epoch seconds (UTC); LSNs are
  ``X/Y`` hex strings; WAL positions are 24-character segment names; sizes are bytes;
  ``system-id`` is an integer above 2**53 (Python's ``json`` keeps it exact).
* ``archive[]`` gives one min/max per archive id (``17-1``: PostgreSQL version and database
  id), across timelines: after a promotion ``min`` may be on timeline 1 and ``max`` on 2.
  It says nothing about gaps between the two.
* ``status.lock.backup.held`` is true while a backup runs, with ``size``/``size-cplt``.
"""

from __future__ import annotations

import datetime
import json
import re

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliClient, CliError, format_cmd

#: WAL segment size assumed for the end of the archive (PostgreSQL's default, ``initdb --wal-segsize 16``).
WAL_SEGMENT_SIZE = 16 * 1024 * 1024

#: Stanza status codes of ``pgbackrest info`` (src/command/info/info.c).
STATUS_OK = 0
STATUS_MISSING_STANZA_PATH = 1
STATUS_NO_BACKUP = 2

TARGET_TYPES = ('latest', 'immediate', 'time', 'lsn', 'name', 'xid')
#: Target types that need a value in ``target``.
TARGET_TYPES_WITH_VALUE = ('time', 'lsn', 'name', 'xid')

SEGMENT_RE = re.compile(r'^([0-9A-F]{8})([0-9A-F]{8})([0-9A-F]{8})$')
LSN_RE = re.compile(r'^([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})$')
TIME_RE = re.compile(
    r'^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?'
    r'\s*(Z|UTC|[+-]\d{2}(?::?\d{2})?)?$', re.IGNORECASE)
CONTROL_RE = re.compile('[\x00-\x08\x0b-\x1f\x7f]')


def pgbackrest_argument_spec():
    """Options shared by every module that runs pgbackrest (doc fragment ``pgha.cluster.pgbackrest``)."""
    return dict(
        stanza=dict(type='str', required=True),
        config=dict(type='path'),
        pgbackrest_path=dict(type='path'),
    )


class PgBackRest(CliClient):
    """Runs ``pgbackrest`` with the module's configuration file."""

    binary = 'pgbackrest'
    path_option = 'pgbackrest_path'

    def __init__(self, module):
        super(PgBackRest, self).__init__(module)
        self.stanza = module.params['stanza'].strip()
        if not self.stanza:
            module.fail_json(msg='Option stanza is empty: name the pgBackRest stanza to read, for example pg-cluster.')

    def config_args(self):
        # Not in base_args: `pgbackrest --config=... version` is refused (exit 31, "option 'config' not
        # valid for command 'version'").
        config = self.module.params.get('config')
        return ['--config=%s' % config] if config else []

    def describe_failure(self, args, rc, out, err):
        # pgbackrest takes options before its command word (--output=json info): name the command only.
        words = [arg for arg in args if not str(arg).startswith('-')]
        msg = super(PgBackRest, self).describe_failure(words, rc, out, err)
        hint = failure_hint(out, err)
        return '%s. %s' % (msg.rstrip('.'), hint) if hint else msg

    def version(self):
        """Version of pgbackrest, e.g. ``2.55.1``."""
        argv, rc, out, err = self.run(['version'])
        version = parse_version(out)
        if version is None:
            raise CliError('pgbackrest version printed no "pgBackRest X.Y" line.', cmd=format_cmd(argv),
                           rc=rc, stdout=out, stderr=err)
        return version

    def info(self):
        """The stanza's entry of ``pgbackrest --output=json info --stanza=<stanza>``, normalised."""
        args = self.config_args() + ['--output=json', 'info', '--stanza=%s' % self.stanza]
        argv, rc, out, err = self.run(args)
        try:
            data = loads(out)
        except ValueError as exc:
            raise CliError('pgbackrest info printed output that is not valid JSON (%s).' % exc,
                           cmd=format_cmd(argv), rc=rc, stdout=out, stderr=err)
        try:
            return normalise_stanza(find_stanza(data, self.stanza))
        except (KeyError, TypeError, ValueError) as exc:
            what = 'no key %s' % exc if isinstance(exc, KeyError) else str(exc)
            raise CliError('pgbackrest info printed JSON of an unexpected shape: %s.' % what,
                           cmd=format_cmd(argv), rc=rc, stdout=out, stderr=err)


# -- reading the output ------------------------------------------------------------


def loads(text):
    """Parse pgbackrest's JSON; raw control characters inside strings are accepted (see above)."""
    return json.loads(text, strict=False)


def clean_text(text):
    """Text fit for a result: bytes that were not UTF-8 and control characters become U+FFFD."""
    if text is None:
        return None
    text = text.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')
    return CONTROL_RE.sub('\ufffd', text)


def failure_hint(out, err):
    """What to do about the errors pgbackrest reports before it reads the repository, or None.

    pgbackrest prints them as ``P00  ERROR: [NNN]: ...``, on stdout by default.
    """
    text = '%s\n%s' % (out or '', err or '')
    match = re.search(r'ERROR: \[(\d{3})\]: (.*)', text)
    if not match:
        return None
    code, detail = int(match.group(1)), match.group(2)
    if code == 55:
        return 'Set option config to the pgBackRest configuration file, or create it.'
    if code == 41 and 'Permission denied' in detail:
        return 'Run the task as the user that runs pgbackrest (usually become_user: postgres).'
    return None


def parse_version(text):
    """``2.55.1`` from ``pgBackRest 2.55.1``; None when the line is not there."""
    match = re.search(r'^pgBackRest (\S+)\s*$', text or '', re.MULTILINE)
    return match.group(1) if match else None


def find_stanza(data, name):
    """The entry of stanza ``name`` in the list ``info`` prints; ValueError when it is not there."""
    if not isinstance(data, list) or not all(isinstance(entry, dict) for entry in data):
        raise ValueError('expected a list of stanzas')
    for entry in data:
        if entry.get('name') == name:
            return entry
    raise ValueError('stanza %s is not in the output (stanzas: %s)'
                     % (name, ', '.join(str(entry.get('name')) for entry in data) or 'none'))


def iso_utc(epoch):
    """ISO 8601 UTC text of Unix epoch seconds: ``2026-12-01T16:18:38+00:00``."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).isoformat()


def parse_lsn(text):
    """Integer position of a PostgreSQL LSN ``X/Y`` (hex); ValueError when it is not one."""
    match = LSN_RE.match(str(text).strip())
    if not match:
        raise ValueError('%r is not an LSN: write two hex numbers separated by a slash, for example 0/3000120'
                         % (text,))
    return (int(match.group(1), 16) << 32) | int(match.group(2), 16)


def format_lsn(position):
    """``X/Y`` as PostgreSQL prints it (upper-case hex, no leading zeros)."""
    return '%X/%X' % (position >> 32, position & 0xFFFFFFFF)


def parse_segment(name, segment_size=WAL_SEGMENT_SIZE):
    """``(timeline, start, end)`` of a WAL segment name; ``end`` is the first position after it.

    A name is ``TTTTTTTTXXXXXXXXYYYYYYYY``: timeline, then the segment number split in
    ``2**32 / segment_size`` segments per ``XXXXXXXX``.
    """
    match = SEGMENT_RE.match(str(name))
    if not match:
        raise ValueError('%r is not a WAL segment name' % (name,))
    timeline, high, low = (int(part, 16) for part in match.groups())
    per_id = 0x100000000 // segment_size
    if low >= per_id:
        raise ValueError('%r does not fit WAL segments of %d bytes' % (name, segment_size))
    start = high * 0x100000000 + low * segment_size
    return timeline, start, start + segment_size


def normalise_backup(backup):
    timestamp = backup.get('timestamp') or {}
    lsn = backup.get('lsn') or {}
    wal = backup.get('archive') or {}
    info = backup.get('info') or {}
    repository = info.get('repository') or {}
    database = backup.get('database') or {}
    return dict(
        label=backup['label'],
        type=backup['type'],
        prior=backup.get('prior'),
        reference=list(backup.get('reference') or []),
        error=bool(backup.get('error', False)),
        start_time=iso_utc(timestamp.get('start')),
        stop_time=iso_utc(timestamp.get('stop')),
        start_epoch=timestamp.get('start'),
        stop_epoch=timestamp.get('stop'),
        lsn_start=lsn.get('start'),
        lsn_stop=lsn.get('stop'),
        wal_start=wal.get('start'),
        wal_stop=wal.get('stop'),
        database_id=database.get('id'),
        repo_key=database.get('repo-key'),
        database_size=info.get('size'),
        database_delta=info.get('delta'),
        repo_size=repository.get('size'),
        repo_delta=repository.get('delta'),
        pgbackrest_version=(backup.get('backrest') or {}).get('version'),
    )


def normalise_archive(archive):
    database = archive.get('database') or {}
    result = dict(
        id=archive['id'],
        database_id=database.get('id'),
        repo_key=database.get('repo-key'),
        min=archive.get('min'),
        max=archive.get('max'),
        min_timeline=None,
        max_timeline=None,
        min_lsn=None,
        max_lsn=None,
    )
    if result['min']:
        result['min_timeline'], start, dummy = parse_segment(result['min'])
        result['min_lsn'] = format_lsn(start)
    if result['max']:
        result['max_timeline'], dummy, end = parse_segment(result['max'])
        result['max_lsn'] = format_lsn(end)
    return result


def normalise_stanza(stanza):
    """The result of one stanza entry of ``info``: status, backups (oldest first), archive, repositories, problems."""
    status = stanza['status']
    lock = (status.get('lock') or {}).get('backup') or {}
    backups = [normalise_backup(backup) for backup in stanza.get('backup') or []]
    result = dict(
        stanza=dict(
            name=stanza['name'],
            code=status['code'],
            message=clean_text(status.get('message')),
            cipher=stanza.get('cipher'),
            backup_running=bool(lock.get('held', False)),
            backup_size=lock.get('size'),
            backup_size_done=lock.get('size-cplt'),
        ),
        ok=status['code'] == STATUS_OK,
        backups=backups,
        backup_count=len(backups),
        latest_backup=backups[-1]['label'] if backups else None,
        archive=[normalise_archive(archive) for archive in stanza.get('archive') or []],
        repos=[dict(key=repo.get('key'), cipher=repo.get('cipher'), code=repo['status']['code'],
                    message=clean_text(repo['status'].get('message')))
               for repo in stanza.get('repo') or []],
        databases=[dict(id=db.get('id'), repo_key=db.get('repo-key'), system_id=db.get('system-id'),
                        version=db.get('version'))
                   for db in stanza.get('db') or []],
    )
    result['problems'] = problems(result)
    return result


def problems(info):
    """What pgBackRest reports as wrong with the stanza, one sentence each; empty when ``ok``.

    For status 99 the stanza's message is only ``other``: the repositories' messages say why.
    """
    if info['ok']:
        return []
    stanza = info['stanza']
    found = ['Stanza %s: %s (status code %s).' % (stanza['name'], stanza['message'], stanza['code'])]
    for repo in info['repos']:
        if repo['code'] != STATUS_OK and repo['message'] != stanza['message']:
            found.append('Repository repo%s: %s (status code %s).' % (repo['key'], repo['message'], repo['code']))
    return found


# -- restore targets -----------------------------------------------------------------


def parse_time(text):
    """An aware UTC datetime from ``YYYY-MM-DD HH:MM:SS[.ffffff][offset]``.

    The offset may be ``Z``, ``UTC``, ``+HH``, ``+HHMM`` or ``+HH:MM`` (or ``-``); without one
    the time is taken as UTC. ValueError when the text is not such a time.
    """
    match = TIME_RE.match(str(text).strip())
    if not match:
        raise ValueError('%r is not a time: write YYYY-MM-DD HH:MM:SS[.ffffff] with a numeric offset such as '
                         '+00 or +02:00 (zone names are not read)' % (text,))
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    microsecond = int((fraction or '0').ljust(6, '0'))
    zone = datetime.timezone.utc
    if offset and offset.upper() not in ('Z', 'UTC'):
        digits = offset[1:].replace(':', '')
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 15 or minutes > 59:
            raise ValueError('%r has an offset out of range (%s)' % (text, offset))
        delta = datetime.timedelta(hours=hours, minutes=minutes)
        zone = datetime.timezone(-delta if offset[0] == '-' else delta)
    try:
        moment = datetime.datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)
    except ValueError as exc:
        raise ValueError('%r is not a time (%s)' % (text, exc))
    return moment.astimezone(datetime.timezone.utc)


def check_target(info, target_type, target=None):
    """``(ok, reason)``: whether the backups and the archive of ``info`` can reach the restore target.

    ``info`` is what :func:`normalise_stanza` returns. ``latest`` and ``immediate`` need one
    backup; ``time`` must lie at or after the stop of the oldest backup; ``lsn`` at or after the
    oldest backup's stop LSN and before the end of the archive (``max_lsn``); ``name`` and ``xid``
    cannot be seen in the repository, only that a backup exists before them.
    """
    if target_type not in TARGET_TYPES:
        raise ValueError('target type %r is not one of %s' % (target_type, ', '.join(TARGET_TYPES)))
    backups = info['backups']
    if not backups:
        return False, ' '.join(['Stanza %s lists no backup, so restore target %s cannot be reached.'
                                % (info['stanza']['name'], target_type)] + info['problems'])
    oldest, latest = backups[0], backups[-1]

    if target_type == 'latest':
        return True, ('Backup %s (stopped %s) is restored and the archived WAL replayed to its end%s.'
                      % (latest['label'], latest['stop_time'], archive_end_words(info, latest)))
    if target_type == 'immediate':
        return True, ('Backup %s is consistent at its stop (%s, LSN %s).'
                      % (latest['label'], latest['stop_time'], latest['lsn_stop']))

    if target_type == 'time':
        try:
            moment = parse_time(target)
        except ValueError as exc:
            return False, 'Target time %s.' % exc
        text = moment.isoformat()
        earliest = datetime.datetime.fromtimestamp(oldest['stop_epoch'], datetime.timezone.utc)
        if moment < earliest:
            return False, ('Target time %s is before the stop of the oldest backup %s (%s): no backup is '
                           'consistent by then.' % (text, oldest['label'], oldest['stop_time']))
        chosen = [b for b in backups if b['stop_epoch'] <= moment.timestamp()][-1]
        return True, ('Target time %s is at or after the stop of backup %s (%s); pgbackrest info does not show '
                      'the time of the last archived WAL, so that the archive reaches it is not checked.'
                      % (text, chosen['label'], chosen['stop_time']))

    if target_type == 'lsn':
        try:
            position = parse_lsn(target)
        except ValueError as exc:
            return False, 'Target LSN %s.' % exc
        text = format_lsn(position)
        candidates = [b for b in backups if b['lsn_stop'] and parse_lsn(b['lsn_stop']) <= position]
        if not candidates:
            return False, ('Target LSN %s is before the stop LSN %s of the oldest backup %s.'
                           % (text, oldest['lsn_stop'], oldest['label']))
        chosen = candidates[-1]
        archive = archive_of(info, chosen)
        if archive is None or archive['max_lsn'] is None:
            return False, 'Target LSN %s: the archive of backup %s holds no WAL.' % (text, chosen['label'])
        if position >= parse_lsn(archive['max_lsn']):
            return False, ('Target LSN %s is not before the end of the archive (%s, end of segment %s).'
                           % (text, archive['max_lsn'], archive['max']))
        return True, ('Target LSN %s lies between the stop of backup %s (%s) and the end of the archive '
                      '(%s, end of segment %s); that segment may hold less WAL (after a WAL switch), so the end '
                      'is an upper bound.'
                      % (text, chosen['label'], chosen['lsn_stop'], archive['max_lsn'], archive['max']))

    if target_type == 'name':
        if not str(target or '').strip():
            return False, 'Target name is empty: name the restore point created with pg_create_restore_point().'
        return True, ('Restore point %s cannot be seen in the repository; backup %s (stopped %s) exists, so it can '
                      'be reached if it was created after that and its WAL is archived.'
                      % (target, oldest['label'], oldest['stop_time']))

    # xid
    if not re.match(r'^\d+$', str(target or '').strip()):
        return False, 'Target xid %r is not a transaction ID (a non-negative integer).' % (target,)
    return True, ('Transaction %s cannot be seen in the repository; backup %s (stopped %s) exists, so it can be '
                  'reached if it committed after that and its WAL is archived.'
                  % (str(target).strip(), oldest['label'], oldest['stop_time']))


def target_backup(info, target_type, target=None):
    """The label of the backup a restore to the target starts from, or None when it cannot be told.

    ``latest`` and ``immediate``: the newest backup; ``time``: the newest backup that stopped at or
    before the target; ``lsn``: the newest whose stop LSN is at or before it. ``name`` and ``xid`` cannot
    be placed in the repository (None: the caller names the backup, or pgBackRest takes the newest).
    A target that :func:`check_target` refuses gives None as well.
    """
    ok, _reason = check_target(info, target_type, target)
    if not ok:
        return None
    backups = info['backups']
    if target_type in ('latest', 'immediate'):
        return backups[-1]['label']
    if target_type == 'time':
        moment = parse_time(target).timestamp()
        return [b for b in backups if b['stop_epoch'] <= moment][-1]['label']
    if target_type == 'lsn':
        position = parse_lsn(target)
        return [b for b in backups if b['lsn_stop'] and parse_lsn(b['lsn_stop']) <= position][-1]['label']
    return None


def archive_of(info, backup):
    """The archive entry of the backup's database id, or None."""
    for archive in info['archive']:
        if archive['database_id'] == backup['database_id']:
            return archive
    return None


def archive_end_words(info, backup):
    archive = archive_of(info, backup)
    if archive is None or archive['max_lsn'] is None:
        return ''
    return ' (archive up to %s, end of segment %s)' % (archive['max_lsn'], archive['max'])
