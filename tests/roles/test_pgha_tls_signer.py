"""Which CA signs the host certificates (roles/pgha_tls/vars/main.yml), evaluated by Ansible's
own templar over the role's defaults and vars. During a CA rotation the next CA must sign only in
playbooks/rotate-certs.yml's re-issue step: x509_certificate re-issues a certificate whose issuer
is not the signer, so signing with the next CA while the hosts still run trusting the current one
alone re-issued every certificate in the rotation's first step, and etcd cut off the member it
restarted (its peers had read their trusted CAs at start). Found by the rotate_ca drill."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "render"))
from render_tasks import _trust, render  # noqa: E402  pylint: disable=wrong-import-position


def _role_vars(pki_dir: Path, **extra) -> dict:
    role = ROOT / "roles" / "pgha_tls"
    variables = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    variables.update(yaml.safe_load((role / "vars" / "main.yml").read_text()))
    variables.update(pgha_tls_pki_dir=str(pki_dir), inventory_hostname="pg1", **extra)
    return _trust(variables)


@pytest.mark.parametrize(("rotating", "reissue", "signer"), [
    (False, False, "ca"),
    (False, True, "ca"),  # rotate-certs.yml without a CA rotation: the current CA re-issues
    (True, False, "ca"),  # a rotation's first step, or site.yml during one: nothing re-issued
    (True, True, "ca-next"),  # the re-issue step, once every host trusts both CAs
])
def test_the_next_ca_signs_only_in_the_reissue_step(tmp_path, rotating, reissue, signer):
    if rotating:
        (tmp_path / "ca-next.crt").write_text("the next CA")
    variables = _role_vars(tmp_path, **({"__pgha_tls_reissue": True} if reissue else {}))
    assert render("{{ __pgha_tls_signer_cert }}", variables) == str(tmp_path / f"{signer}.crt")
    assert render("{{ __pgha_tls_signer_key }}", variables) == str(tmp_path / f"{signer}.key")
    # While rotating, the hosts trust both CAs whatever the step.
    trusted = [str(tmp_path / "ca.crt")] + ([str(tmp_path / "ca-next.crt")] if rotating else [])
    assert render("{{ __pgha_tls_trusted_cas }}", variables) == trusted
