# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.pgha.cluster.plugins.modules import pgbackrest_info
from ansible_collections.pgha.cluster.tests.unit.utils import (
    B_INFO,
    B_VERSION,
    PGBACKREST_ARGS,
    Call,
    load_record,
    pgbackrest,
)

R = 'pgbackrest-2.55/'


def calls(info_record, info_argv=None, version_argv=None):
    """``pgbackrest version`` then ``pgbackrest --output=json info --stanza=...``, answered by the recordings."""
    return [Call(version_argv or B_VERSION, R + 'version'), Call(info_argv or B_INFO, R + info_record)]


def test_full_diff_incr(run_module, run_command):
    run_command.expect(*calls('info_full_diff_incr'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['changed'] is False
    assert result['pgbackrest_version'] == '2.55.1'
    assert result['ok'] is True and result['problems'] == []
    assert result['stanza'] == dict(name='pg-cluster', code=0, message='ok', cipher='aes-256-cbc',
                                    backup_running=False, backup_size=None, backup_size_done=None)
    assert [b['label'] for b in result['backups']] == [
        '20261201-161838F', '20261201-161838F_20261201-161851D', '20261201-161838F_20261201-161858I']
    assert [b['type'] for b in result['backups']] == ['full', 'diff', 'incr']
    assert (result['latest_backup'], result['backup_count']) == ('20261201-161838F_20261201-161858I', 3)
    full = result['backups'][0]
    assert (full['start_time'], full['stop_time'], full['start_epoch'], full['stop_epoch']) == \
        ('2026-12-01T16:18:38+00:00', '2026-12-01T16:18:43+00:00', 1796141918, 1796141923)
    assert (full['lsn_start'], full['lsn_stop'], full['wal_start'], full['wal_stop']) == \
        ('0/3000028', '0/3000120', '000000010000000000000003', '000000010000000000000003')
    assert (full['database_size'], full['repo_size'], full['error']) == (23382429, 3023088, False)
    assert [(a['id'], a['min'], a['max'], a['max_lsn']) for a in result['archive']] == \
        [('17-1', '000000010000000000000001', '00000001000000000000000C', '0/D000000')]
    assert result['repos'] == [dict(key=1, cipher='aes-256-cbc', code=0, message='ok')]
    assert result['databases'] == [dict(id=1, repo_key=1, system_id=7714370650012703211, version='17')]
    assert 'target_ok' not in result and 'target_reason' not in result and 'target_set' not in result
    # Every call pinned the locale, and nothing but the locale was set.
    assert [c['environ_update'] for c in run_command.seen] == [{'LC_ALL': 'C'}, {'LC_ALL': 'C'}]


def test_one_full_backup(run_module, run_command):
    run_command.expect(*calls('info_full'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['ok'] is True
    assert (result['latest_backup'], result['backup_count']) == ('20261201-161838F', 1)
    assert result['backups'][0]['prior'] is None and result['backups'][0]['reference'] == []
    assert result['archive'][0]['max_lsn'] == '0/4000000'


def test_stanza_not_created_is_data_not_a_failure(run_module, run_command):
    run_command.expect(*calls('info_no_stanza'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert not result.get('failed')
    assert (result['ok'], result['stanza']['code'], result['stanza']['message']) == (False, 1, 'missing stanza path')
    assert result['problems'] == ['Stanza pg-cluster: missing stanza path (status code 1).']
    assert (result['backups'], result['backup_count'], result['latest_backup'], result['archive']) == ([], 0, None, [])


def test_misspelt_stanza_reads_as_missing(run_module, run_command):
    # pgbackrest answers for any stanza name, configured or not: status 1, exit 0.
    argv = pgbackrest('--output=json', 'info', '--stanza=no-such-stanza')
    run_command.expect(*calls('info_unknown_stanza', info_argv=argv))
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, stanza='no-such-stanza'))
    assert (result['ok'], result['stanza']['name'], result['stanza']['code']) == (False, 'no-such-stanza', 1)


def test_no_backup_yet(run_module, run_command):
    run_command.expect(*calls('info_no_backup'))
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, target_type='latest'))
    assert (result['ok'], result['stanza']['code'], result['backup_count'], result['latest_backup']) == \
        (False, 2, 0, None)
    # stanza-create and check archived one segment already.
    assert [(a['min'], a['max'], a['max_lsn']) for a in result['archive']] == \
        [('000000010000000000000001', '000000010000000000000001', '0/2000000')]
    assert result['target_ok'] is False
    assert result['target_reason'] == ('Stanza pg-cluster lists no backup, so restore target latest cannot be '
                                       'reached. Stanza pg-cluster: no valid backups (status code 2).')


def test_backup_running(run_module, run_command):
    run_command.expect(*calls('info_backup_running'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['ok'] is True
    assert (result['stanza']['backup_running'], result['stanza']['backup_size'], result['stanza']['backup_size_done']) \
        == (True, 137824412, 137707520)
    # The running backup is not listed yet.
    assert result['latest_backup'] == '20261201-162033F' and result['backup_count'] == 4


def test_backup_with_page_checksum_errors(run_module, run_command):
    run_command.expect(*calls('info_backup_page_error'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['ok'] is True  # pgBackRest's stanza status stays ok
    assert [b['label'] for b in result['backups'] if b['error']] == ['20261201-162949F']
    assert result['latest_backup'] == '20261201-162949F' and result['backup_count'] == 7


def test_timeline_switch(run_module, run_command):
    run_command.expect(*calls('info_timeline_2'))
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, target_type='lsn', target='0/2E000000'))
    archive = result['archive'][0]
    assert (archive['min_timeline'], archive['max_timeline'], archive['max'], archive['max_lsn']) == \
        (1, 2, '00000002000000000000002E', '0/2F000000')
    assert result['target_ok'] is True
    assert result['target_set'] == '20261201-162515F'


def test_repository_unreadable(run_module, run_command):
    run_command.expect(*calls('info_repo_permission_denied'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert (result['ok'], result['stanza']['code'], result['stanza']['message']) == (False, 99, 'other')
    assert result['problems'][1] == ("Repository repo1: [PathOpenError] unable to list file info for path "
                                     "'/var/lib/pgbackrest/backup': [13] Permission denied (status code 99).")


def test_wrong_passphrase_with_config(run_module, run_command):
    config = '/tmp/wrong-pass.conf'
    run_command.expect(*calls('info_wrong_passphrase',
                              info_argv=pgbackrest('--config=%s' % config, '--output=json', 'info',
                                                   '--stanza=pg-cluster')))
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, config=config))
    assert (result['ok'], result['stanza']['code']) == (False, 99)
    message = result['repos'][0]['message']
    assert message.startswith('[FormatError] unable to load info file')
    assert 'at line 1: \ufffd\ufffd\ufffd\ufffd\n' in message
    assert message.endswith('HINT: has a stanza-create been performed?')
    json.dumps(result, ensure_ascii=False).encode('utf-8')  # no lone surrogates left in the result


def test_config_is_not_passed_to_version(run_module, run_command):
    # pgbackrest refuses --config for `version` (recorded: exit 31), so only info gets it.
    refused = load_record(R + 'version_with_config')
    assert (refused['argv'][1], refused['rc']) == ('--config=/etc/pgbackrest.conf', 31)
    assert "option 'config' not valid for command 'version'" in refused['stdout']
    config = '/etc/pgbackrest.conf'
    info_argv = pgbackrest('--config=%s' % config, '--output=json', 'info', '--stanza=pg-cluster')
    run_command.expect(*calls('info_full', info_argv=info_argv))
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, config=config))
    assert result['latest_backup'] == '20261201-161838F'
    assert run_command.seen[0]['argv'] == [PGBACKREST_ARGS['pgbackrest_path'], 'version']


def test_missing_config_file_fails(run_module, run_command):
    config = '/etc/pgbackrest/missing.conf'
    record = load_record(R + 'info_missing_config')
    run_command.expect(*calls('info_missing_config',
                              info_argv=pgbackrest('--config=%s' % config, '--output=json', 'info',
                                                   '--stanza=pg-cluster')))
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, config=config))
    assert result['failed'] is True
    assert result['msg'] == ("pgbackrest info failed with exit code 55: P00  ERROR: [055]: unable to open missing file "
                             "'/etc/pgbackrest/missing.conf' for read. Set option config to the pgBackRest "
                             "configuration file, or create it.")
    assert (result['rc'], result['stdout'], result['stderr']) == (55, record['stdout'], '')
    assert result['cmd'] == ('/usr/bin/pgbackrest --config=/etc/pgbackrest/missing.conf --output=json info '
                             '--stanza=pg-cluster')


