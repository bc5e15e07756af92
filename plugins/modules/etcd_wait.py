#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: etcd_wait
short_description: Wait until an etcd cluster has a healthy quorum
version_added: 0.1.0
description:
  - Polls C(etcdctl endpoint health), C(endpoint status), C(member list) and C(alarm list) (all C(-w json))
    until every endpoint in O(endpoints) is healthy, the endpoints agree on exactly one raft leader that is
    a member, and no alarm is raised.
  - On timeout it fails with a table of the endpoints, each with what is wrong with it.
  - A failing C(etcdctl) call counts as an unmet condition and polling goes on.
  - Never reports C(changed).
author:
  - pgha maintainers (@pgha)
extends_documentation_fragment:
  - pgha.cluster.etcd
  - pgha.cluster.attributes
  - pgha.cluster.attributes.read_only
attributes:
  check_mode:
    details: Read-only; it waits in check mode too.
options:
  timeout:
    description:
      - Seconds to wait before failing.
    type: int
    default: 120
  delay:
    description:
      - Seconds between two polls.
    type: int
    default: 5
notes:
  - Do not list the endpoint of a learner in O(endpoints); etcd answers health checks on learners with
    C(rpc not supported for learner).
seealso:
  - module: pgha.cluster.etcd_cluster_info
  - module: pgha.cluster.patroni_wait
'''

EXAMPLES = r'''
- name: Gate on a healthy etcd quorum before starting Patroni
  pgha.cluster.etcd_wait:
    endpoints:
      - 10.0.1.11:2379
      - 10.0.1.12:2379
      - 10.0.1.13:2379
    timeout: 180
    delay: 3
'''

RETURN = r'''
leader:
  description: The raft leader (V(id), V(id_hex), V(name)) when the wait ended, V(null) if none.
  returned: always
  type: dict
  sample: {id: 753033347625130887, id_hex: a734fd705381b87, name: e1}
raft_term:
  description: Highest raft term seen at the last poll.
  returned: always
  type: int
  sample: 3
endpoints:
  description: Per endpoint state at the last poll (see M(pgha.cluster.etcd_cluster_info)).
  returned: always
  type: list
  elements: dict
unmet:
  description: What was wrong at the last poll; empty on success.
  returned: always
  type: list
  elements: str
  sample: ['Endpoint 127.0.0.1:32379 (member e3) is not healthy (unhealthy: context deadline exceeded).']
endpoint_table:
  description: The endpoints as text lines, for reading in the failure output.
  returned: always
  type: list
  elements: str
attempts:
  description: Number of polls.
  returned: always
  type: int
  sample: 1
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 0.1
'''

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.pgha.cluster.plugins.module_utils._cli import (
    check_poll_options,
    finish_wait,
    poll,
    poll_argument_spec,
)
from ansible_collections.pgha.cluster.plugins.module_utils._etcdctl import (
    ETCD_REQUIRED_TOGETHER,
    EtcdCtl,
    assess,
    endpoint_table,
    etcd_argument_spec,
    snapshot,
)


def main():
    argument_spec = poll_argument_spec(timeout=120, delay=5)
    argument_spec.update(etcd_argument_spec())
    module = AnsibleModule(argument_spec=argument_spec, required_together=ETCD_REQUIRED_TOGETHER,
                           supports_check_mode=True)
    params = module.params
    check_poll_options(module)

    client = EtcdCtl(module)
    last = {}

    def check():
        state = snapshot(client, tolerate_errors=True)
        problems, rows, summary = assess(state, client.endpoints)
        last.update(state=state, rows=rows, summary=summary)
        return not problems, problems

    done, problems, attempts, elapsed = poll(check, params['timeout'], params['delay'])
    rows = last['rows']
    result = dict(
        changed=False,
        leader=last['summary']['leader'],
        raft_term=last['summary']['raft_term'],
        endpoints=rows,
        unmet=[] if done else problems,
        endpoint_table=endpoint_table(rows),
        attempts=attempts,
        elapsed=round(elapsed, 1),
    )
    errors = last['state']['errors']
    finish_wait(module, done, result,
                'The etcd cluster was not healthy within %s seconds (option timeout): %s '
                'See endpoint_table for each endpoint as last seen.' % (params['timeout'], ' '.join(problems)),
                errors[-1] if errors else None)


if __name__ == '__main__':
    main()
