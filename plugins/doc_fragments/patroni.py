# -*- coding: utf-8 -*-
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment(object):

    # Options shared by the modules that run patronictl
    # (argument spec: plugins/module_utils/_patronictl.py patroni_argument_spec()).
    DOCUMENTATION = r'''
options:
  config_file:
    description:
      - Patroni configuration file that C(patronictl) reads with C(-c) (it names the DCS and the scope).
      - Usually V(/etc/patroni/config.yml) on Debian and Ubuntu, V(/etc/patroni/patroni.yml) on the RHEL family.
      - When neither O(config_file) nor O(dcs_url) is set, C(patronictl) uses its own default
        (E(PATRONICTL_CONFIG_FILE) or C(~/.config/patroni/patronictl.yaml)).
    type: path
    aliases: [patroni_config_file]
  dcs_url:
    description:
      - DCS URL passed to C(patronictl --dcs-url), for example V(etcd3://127.0.0.1:2379).
      - Needs O(cluster_name).
    type: str
  cluster_name:
    description:
      - Patroni scope (cluster name). Taken from O(config_file) when not set.
    type: str
    aliases: [scope]
  patronictl_path:
    description:
      - Path of the C(patronictl) binary. By default it is looked up in E(PATH) on the target.
    type: path
  patronictl_timeout:
    description:
      - Seconds after which one C(patronictl) call is stopped (with coreutils C(timeout), when present).
      - C(patronictl) retries for ever while the DCS is unreachable; this bounds each call.
      - V(0) disables the limit.
    type: int
    default: 60
requirements:
  - C(patronictl) on the target (it comes with Patroni).
  - PyYAML on the target, for C(patronictl show-config) output (Patroni itself depends on it).
notes:
  - C(patronictl) runs with E(LC_ALL=C); its JSON output (C(-f json)) is parsed, never its tables.
  - Lag is reported by Patroni in whole megabytes (rounded); C(lag_bytes) is that number times 1048576.
'''
