# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""SELinux (RHEL family, enforcing): HAProxy may connect to any port and a written
keepalived.conf gets its file context restored; on Debian/Ubuntu (AppArmor, SELinux
disabled) neither step runs."""

from __future__ import annotations

import pytest

import render_tasks as tasks
from render_platforms import PROXY_HOSTS, SUPPORTED, host_name

PROXIES = [(p, s) for p in SUPPORTED for s in PROXY_HOSTS]


def _vars(render, platform, short, **extra):
    p = SUPPORTED[platform]
    return tasks.variables(render, p, host_name(p, short), **extra)


def _index(task_list, task):
    return [t.name for t in task_list].index(task.name)


@pytest.mark.parametrize(("platform", "short"), PROXIES, ids=[f"{p}-{s}" for p, s in PROXIES])
def test_haproxy_connect_any(render, platform, short):
    role = tasks.load("haproxy", "main.yml")
    boolean = tasks.find(role, "ansible.posix.seboolean", name="haproxy_connect_any")
    assert len(boolean) == 1
    task = boolean[0]
    assert task.args["state"] is True and task.args["persistent"] is True
    assert any("selinux" in str(c) for c in task.when), "the step must be conditioned on SELinux"
    on_rhel = SUPPORTED[platform].os_family == "RedHat"
    assert tasks.holds(task, _vars(render, platform, short)) is on_rhel
    start = tasks.find(role, "ansible.builtin.service", name="haproxy", state="started")
    assert _index(role, task) < _index(role, start[0]), "set the boolean before HAProxy starts"


@pytest.mark.parametrize(("platform", "short"), PROXIES, ids=[f"{p}-{s}" for p, s in PROXIES])
def test_keepalived_restorecon(render, platform, short):
    role = tasks.load("keepalived", "main.yml")
    restorecon = [t for t in role if t.action == "ansible.builtin.command" and t.args["argv"][0] == "restorecon"]
    assert len(restorecon) == 1
    task = restorecon[0]
    assert any("selinux" in str(c) for c in task.when), "the step must be conditioned on SELinux"
    # A first write (every registered result changed), and a run that left the file alone.
    changed = _vars(render, platform, short, **tasks.registered(role, changed=True))
    unchanged = _vars(render, platform, short, **tasks.registered(role, changed=False))
    assert tasks.render(task.args["argv"], changed) == ["restorecon", "-v", "/etc/keepalived/keepalived.conf"]
    on_rhel = SUPPORTED[platform].os_family == "RedHat"
    assert tasks.holds(task, changed) is on_rhel
    assert tasks.holds(task, unchanged) is False
    write = tasks.find(role, "ansible.builtin.template", src="keepalived.conf.j2")
    start = tasks.find(role, "ansible.builtin.service", name="keepalived", state="started")
    assert _index(role, write[0]) < _index(role, task) < _index(role, start[0])
