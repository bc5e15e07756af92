#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: pgbackrest_info
short_description: Read the backups and WAL archive of a pgBackRest stanza
version_added: 1.1.0
description:
  - Runs C(pgbackrest version) and C(pgbackrest --output=json info --stanza=<stanza>) and returns the
    stanza's status, its backups (oldest first) with ISO 8601 UTC times, the WAL archive range per
    database, and the repositories' status.
  - A stanza that is missing, has no backup or whose repository cannot be read is reported
    (RV(ok=false), RV(problems)), not treated as a failure; the module fails only when C(pgbackrest) is
    missing, exits non-zero (for example an unreadable configuration file) or prints something it cannot read.
  - With O(target_type) it also says whether the backups and the archive can reach that restore target
    (RV(target_ok), RV(target_reason)), the way C(pgbackrest restore --type) would be asked for it.
  - Changes nothing.
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.pgbackrest
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
options:
  target_type:
    description:
      - Check a restore target of this type (C(pgbackrest restore --type)).
      - V(latest) and V(immediate) need one backup.
      - V(time) needs O(target) at or after the stop of the oldest backup. pgbackrest info does not
        show the time of the last archived WAL, so the upper end is not checked.
      - V(lsn) needs O(target) at or after the stop LSN of the oldest backup and before the end of the
        archive (RV(archive[].max_lsn)). The last archived segment may hold less WAL than that (after a
        WAL switch), so the end is an upper bound.
      - V(name) (a restore point) and V(xid) cannot be seen in the repository; only that a backup
        exists before them is checked, and RV(target_reason) says so.
    type: str
    choices: [latest, immediate, time, lsn, name, xid]
  target:
    description:
      - The restore target, needed for O(target_type=time), V(lsn), V(name) and V(xid), refused for
        V(latest) and V(immediate).
      - 'A time is written as C(recovery_target_time) takes it: V(YYYY-MM-DD HH:MM:SS[.ffffff][offset]),
        the offset V(Z), V(UTC), V(+HH), V(+HHMM) or V(+HH:MM) (or with V(-)). Without an offset the time
        is taken as UTC; PostgreSQL would read it in the server''s C(TimeZone), so give the offset.
        Zone names such as V(Europe/Paris) are not read.'
      - An LSN is written V(X/Y) in hex, for example V(0/3000120); an xid as a decimal number.
    type: str
seealso:
  - name: pgBackRest command reference (info)
    description: The command this module reads.
    link: https://pgbackrest.org/command.html#command-info
  - name: PostgreSQL recovery targets
    description: How C(recovery_target_time), C(_lsn), C(_name) and C(_xid) are read.
    link: https://www.postgresql.org/docs/current/runtime-config-wal.html#RUNTIME-CONFIG-WAL-RECOVERY-TARGET
notes:
  - The end of the archive (RV(archive[].max_lsn)) is computed for WAL segments of 16 MiB, PostgreSQL's
    default; pgbackrest info does not print the segment size.
  - Timelines are not followed. C(pgbackrest info) gives one min/max per database across timelines, so a
    target on a branch abandoned by a promotion is not told apart.
'''

EXAMPLES = r'''
- name: Read the pgBackRest stanza
  pgha.cluster.pgbackrest_info:
    stanza: pg-cluster
  become: true
  become_user: postgres
  register: backups

- name: Show the latest backup
  ansible.builtin.debug:
    msg: "{{ backups.backup_count }} backups, latest {{ backups.latest_backup }}; problems: {{ backups.problems }}"

- name: Refuse a point-in-time restore the repository cannot reach
  pgha.cluster.pgbackrest_info:
    stanza: pg-cluster
    config: /etc/pgbackrest/pgbackrest.conf
    target_type: time
    target: "2026-12-01 16:27:00+00"
  become: true
  become_user: postgres
  register: pitr
  failed_when: not pitr.target_ok
'''

RETURN = r'''
pgbackrest_version:
  description: Version of C(pgbackrest).
  returned: success
  type: str
  sample: 2.55.1
ok:
  description: pgBackRest's status of the stanza is V(ok) (code 0).
  returned: success
  type: bool
  sample: true
