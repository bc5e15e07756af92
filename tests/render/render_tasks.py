# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Read the roles' task files and evaluate their arguments and `when` conditions with
Ansible's own templating, against a host's facts and the variables render.yml resolved
(handed to the templar whole: the tests read no role's internal variable by name)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from render_platforms import Platform, facts

ROOT = Path(__file__).resolve().parents[2]
ROLES = ROOT / "roles"

# Task keywords: whatever else a task holds is its action.
KEYWORDS = {
    "name", "when", "register", "tags", "notify", "vars", "loop", "loop_control", "with_items",
    "changed_when", "failed_when", "check_mode", "no_log", "run_once", "until", "retries", "delay",
    "environment", "become", "become_user", "async", "poll", "delegate_to", "ignore_errors", "args",
    "block", "rescue", "always", "listen", "any_errors_fatal", "diff", "module_defaults",
}


@dataclass
class Task:
    name: str
    action: str
    args: object
    when: list = field(default_factory=list)
    raw: dict = field(default_factory=dict)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def flatten(tasks: list, when: tuple = ()) -> list[Task]:
    """Leaf tasks in order; a block's `when` is prepended to its tasks' own."""
    out = []
    for t in tasks or []:
        conditions = list(when) + _as_list(t.get("when"))
        if "block" in t:
            out += flatten(t["block"], tuple(conditions))
            continue
        actions = [k for k in t if k not in KEYWORDS]
        assert len(actions) == 1, f"cannot tell the action of task {t.get('name')!r}: {actions}"
        out.append(Task(t.get("name", ""), actions[0], t[actions[0]], conditions, t))
    return out


def load(role: str, tasks_file: str) -> list[Task]:
    return flatten(yaml.safe_load((ROLES / role / "tasks" / tasks_file).read_text()))


def find(tasks: list[Task], action: str, **args) -> list[Task]:
    """Tasks running `action` whose literal args include `args`."""
    return [t for t in tasks if t.action == action and all(
        isinstance(t.args, dict) and t.args.get(k) == v for k, v in args.items())]


def variables(render: dict, platform: Platform, name: str, **extra) -> dict:
    """Host `name`'s variables as its tasks see them: the facts of its platform (as ansible_facts),
    its groups, and its roles' variables as render.yml resolved them (an opaque mapping that only
    the templar reads), then `extra`."""
    host = render[name]
    reported = facts(platform, name, host["public"]["common_node_address"])
    deprefixed = {k[len("ansible_"):]: v for k, v in reported.items() if k.startswith("ansible_")}
    return {"ansible_facts": deprefixed, "ansible_check_mode": False, "inventory_hostname": name,
            "group_names": host["facts"]["group_names"], **host["task_vars"], **extra}


def registered(task_list: list[Task], changed: bool) -> dict:
    """What each task of the list that registers a result would register, all changed or all unchanged."""
    return {t.raw["register"]: {"changed": changed} for t in task_list if "register" in t.raw}


def _trust(value):
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, list):
        return [_trust(v) for v in value]
    if isinstance(value, dict):
        return {k: _trust(v) for k, v in value.items()}
    return value


def render(value, variables: dict):
    """Template a task argument (str, list or dict) the way the task would."""
    return Templar(loader=DataLoader(), variables=variables).template(_trust(value))


def holds(task: Task, variables: dict) -> bool:
    """Whether all of the task's `when` conditions hold."""
    templar = Templar(loader=DataLoader(), variables=variables)
    return all(templar.evaluate_conditional(_trust(c)) for c in task.when)
