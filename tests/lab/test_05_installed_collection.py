"""The collection as an Ansible user gets it: the built tarball and its declared dependencies
installed into an empty collections path, driven from a fresh virtualenv that holds only
ansible-core and meta/ee-requirements.txt, from a directory outside this checkout, and
`ansible-playbook pgha.cluster.site` run against the deployed lab changes nothing.

Galaxy is not reachable here: the galaxy.yml dependencies are installed from tarballs packed
from the `ansible` package's bundled copies (tests/ee/collection_artifacts.py), and
`ansible-galaxy collection install --offline` resolves pgha.cluster's declared dependencies
among them (a missing declaration fails the install or the run). community.docker (and the
collection it depends on) is added for the lab inventory's docker connection only; it is not a
dependency of pgha.cluster."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pgha_lab.inventory import load_yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ee"))
from collection_artifacts import pack_dependencies, pack_installed  # noqa: E402  pylint: disable=wrong-import-position

GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
# The lab inventory's docker connection (community.docker and what it depends on), not the collection's.
LAB_ONLY = ("docker", "library_inventory_filtering_v1")
RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)", re.M)


def run(argv, **kwargs):
    result = subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=False, **kwargs)
    assert result.returncode == 0, f"{argv}\nrc={result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def bundled_collections() -> Path:
    spec = importlib.util.find_spec("ansible_collections.ansible.posix")
    return Path(list(spec.submodule_search_locations)[0]).parents[1]


@pytest.fixture(scope="module")
def user_side(tmp_path_factory):
    """A fresh venv, collections path, inventory copy and ansible.cfg, none inside the checkout."""
    work = tmp_path_factory.mktemp("installed-collection")
    assert ROOT not in work.parents
    tarballs = work / "tarballs"
    tarballs.mkdir()
    bin_dir = Path(sys.executable).parent
    run([bin_dir / "ansible-galaxy", "collection", "build", "--output-path", tarballs, ROOT])
    bundled = bundled_collections()
    artifacts = [tarballs / f"pgha-cluster-{GALAXY['version']}.tar.gz", *pack_dependencies(GALAXY, bundled, tarballs)]
    artifacts += [pack_installed(bundled / "community" / name, tarballs) for name in LAB_ONLY]

    from ansible.release import __version__ as core_version  # the line the lab runs on

    venv = work / "venv"
    run([sys.executable, "-m", "venv", venv])
    run([venv / "bin" / "pip", "install", "-q", f"ansible-core=={core_version}", "-r", ROOT / "meta" / "ee-requirements.txt"])

    collections = work / "collections"
    env = {
        "PATH": f"{venv / 'bin'}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", str(work)),
        "LANG": "C.UTF-8",
        "ANSIBLE_CONFIG": str(work / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
    }
    (work / "ansible.cfg").write_text(
        "[defaults]\n"
        f"collections_path = {collections}\n"
        "inventory = ./inventory\n"
        "stdout_callback = ansible.builtin.default\n"
        "forks = 10\n"
        "interpreter_python = auto_silent\n"
        "retry_files_enabled = False\n"
        "[connection]\n"
        "pipelining = True\n"
    )
    shutil.copytree(ROOT / "inventory" / "lab", work / "inventory")
    # The copy keeps the lab's secrets and CA (.pki/, copied along), named by the copy's own path.
    secrets = work / "inventory" / "group_vars" / "all" / "secrets.yml"
    values = load_yaml(secrets)
    values["pgha_tls_pki_dir"] = str(work / "inventory" / ".pki")
    secrets.write_text(yaml.safe_dump(values))
    secrets.chmod(0o600)
    run([venv / "bin" / "ansible-galaxy", "collection", "install", "--offline", "-p", collections, *artifacts], cwd=work, env=env)
    return work, venv, env


def test_only_the_declared_dependencies_come_with_the_collection(user_side):
    work, venv, env = user_side
    listing = run([venv / "bin" / "ansible-galaxy", "collection", "list", "--format", "yaml"], cwd=work, env=env).stdout
    by_path = yaml.safe_load(listing)
    installed = {name: info["version"] for path, found in by_path.items() if path.startswith(str(work / "collections")) for name, info in found.items()}
    assert not [p for p in by_path if str(ROOT) in p], by_path
    assert installed["pgha.cluster"] == GALAXY["version"]
    lab_only = {f"community.{name}" for name in LAB_ONLY}
    # pgha.cluster, its declared dependencies (and theirs), the lab's connection: nothing else.
    assert set(GALAXY["dependencies"]) | lab_only | {"pgha.cluster"} <= set(installed), installed
    extra = set(installed) - set(GALAXY["dependencies"]) - lab_only - {"pgha.cluster"}
    assert extra <= {"community.library_inventory_filtering_v1"}, extra
    # The fresh venv has ansible-core only: no `ansible` package, so no bundled collection to fall back on.
    assert not list(venv.glob("lib/python3*/site-packages/ansible_collections"))


def test_site_from_the_installed_collection_changes_nothing_on_the_deployed_lab(user_side):
    """The lab was deployed from the checkout (Molecule's converge, `make lab`): the installed
    collection runs every task of site.yml against it and finds nothing to change."""
    work, venv, env = user_side
    result = subprocess.run([str(venv / "bin" / "ansible-playbook"), "pgha.cluster.site"], cwd=work, env=env,
                            capture_output=True, text=True, check=False, timeout=3600)
    out = result.stdout + result.stderr
    assert result.returncode == 0, f"rc={result.returncode}\n{out[-6000:]}"
    assert str(ROOT) not in out, "the run touched the checkout"
    recap = {m["host"]: m.groupdict() for m in RECAP.finditer(result.stdout)}
    assert set(recap) == {"pg1", "pg2", "pg3", "ha1", "ha2", "bk1", "mon1"}, recap
    assert all(r["failed"] == "0" and r["unreachable"] == "0" for r in recap.values()), recap
    assert {host: r["changed"] for host, r in recap.items()} == dict.fromkeys(recap, "0"), recap