problems:
  description:
    - What pgBackRest reports as wrong with the stanza and its repositories, one sentence each; empty when RV(ok).
    - Bytes of a repository message that are not text (what a wrong C(repo1-cipher-pass) decrypts to) are shown
      as U+FFFD.
  returned: success
  type: list
  elements: str
  sample: ['Stanza pg-cluster: no valid backups (status code 2).']
stanza:
  description: The stanza's status as C(pgbackrest info) gives it.
  returned: success
  type: dict
  contains:
    name:
      description: Stanza name.
      type: str
      sample: pg-cluster
    code:
      description:
        - Status code. V(0) ok, V(1) missing stanza path (no C(stanza-create) yet, or a misspelt stanza),
          V(2) no valid backups, V(3) missing stanza data, V(4) different across repositories,
          V(5) database mismatch across repositories, V(6) requested backup not found, V(99) other (see RV(repos)).
      type: int
      sample: 0
    message:
      description: Status message, for example V(ok), V(no valid backups), V(other).
      type: str
      sample: ok
    cipher:
      description: Repository cipher, V(none) or V(aes-256-cbc).
      type: str
      sample: aes-256-cbc
    backup_running:
      description: A backup or expire of the stanza is running (the backup lock is held).
      type: bool
      sample: false
    backup_size:
      description: Bytes the running backup copies, V(null) when none runs.
      type: int
      sample: 137824412
    backup_size_done:
      description: Bytes of it copied so far (pgBackRest updates it now and then), V(null) when none runs.
      type: int
      sample: 137707520
backups:
  description: The backups, oldest first.
  returned: success
  type: list
  elements: dict
  contains:
    label:
      description: Backup label.
      type: str
      sample: 20261201-161838F_20261201-161858I
    type:
      description: V(full), V(diff) or V(incr).
      type: str
      sample: incr
    prior:
      description: Label of the backup it is based on, V(null) for a full backup.
      type: str
      sample: 20261201-161838F_20261201-161851D
    reference:
      description: Labels of every backup it needs.
      type: list
      elements: str
    error:
      description: pgBackRest found errors while copying (for example invalid page checksums); the backup exists.
      type: bool
      sample: false
    start_time:
      description: Start, ISO 8601 in UTC.
      type: str
      sample: '2026-12-01T16:18:58+00:00'
    stop_time:
      description: Stop, ISO 8601 in UTC; from then on the backup is consistent.
      type: str
      sample: '2026-12-01T16:19:03+00:00'
    start_epoch:
      description: Start, Unix epoch seconds.
      type: int
      sample: 1796141938
    stop_epoch:
      description: Stop, Unix epoch seconds.
      type: int
      sample: 1796141943
    lsn_start:
      description: LSN at the start.
      type: str
      sample: 0/8000028
    lsn_stop:
      description: LSN at the stop.
      type: str
      sample: 0/9000050
    wal_start:
      description: First WAL segment the backup needs.
      type: str
      sample: '000000010000000000000008'
    wal_stop:
      description: Last WAL segment the backup needs.
      type: str
      sample: '000000010000000000000009'
    database_id:
      description: pgBackRest's database id (RV(databases[].id)).
      type: int
      sample: 1
    repo_key:
      description: Repository number (V(1) for C(repo1)).
      type: int
      sample: 1
    database_size:
      description: Size of the database in bytes.
      type: int
      sample: 28846494
    database_delta:
      description: Bytes of the database copied by this backup.
      type: int
      sample: 6095106
    repo_size:
      description: Bytes in the repository of this backup and those it needs (compressed, encrypted).
      type: int
      sample: 3645408
    repo_delta:
      description: Bytes in the repository of this backup alone.
      type: int
      sample: 677168
    pgbackrest_version:
      description: pgBackRest version that made the backup.
      type: str
      sample: 2.55.1
backup_count:
  description: Number of backups.
  returned: success
  type: int
  sample: 3
latest_backup:
  description: Label of the newest backup, V(null) when there is none.
  returned: success
  type: str
  sample: 20261201-161838F_20261201-161858I
