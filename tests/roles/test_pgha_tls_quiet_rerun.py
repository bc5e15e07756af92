# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the pgha_tls role does on a run that changes nothing, and that it still changes what it must.

On the controller (tasks/generate.yml): a rerun must not run the CSR and certificate modules (two
module runs per host on every site.yml run): the role compares the certificate on the controller
with the one it would issue, in the controller's own process, and skips them when it matches.
Anything that changes what the certificate must hold (a name, the key, the signer) or a re-issue
asked for by playbooks/rotate-certs.yml still issues a new one.

On the host (tasks/main.yml): one `find` reads the installed CA, certificate and key, and each copy
runs only when its file is missing or differs in content, mode or owner.

Runs the role's real tasks with a local connection (community.crypto, a generated CA, the
"host" directory in a temporary directory); nothing outside it is touched."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CSR = "pgha.cluster.pgha_tls : Describe this host's certificate"
ISSUE = "pgha.cluster.pgha_tls : Issue this host's certificate from the CA"


def _run(tmp_path: Path, tasks_from: str = "generate", **extra_vars) -> dict[str, dict]:
    """Run the role's generate.yml (or main.yml: generate, then install into tmp_path/host) for
    pg1 with a local connection; each task's result for pg1 by name."""
    host_dir = tmp_path / "host"
    inventory = {"all": {"hosts": {"pg1": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "common_node_address": "10.9.8.7", "common_postgres_group": "postgres",
        "common_haproxy_group": "haproxy", "pgha_tls_pki_dir": str(tmp_path / "pki"),
        # What the preflight (not run here) publishes.
        "__pgha_tls_preflight_done": True, "pgha_tls_dir": str(host_dir),
        "pgha_tls_ca_file": str(host_dir / "ca.crt"), "pgha_tls_cert_file": str(host_dir / "host.crt"),
        "pgha_tls_key_file": str(host_dir / "host.key")}}}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    (tmp_path / "play.yml").write_text(yaml.safe_dump([{
        "name": "Make and install pg1's certificate", "hosts": "pg1", "gather_facts": False,
        "tasks": [{"name": f"Run {tasks_from}.yml", "ansible.builtin.include_role": {
            "name": "pgha.cluster.pgha_tls", "tasks_from": tasks_from}}]}]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
               ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"))
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
         "-e", json.dumps(extra_vars), str(tmp_path / "play.yml")],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=3600)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    return {task["task"]["name"]: task["hosts"]["pg1"]
            for play in json.loads(proc.stdout)["plays"] for task in play["tasks"]}


def _names(tmp_path: Path) -> list[str]:
    from cryptography import x509  # pylint: disable=import-outside-toplevel  # ansible's own dependency

    cert = x509.load_pem_x509_certificate((tmp_path / "pki" / "pg1.crt").read_bytes())
    return [str(name) for name in cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)]


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """A first run makes the CA, pg1's key and certificate."""
    work = tmp_path_factory.mktemp("pki-run")
    results = _run(work)
    assert results[ISSUE].get("changed") is True, results[ISSUE]
    return work


def test_a_run_that_changes_nothing_runs_no_certificate_module(first):
    before = (first / "pki" / "pg1.crt").read_bytes()
    results = _run(first)
    assert results[CSR].get("skipped") is True, results[CSR]
    assert results[ISSUE].get("skipped") is True, results[ISSUE]
    assert not any(result.get("changed") for result in results.values()), results
    assert (first / "pki" / "pg1.crt").read_bytes() == before


def test_a_new_name_issues_a_new_certificate(first):
    results = _run(first, pgha_tls_extra_names=["db.example.test"])
    assert results[ISSUE].get("changed") is True, results[ISSUE]
    assert "db.example.test" in _names(first)
    # ... and once issued, the next run with the same names is quiet again.
    assert _run(first, pgha_tls_extra_names=["db.example.test"])[ISSUE].get("skipped") is True


def test_a_new_key_issues_a_new_certificate(first):
    (first / "pki" / "pg1.key").unlink()
    results = _run(first, pgha_tls_extra_names=["db.example.test"])
    assert results[ISSUE].get("changed") is True, results[ISSUE]


def test_rotate_certs_reissue_issues_a_current_certificate_again(first):
    before = (first / "pki" / "pg1.crt").read_bytes()
    results = _run(first, pgha_tls_extra_names=["db.example.test"], __pgha_tls_reissue=True)
    assert results[ISSUE].get("changed") is True, results[ISSUE]
    assert (first / "pki" / "pg1.crt").read_bytes() != before


INSTALLS = {
    "pgha.cluster.pgha_tls : Install the trusted CA certificates": "ca.crt",
    "pgha.cluster.pgha_tls : Install this host's certificate": "host.crt",
    "pgha.cluster.pgha_tls : Install this host's private key": "host.key",
}


@pytest.mark.skipif(os.geteuid() != 0, reason="the role installs the files owned by root")
def test_installed_files_are_copied_only_when_they_differ(tmp_path):
    results = _run(tmp_path, "main")
    assert all(results[task].get("changed") is True for task in INSTALLS), results
    modes = {name: (tmp_path / "host" / name).stat().st_mode & 0o777 for name in INSTALLS.values()}
    assert modes == {"ca.crt": 0o644, "host.crt": 0o644, "host.key": 0o600}

    # A rerun: one read, no copy.
    results = _run(tmp_path, "main")
    assert all(results[task].get("skipped") is True for task in INSTALLS), results
    assert not any(result.get("changed") for result in results.values())

    # A CA edited on the host and a certificate with the wrong mode are put back; the key is left.
    ca_text = (tmp_path / "host" / "ca.crt").read_text()
    (tmp_path / "host" / "ca.crt").write_text(ca_text + "# edited\n")
    (tmp_path / "host" / "host.crt").chmod(0o600)
    results = _run(tmp_path, "main")
    changed = {name for task, name in INSTALLS.items() if results[task].get("changed")}
    assert changed == {"ca.crt", "host.crt"}, results
    assert (tmp_path / "host" / "ca.crt").read_text() == ca_text
    assert (tmp_path / "host" / "host.crt").stat().st_mode & 0o777 == 0o644