def test_unreadable_config_file_fails(run_module, run_command):
    run_command.expect(*calls('info_as_nobody'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['failed'] is True and result['rc'] == 41
    assert result['msg'] == ("pgbackrest info failed with exit code 41: P00  ERROR: [041]: unable to open file "
                             "'/etc/pgbackrest.conf' for read: [13] Permission denied. Run the task as the user that "
                             "runs pgbackrest (usually become_user: postgres).")


def test_output_not_json(run_module, run_command):
    record = load_record(R + 'info_full')
    run_command.expect(Call(B_VERSION, R + 'version'), Call(B_INFO, rc=0, stdout=record['stdout'][:60]))  # cut short
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['failed'] is True
    assert result['msg'].startswith('pgbackrest info printed output that is not valid JSON (')
    assert result['stdout'] == record['stdout'][:60]


def test_stanza_missing_from_the_output(run_module, run_command):
    # What info prints without --stanza before any stanza-create: an empty list.
    record = load_record(R + 'info_no_stanza_all')
    run_command.expect(Call(B_VERSION, R + 'version'), Call(B_INFO, rc=record['rc'], stdout=record['stdout']))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['failed'] is True
    assert result['msg'] == ('pgbackrest info printed JSON of an unexpected shape: '
                             'stanza pg-cluster is not in the output (stanzas: none).')


def test_unexpected_json_shape(run_module, run_command):
    run_command.expect(Call(B_VERSION, R + 'version'), Call(B_INFO, rc=0, stdout='{"name": "pg-cluster"}'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['failed'] is True
    assert result['msg'] == 'pgbackrest info printed JSON of an unexpected shape: expected a list of stanzas.'


def test_stanza_without_status(run_module, run_command):
    run_command.expect(Call(B_VERSION, R + 'version'), Call(B_INFO, rc=0, stdout='[{"name": "pg-cluster"}]'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['failed'] is True
    assert result['msg'] == "pgbackrest info printed JSON of an unexpected shape: no key 'status'."


def test_version_not_understood(run_module, run_command):
    run_command.expect(Call(B_VERSION, rc=0, stdout='2055001'))  # what `version --output=num` prints
    result = run_module(pgbackrest_info, PGBACKREST_ARGS)
    assert result['failed'] is True
    assert result['msg'] == 'pgbackrest version printed no "pgBackRest X.Y" line.'
    assert (result['cmd'], result['stdout']) == ('/usr/bin/pgbackrest version', '2055001')


def test_binary_found_on_path(run_module, run_command, monkeypatch, tmp_path):
    binary = tmp_path / 'pgbackrest'
    binary.write_text('#!/bin/sh\nexit 99\n')  # never run: run_command is replaced
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv('PATH', str(tmp_path))
    run_command.expect(Call([str(binary), 'version'], R + 'version'),
                       Call([str(binary), '--output=json', 'info', '--stanza=pg-cluster'], R + 'info_full'))
    result = run_module(pgbackrest_info, dict(stanza='pg-cluster'))
    assert result['latest_backup'] == '20261201-161838F'


def test_binary_missing(run_module, run_command, monkeypatch, tmp_path):
    # get_bin_path also looks in the sbin directories: the test means nothing where pgbackrest is there.
    if any(os.path.exists(os.path.join(d, 'pgbackrest')) for d in ('/sbin', '/usr/sbin', '/usr/local/sbin')):
        pytest.skip('pgbackrest is installed in an sbin directory of this host')
    monkeypatch.setenv('PATH', str(tmp_path))
    result = run_module(pgbackrest_info, dict(stanza='pg-cluster'))
    assert result['failed'] is True
    assert result['msg'].startswith('Failed to find required executable "pgbackrest" in paths: %s' % tmp_path)
    assert run_command.seen == []


def test_empty_stanza_refused(run_module, run_command):
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, stanza=' '))
    assert result['failed'] is True
    assert result['msg'] == 'Option stanza is empty: name the pgBackRest stanza to read, for example pg-cluster.'
    assert run_command.seen == []


def test_check_mode_reads_the_same(run_module, run_command):
    run_command.expect(*calls('info_full_diff_incr'))
    result = run_module(pgbackrest_info, PGBACKREST_ARGS, check_mode=True)
    assert result['changed'] is False and result['backup_count'] == 3
    assert [c['argv'] for c in run_command.seen] == [B_VERSION, B_INFO]


# -- restore targets through the module ---------------------------------------------


@pytest.mark.parametrize('target_type, target, ok, reason', [
    ('time', '2026-12-01 16:18:43+00', True, 'Target time 2026-12-01T16:18:43+00:00 is at or after the stop of '
                                             'backup 20261201-161838F (2026-12-01T16:18:43+00:00)'),
    ('time', '2026-12-01 16:18:42+00', False, 'Target time 2026-12-01T16:18:42+00:00 is before the stop of the '
                                              'oldest backup 20261201-161838F'),
    ('time', '2026-12-01 16:18:43 Europe/Paris', False, "Target time '2026-12-01 16:18:43 Europe/Paris' is not a time"),
    ('lsn', '0/C00FB10', True, 'Target LSN 0/C00FB10 lies between the stop of backup '
                               '20261201-161838F_20261201-161858I (0/9000050) and the end of the archive (0/D000000'),
    ('lsn', '0/D000001', False, 'Target LSN 0/D000001 is not before the end of the archive (0/D000000'),
    ('lsn', '0/2FFFFFF', False, 'Target LSN 0/2FFFFFF is before the stop LSN 0/3000120 of the oldest backup'),
    ('lsn', '0:3000120', False, "Target LSN '0:3000120' is not an LSN"),
    ('immediate', None, True, 'Backup 20261201-161838F_20261201-161858I is consistent at its stop'),
    ('name', 'before-upgrade', True, 'Restore point before-upgrade cannot be seen in the repository'),
    ('xid', '757', True, 'Transaction 757 cannot be seen in the repository'),
    ('xid', 'x757', False, "Target xid 'x757' is not a transaction ID"),
])
def test_target(run_module, run_command, target_type, target, ok, reason):
    run_command.expect(*calls('info_full_diff_incr'))
    args = dict(PGBACKREST_ARGS, target_type=target_type)
    if target is not None:
        args['target'] = target
    result = run_module(pgbackrest_info, args)
    assert not result.get('failed')
    assert result['target_ok'] is ok
    assert result['target_reason'].startswith(reason), result['target_reason']


@pytest.mark.parametrize('args, msg', [
    (dict(target_type='time'), 'target_type is time but all of the following are missing: target'),
    (dict(target_type='lsn'), 'target_type is lsn but all of the following are missing: target'),
    (dict(target='0/3000120'), 'missing parameter(s) required by \'target\': target_type'),
    (dict(target_type='latest', target='now'),
     'Option target is not used with target_type=latest (recovery replays all the archived WAL); leave target out.'),
    (dict(target_type='immediate', target='now'),
     'Option target is not used with target_type=immediate (recovery stops where the backup becomes consistent); '
     'leave target out.'),
])
def test_target_options_checked_before_anything_runs(run_module, run_command, args, msg):
    result = run_module(pgbackrest_info, dict(PGBACKREST_ARGS, **args))
    assert result['failed'] is True and result['msg'] == msg
    assert run_command.seen == []