archive:
  description: The WAL archive, one entry per database (PostgreSQL version and database id).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Archive id, C(<PostgreSQL version>-<database id>).
      type: str
      sample: 17-1
    database_id:
      description: pgBackRest's database id.
      type: int
      sample: 1
    repo_key:
      description: Repository number.
      type: int
      sample: 1
    min:
      description: Oldest WAL segment archived (may be on an older timeline than RV(archive[].max)).
      type: str
      sample: '000000010000000000000001'
    max:
      description: Newest WAL segment archived. There may be gaps between the two.
      type: str
      sample: 00000001000000000000000C
    min_timeline:
      description: Timeline of RV(archive[].min).
      type: int
      sample: 1
    max_timeline:
      description: Timeline of RV(archive[].max).
      type: int
      sample: 1
    min_lsn:
      description: LSN where RV(archive[].min) starts.
      type: str
      sample: 0/1000000
    max_lsn:
      description: LSN where RV(archive[].max) ends (16 MiB segments); an LSN target must lie before it.
      type: str
      sample: 0/D000000
repos:
  description: Status of each repository.
  returned: success
  type: list
  elements: dict
  contains:
    key:
      description: Repository number.
      type: int
      sample: 1
    cipher:
      description: Repository cipher.
      type: str
      sample: aes-256-cbc
    code:
      description: Status code (as RV(stanza.code)).
      type: int
      sample: 0
    message:
      description: Status message; for code 99 the error pgBackRest met.
      type: str
      sample: ok
databases:
  description: The PostgreSQL clusters the stanza has held (a new one after C(stanza-upgrade)).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: pgBackRest's database id.
      type: int
      sample: 1
    repo_key:
      description: Repository number.
      type: int
      sample: 1
    system_id:
      description: PostgreSQL system identifier (exceeds 2**53).
      type: int
      sample: 7714370650012703211
    version:
      description: PostgreSQL major version.
      type: str
      sample: '17'
target_ok:
  description: The backups and the archive can reach the restore target, as far as pgbackrest info shows.
  returned: when O(target_type) is set
  type: bool
  sample: true
target_set:
  description:
    - The backup a restore to the target starts from (C(pgbackrest restore --set)) - the newest backup for
      V(latest) and V(immediate), the newest one that stopped at or before a V(time) or V(lsn) target.
    - V(null) for V(name) and V(xid) (the repository cannot place them) and for a target that is not reachable.
    - Give it to every member of a restored cluster, so that the standbys start from the backup the new
      leader started from (a newer backup may lie past the point the new timeline branches off).
  returned: when O(target_type) is set
  type: str
  sample: 20261201-161838F
target_reason:
  description: Why, in one or two sentences, naming the backup and the bound compared with.
  returned: when O(target_type) is set
  type: str
  sample: >-
    Target LSN 0/C00FB10 lies between the stop of backup 20261201-161838F_20261201-161858I (0/9000050)
    and the end of the archive (0/D000000, end of segment 00000001000000000000000C); that segment may hold
    less WAL (after a WAL switch), so the end is an upper bound.
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import CliError
from ansible_collections.pgha.cluster.plugins.module_utils._pgbackrest import (
    TARGET_TYPES,
    TARGET_TYPES_WITH_VALUE,
    PgBackRest,
    check_target,
    target_backup,
    pgbackrest_argument_spec,
)

# The target types that take no target, and where they stop instead.
TARGETS_WITHOUT_VALUE = {
    'latest': 'recovery replays all the archived WAL',
    'immediate': 'recovery stops where the backup becomes consistent',
}


def main():
    argument_spec = pgbackrest_argument_spec()
    argument_spec.update(
        target_type=dict(type='str', choices=list(TARGET_TYPES)),
        target=dict(type='str'),
    )
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('target_type', value, ('target',)) for value in TARGET_TYPES_WITH_VALUE],
        required_by=dict(target='target_type'),
        supports_check_mode=True,
    )
    target_type, target = module.params['target_type'], module.params['target']
    if target_type in TARGETS_WITHOUT_VALUE and target is not None:
        module.fail_json(msg='Option target is not used with target_type=%s (%s); leave target out.'
                             % (target_type, TARGETS_WITHOUT_VALUE[target_type]))

    client = PgBackRest(module)
    try:
        version = client.version()
        info = client.info()
    except CliError as exc:
        module.fail_json(**exc.as_fail_kwargs())

    result = dict(changed=False, pgbackrest_version=version)
    result.update(info)
    if target_type:
        result['target_ok'], result['target_reason'] = check_target(info, target_type, target)
        result['target_set'] = target_backup(info, target_type, target)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
