"""The project's Ansible commands run against the lab: playbooks, and their PLAY RECAP."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from pgha_lab import DEFAULT_INVENTORY, ROOT


def ansible_bin(name: str) -> str:
    """The Ansible command `name` beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is neither beside {sys.executable} nor on PATH: run `make venv`")
    return found


def ansible_env() -> dict[str, str]:
    """The environment of every Ansible command: the project's ansible.cfg, and plain output."""
    # Molecule exports ANSIBLE_FORCE_COLOR, which beats ANSIBLE_NOCOLOR: recap() needs plain text.
    return dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")


def playbook_command(playbook: str, tmp_path: Path, extra_vars=None, inventory=None, tags=(), check=False, args=()):
    """argv and environment that run one of the project's playbooks against the lab; `args` are
    more ansible-playbook options (a YAML vars file with `-e @file`, `--vault-password-file`)."""
    argv = [ansible_bin("ansible-playbook"), str(ROOT / playbook), "-i", str(inventory or DEFAULT_INVENTORY), *args]
    if tags:
        argv += ["--tags", ",".join(tags)]
    if check:
        argv += ["--check", "--diff"]
    if extra_vars:
        ev = tmp_path / "extra.json"
        ev.write_text(json.dumps(extra_vars))
        argv += ["-e", f"@{ev}"]
    return argv, ansible_env()


def ansible_playbook(playbook: str, tmp_path: Path, extra_vars=None, inventory=None, tags=(), check=False, args=()):
    """Run one of the project's playbooks against the lab; returns the CompletedProcess."""
    argv, env = playbook_command(playbook, tmp_path, extra_vars, inventory, tags, check, args)
    return subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False)


def start_playbook(playbook: str, tmp_path: Path, extra_vars=None, inventory=None):
    """Start a playbook in the background: the process, its output lines as they come, and their reader thread."""
    argv, env = playbook_command(playbook, tmp_path, extra_vars, inventory)
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    return proc, lines, reader


def recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP counters per host; fails when the output has no recap at all."""
    output = re.sub(r"\x1b\[[0-9;]*m", "", output)
    rows = re.findall(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", output, re.M)
    assert rows, f"no PLAY RECAP in the output:\n{output[-2000:]}"
    return {h: {"ok": int(o), "changed": int(c), "failed": int(f)} for h, o, c, _u, f in rows}
