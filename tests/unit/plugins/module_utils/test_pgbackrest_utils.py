# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Parsing and restore-target checks of _pgbackrest, fed with recorded pgBackRest 2.55.1 output."""

from __future__ import annotations

import datetime
import json

import pytest

from ansible_collections.pgha.cluster.plugins.module_utils import _pgbackrest as pgbr
from ansible_collections.pgha.cluster.tests.unit.utils import load_record

UTC = datetime.timezone.utc


def info(name, stanza='pg-cluster'):
    """The normalised stanza of recording pgbackrest-2.55/<name>."""
    return pgbr.normalise_stanza(pgbr.find_stanza(pgbr.loads(load_record('pgbackrest-2.55/' + name)['stdout']), stanza))


# -- the JSON itself ---------------------------------------------------------------


def test_wrong_passphrase_output_is_not_strict_json():
    # pgBackRest puts the decrypted garbage into a JSON string as raw control characters.
    stdout = load_record('pgbackrest-2.55/info_wrong_passphrase')['stdout']
    with pytest.raises(ValueError, match='Invalid control character'):
        json.loads(stdout)
    assert pgbr.loads(stdout)[0]['status']['code'] == 99


def test_wrong_passphrase_message_is_cleaned():
    result = info('info_wrong_passphrase')
    message = result['repos'][0]['message']
    assert message.startswith("[FormatError] unable to load info file "
                              "'/var/lib/pgbackrest/backup/pg-cluster/backup.info'")
    assert 'key/value found outside of section at line 1: \ufffd\ufffd\ufffd\ufffd\n' in message
    assert not [c for c in message if c not in '\n' and (ord(c) < 32 or 0xd800 <= ord(c) <= 0xdfff)]
    message.encode('utf-8')  # no lone surrogates left: this would raise


def test_clean_text_keeps_plain_text():
    assert pgbr.clean_text('no valid backups') == 'no valid backups'
    assert pgbr.clean_text('a\tb\nc') == 'a\tb\nc'
    assert pgbr.clean_text(None) is None


def test_system_id_stays_an_exact_integer():
    system_id = info('info_no_backup')['databases'][0]['system_id']
    assert system_id == 7714370650012703211 and float(system_id) != system_id


@pytest.mark.parametrize('name, stanzas', [
    ('info_no_stanza_all', 'none'),
    ('info_full_diff_incr_all', 'pg-cluster'),
])
def test_find_stanza_names_what_is_there(name, stanzas):
    data = pgbr.loads(load_record('pgbackrest-2.55/' + name)['stdout'])
    with pytest.raises(ValueError, match=r'stanza other is not in the output \(stanzas: %s\)' % stanzas):
        pgbr.find_stanza(data, 'other')


def test_find_stanza_in_the_list_of_all_stanzas():
    data = pgbr.loads(load_record('pgbackrest-2.55/info_full_diff_incr_all')['stdout'])
    assert pgbr.find_stanza(data, 'pg-cluster')['backup'][0]['label'] == '20261201-161838F'


@pytest.mark.parametrize('data', [{'name': 'pg-cluster'}, ['pg-cluster'], None])
def test_find_stanza_wants_a_list_of_objects(data):
    with pytest.raises(ValueError, match='expected a list of stanzas'):
        pgbr.find_stanza(data, 'pg-cluster')


def test_version():
    assert pgbr.parse_version(load_record('pgbackrest-2.55/version')['stdout']) == '2.55.1'
    assert pgbr.parse_version('pgbackrest 2.55.1\n') is None
    assert pgbr.parse_version('') is None


@pytest.mark.parametrize('name, hint', [
    ('info_missing_config', 'Set option config to the pgBackRest configuration file, or create it.'),
    ('info_as_nobody', 'Run the task as the user that runs pgbackrest (usually become_user: postgres).'),
])
def test_failure_hint_from_the_recorded_errors(name, hint):
    record = load_record('pgbackrest-2.55/' + name)
    assert record['stderr'] == ''  # pgbackrest prints these on stdout
    assert pgbr.failure_hint(record['stdout'], record['stderr']) == hint


