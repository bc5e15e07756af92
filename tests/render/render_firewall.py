# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What a host's firewall tasks apply: the items of the task that allows traffic with the family's
module (ufw or firewalld), each rendered into the module's arguments the way the task renders it."""

from __future__ import annotations

import re

import render_tasks as tasks
from ansible_collections.pgha.cluster.plugins.filter.ufw_missing_rules import FilterModule as UfwMissing
from render_platforms import Platform

UFW_MISSING = UfwMissing().filters()["ufw_missing_rules"]

MODULES = {"ansible.posix.firewalld", "community.general.ufw"}
OMIT = "__omit_place_holder__"
RICH_RULE = re.compile(
    r'rule family="(?P<family>ipv[46])" source address="(?P<source>[^"]+)" '
    r'(?:port port="(?P<port>\d+)" protocol="(?P<proto>tcp)"|protocol value="(?P<value>\w+)") accept')


def allowing_task(platform: Platform, variables: dict) -> tasks.Task:
    """The one task of common's firewall.yml that allows traffic per rule, each from its source, on
    this host (not ufw's SSH rule, which admits every source)."""
    found = [t for t in tasks.load("common", "firewall.yml")
             if t.action in MODULES and "loop" in t.raw and tasks.holds(t, variables)
             and ("from_ip" in t.args or "rich_rule" in t.args)
             and t.args.get("state", "enabled") != "disabled" and not t.args.get("delete")]
    assert len(found) == 1, [t.name for t in found]
    return found[0]


def applied(render: dict, platform: Platform, name: str) -> tuple[str, list[dict]]:
    """(module, [{'proto', 'port', 'source', 'family'}]) the host's allowing task applies."""
    variables = tasks.variables(render, platform, name, omit=OMIT)
    task = allowing_task(platform, variables)
    rules = []
    if "ufw_missing_rules" in task.raw["loop"]:
        # ufw's loop reads ufw's rule files at run time (the filter has its own unit tests): on a
        # fresh host, ufw lacks every rule common publishes.
        items = UFW_MISSING([], tasks.render("{{ common_firewall_rules }}", variables))
    else:
        items = tasks.render(task.raw["loop"], variables)
    for item in items:
        args = tasks.render(task.args, variables | {"item": item})
        if task.action == "community.general.ufw":
            assert args["rule"] == "allow" and args["comment"].startswith("pgha "), args
            port = None if args.get("port", OMIT) == OMIT else int(args["port"])
            source = args["from_ip"]
            rules.append({"proto": args["proto"], "port": port, "source": source,
                          "family": "ipv6" if ":" in source else "ipv4"})
        else:
            assert args["state"] == "enabled" and args["permanent"] and args["immediate"], args
            assert "port" not in args, "firewalld must not open a port to every source"
            m = RICH_RULE.fullmatch(" ".join(str(args["rich_rule"]).split()))
            assert m, args["rich_rule"]
            rules.append({"proto": m["proto"] or m["value"], "port": int(m["port"]) if m["port"] else None,
                          "source": m["source"], "family": m["family"]})
    return task.action, rules