def test_no_hint_for_other_errors():
    assert pgbr.failure_hint('P00  ERROR: [028]: backup and archive info files exist but do not match\n', '') is None
    assert pgbr.failure_hint('', 'Segmentation fault\n') is None


# -- LSNs, segments, times -----------------------------------------------------------


@pytest.mark.parametrize('text, position', [
    ('0/3000120', 0x3000120),
    ('0/0', 0),
    ('1/0', 1 << 32),
    ('2f/ffffffff', (0x2f << 32) | 0xffffffff),
])
def test_lsn_round_trip(text, position):
    assert pgbr.parse_lsn(text) == position
    assert pgbr.format_lsn(position) == text.upper()


@pytest.mark.parametrize('text', ['0x3000120', '3000120', '0/', '/1', '0/123456789', '0/3000120/1', 'g/0', ''])
def test_lsn_refused(text):
    with pytest.raises(ValueError, match='is not an LSN'):
        pgbr.parse_lsn(text)


@pytest.mark.parametrize('name, timeline, start, end', [
    ('000000010000000000000001', 1, '0/1000000', '0/2000000'),
    ('00000001000000000000000C', 1, '0/C000000', '0/D000000'),
    ('00000002000000000000002E', 2, '0/2E000000', '0/2F000000'),
    ('0000000300000001000000FF', 3, '1/FF000000', '2/0'),
])
def test_segment_bounds(name, timeline, start, end):
    found = pgbr.parse_segment(name)
    assert (found[0], pgbr.format_lsn(found[1]), pgbr.format_lsn(found[2])) == (timeline, start, end)


@pytest.mark.parametrize('name', ['00000001000000000000001', '0000000100000000000000100', '000000010000000000000G01',
                                  '00000002.history', '000000010000000100000100'])
def test_segment_refused(name):
    with pytest.raises(ValueError):
        pgbr.parse_segment(name)


def test_segment_of_another_size():
    # 1 GiB segments: four per XXXXXXXX.
    assert pgbr.parse_segment('000000010000000000000003', 1 << 30)[1:] == (3 << 30, 4 << 30)
    with pytest.raises(ValueError, match='does not fit WAL segments'):
        pgbr.parse_segment('000000010000000000000004', 1 << 30)


@pytest.mark.parametrize('text, expected', [
    ('2026-12-01 16:18:43', datetime.datetime(2026, 12, 1, 16, 18, 43, tzinfo=UTC)),
    ('2026-12-01T16:18:43Z', datetime.datetime(2026, 12, 1, 16, 18, 43, tzinfo=UTC)),
    ('2026-12-01 16:18:43 UTC', datetime.datetime(2026, 12, 1, 16, 18, 43, tzinfo=UTC)),
    ('2026-12-01 16:18:43.5+00', datetime.datetime(2026, 12, 1, 16, 18, 43, 500000, tzinfo=UTC)),
    ('2026-12-01 16:18:43.000001-00:00', datetime.datetime(2026, 12, 1, 16, 18, 43, 1, tzinfo=UTC)),
    ('2026-12-01 17:18:43+01', datetime.datetime(2026, 12, 1, 16, 18, 43, tzinfo=UTC)),
    ('2026-12-01 22:48:43+0630', datetime.datetime(2026, 12, 1, 16, 18, 43, tzinfo=UTC)),
    ('2026-12-01 11:18:43-05:00', datetime.datetime(2026, 12, 1, 16, 18, 43, tzinfo=UTC)),
])
def test_time_parsed_to_utc(text, expected):
    parsed = pgbr.parse_time(text)
    assert parsed == expected and parsed.utcoffset() == datetime.timedelta(0)


@pytest.mark.parametrize('text, why', [
    ('2026-12-01 16:18:43 Europe/Paris', 'is not a time: write YYYY-MM-DD HH:MM:SS'),
    ('2026-12-01', 'is not a time: write'),
    ('01.12.2026 16:18:43', 'is not a time: write'),
    ('2026-12-01 16:18:43.1234567', 'is not a time: write'),
    ('2026-02-30 16:18:43', r'is not a time \(day is out of range for month\)'),
    ('2026-12-01 25:00:00', r'is not a time \(hour must be in 0..23\)'),
    ('2026-12-01 16:18:43+16', 'has an offset out of range'),
])
def test_time_refused(text, why):
    with pytest.raises(ValueError, match=why):
        pgbr.parse_time(text)


# -- normalisation --------------------------------------------------------------------


def test_full_diff_incr_normalised():
    result = info('info_full_diff_incr')
    assert [(b['label'], b['type'], b['prior']) for b in result['backups']] == [
        ('20261201-161838F', 'full', None),
        ('20261201-161838F_20261201-161851D', 'diff', '20261201-161838F'),
        ('20261201-161838F_20261201-161858I', 'incr', '20261201-161838F_20261201-161851D'),
    ]
    assert result['backups'][2] == dict(
        label='20261201-161838F_20261201-161858I', type='incr', prior='20261201-161838F_20261201-161851D',
        reference=['20261201-161838F', '20261201-161838F_20261201-161851D'], error=False,
        start_time='2026-12-01T16:18:58+00:00', stop_time='2026-12-01T16:19:03+00:00',
        start_epoch=1796141938, stop_epoch=1796141943, lsn_start='0/8000028', lsn_stop='0/9000050',
        wal_start='000000010000000000000008', wal_stop='000000010000000000000009', database_id=1, repo_key=1,
        database_size=28846494, database_delta=6095106, repo_size=3645408, repo_delta=677168,
        pgbackrest_version='2.55.1')
    assert result['archive'] == [dict(
        id='17-1', database_id=1, repo_key=1, min='000000010000000000000001', max='00000001000000000000000C',
        min_timeline=1, max_timeline=1, min_lsn='0/1000000', max_lsn='0/D000000')]
    assert (result['ok'], result['problems'], result['latest_backup'], result['backup_count']) == \
        (True, [], '20261201-161838F_20261201-161858I', 3)


def test_archive_across_a_timeline_switch():
    # After a point-in-time restore and promotion: one archive id, min on timeline 1, max on 2.
    archive = info('info_timeline_2')['archive']
    assert [(a['id'], a['min_timeline'], a['max_timeline'], a['max_lsn']) for a in archive] == \
        [('17-1', 1, 2, '0/2F000000')]


def test_missing_stanza_has_no_archive():
    result = info('info_no_stanza')
    assert (result['ok'], result['stanza']['code'], result['archive'], result['backups'], result['databases']) == \
        (False, 1, [], [], [])
    assert result['problems'] == ['Stanza pg-cluster: missing stanza path (status code 1).']


def test_status_99_names_the_repository_error():
    result = info('info_repo_permission_denied')
    assert result['stanza']['message'] == 'other'
    assert result['problems'] == [
        'Stanza pg-cluster: other (status code 99).',
        "Repository repo1: [PathOpenError] unable to list file info for path '/var/lib/pgbackrest/backup': "
        "[13] Permission denied (status code 99).",
    ]


# -- restore targets -------------------------------------------------------------------


@pytest.mark.parametrize('name', ['info_no_stanza', 'info_no_backup', 'info_repo_permission_denied'])
@pytest.mark.parametrize('target_type, target', [
    ('latest', None), ('immediate', None), ('time', '2026-12-01 16:18:43+00'), ('lsn', '0/3000120'),
    ('name', 'before-upgrade'), ('xid', '757'),
])
def test_no_backup_reaches_no_target(name, target_type, target):
    result = info(name)
    ok, reason = pgbr.check_target(result, target_type, target)
    assert ok is False
    assert reason.startswith('Stanza pg-cluster lists no backup, so restore target %s cannot be reached. '
                             % target_type)
    assert reason.endswith(result['problems'][-1])


def test_latest_and_immediate_use_the_newest_backup():
    result = info('info_full_diff_incr')
    assert pgbr.check_target(result, 'latest') == (True, (
        'Backup 20261201-161838F_20261201-161858I (stopped 2026-12-01T16:19:03+00:00) is restored and the archived '
        'WAL replayed to its end (archive up to 0/D000000, end of segment 00000001000000000000000C).'))
    assert pgbr.check_target(result, 'immediate') == (True, (
        'Backup 20261201-161838F_20261201-161858I is consistent at its stop '
        '(2026-12-01T16:19:03+00:00, LSN 0/9000050).'))


@pytest.mark.parametrize('target, ok, backup', [
    # The oldest backup stopped at 16:18:43 UTC (epoch 1796141923).
    ('2026-12-01 16:18:42.999999+00', False, None),
    ('2026-12-01 17:18:42+01', False, None),
    ('2026-12-01 16:18:43+00', True, '20261201-161838F'),
    ('2026-12-01 16:18:43', True, '20261201-161838F'),  # no offset: UTC
    ('2026-12-01 16:18:52', True, '20261201-161838F_20261201-161851D'),
    ('2026-12-01 11:30:00-05', True, '20261201-161838F_20261201-161858I'),
])
def test_time_target_against_the_oldest_backup(target, ok, backup):
    found, reason = pgbr.check_target(info('info_full_diff_incr'), 'time', target)
    assert found is ok
    if ok:
        assert reason.startswith('Target time 2026-12-')
        assert 'is at or after the stop of backup %s (' % backup in reason
        assert 'does not show the time of the last archived WAL' in reason
    else:
        assert reason.endswith('is before the stop of the oldest backup 20261201-161838F (2026-12-01T16:18:43+00:00): '
                               'no backup is consistent by then.')


def test_time_target_reason_shows_the_time_in_utc():
    reason = pgbr.check_target(info('info_full'), 'time', '2026-12-01 18:00:00+01:30')[1]
    assert reason.startswith('Target time 2026-12-01T16:30:00+00:00 is at or after')


@pytest.mark.parametrize('target', ['yesterday', '2026-12-01 16:18:43 CET', '2026-13-01 00:00:00'])
def test_time_target_in_a_bad_format(target):
    ok, reason = pgbr.check_target(info('info_full'), 'time', target)
    assert ok is False and reason.startswith('Target time %r is not a time' % target)


@pytest.mark.parametrize('name, target, ok, words', [
    # full + diff + incr: backups stop at 0/3000120, 0/6000120, 0/9000050; archive ends at 0/D000000.
    ('info_full_diff_incr', '0/3000120', True, 'stop of backup 20261201-161838F (0/3000120)'),
    ('info_full_diff_incr', '0/300011F', False,
     'is before the stop LSN 0/3000120 of the oldest backup 20261201-161838F'),
    ('info_full_diff_incr', '0/7000000', True, 'stop of backup 20261201-161838F_20261201-161851D (0/6000120)'),
    ('info_full_diff_incr', '0/cffffff', True,
     'end of the archive (0/D000000, end of segment 00000001000000000000000C)'),
    ('info_full_diff_incr', '0/D000000', False, 'is not before the end of the archive (0/D000000, end of segment '
                                                '00000001000000000000000C)'),
    ('info_full', '0/5000000', False, 'is not before the end of the archive (0/4000000'),
    # Across the timeline switch the archive ends on timeline 2.
    ('info_timeline_2', '0/2E800000', True, 'stop of backup 20261201-162515F (0/1B000088)'),
    ('info_timeline_2', '1/0', False, 'is not before the end of the archive (0/2F000000'),
])
def test_lsn_target_between_the_oldest_backup_and_the_archive_end(name, target, ok, words):
    found, reason = pgbr.check_target(info(name), 'lsn', target)
    assert found is ok
    assert words in reason
    assert reason.startswith('Target LSN %s ' % target.upper())


@pytest.mark.parametrize('target', ['3000120', '0x3000120', 'latest', '0/3000120/0'])
def test_lsn_target_in_a_bad_format(target):
    ok, reason = pgbr.check_target(info('info_full'), 'lsn', target)
    assert ok is False and reason.startswith('Target LSN %r is not an LSN' % target)


def test_lsn_target_blanks_dropped():
    assert pgbr.check_target(info('info_full'), 'lsn', ' 0/3000120 ')[0] is True


def test_lsn_target_when_the_archive_lists_nothing_for_the_backup():
    result = info('info_full')
    result['archive'] = []
    assert pgbr.check_target(result, 'lsn', '0/3000200') == (
        False, 'Target LSN 0/3000200: the archive of backup 20261201-161838F holds no WAL.')


def test_name_and_xid_can_only_be_checked_for_a_backup():
    result = info('info_full_diff_incr')
    ok, reason = pgbr.check_target(result, 'name', 'before-upgrade')
    assert ok is True
    assert reason == ('Restore point before-upgrade cannot be seen in the repository; backup 20261201-161838F '
                      '(stopped 2026-12-01T16:18:43+00:00) exists, so it can be reached if it was created after that '
                      'and its WAL is archived.')
    ok, reason = pgbr.check_target(result, 'xid', '757')
    assert ok is True and reason.startswith('Transaction 757 cannot be seen in the repository; backup 20261201-161838F')


@pytest.mark.parametrize('target_type, target, why', [
    ('name', '  ', 'Target name is empty'),
    ('xid', '-1', "Target xid '-1' is not a transaction ID"),
    ('xid', '0/3000120', "Target xid '0/3000120' is not a transaction ID"),
])
def test_name_and_xid_in_a_bad_format(target_type, target, why):
    ok, reason = pgbr.check_target(info('info_full'), target_type, target)
    assert ok is False and reason.startswith(why)


def test_unknown_target_type():
    with pytest.raises(ValueError, match="target type 'promote' is not one of"):
        pgbr.check_target(info('info_full'), 'promote', None)


# -- the backup a restore starts from -------------------------------------------------


@pytest.mark.parametrize('target_type, target, label', [
    # full + diff + incr: the backups stop at 16:18:43, 16:18:52 and 16:19:03 UTC (0/3000120, 0/6000120, 0/9000050).
    ('latest', None, '20261201-161838F_20261201-161858I'),
    ('immediate', None, '20261201-161838F_20261201-161858I'),
    ('time', '2026-12-01 16:18:43+00', '20261201-161838F'),
    ('time', '2026-12-01 16:18:51.999999+00', '20261201-161838F'),
    ('time', '2026-12-01 16:18:52+00', '20261201-161838F_20261201-161851D'),
    ('time', '2026-12-01 17:00:00+00', '20261201-161838F_20261201-161858I'),
    ('lsn', '0/6000119', '20261201-161838F'),
    ('lsn', '0/6000120', '20261201-161838F_20261201-161851D'),
    ('lsn', '0/cffffff', '20261201-161838F_20261201-161858I'),
    # Not placeable in the repository, or not reachable: no backup named.
    ('name', 'before-drop', None),
    ('xid', '1234', None),
    ('time', '2026-12-01 16:18:42+00', None),
    ('lsn', '0/D000000', None),
])
def test_the_backup_a_restore_starts_from(target_type, target, label):
    assert pgbr.target_backup(info('info_full_diff_incr'), target_type, target) == label


def test_no_backup_no_starting_point():
    assert pgbr.target_backup(info('info_no_backup'), 'latest') is None
