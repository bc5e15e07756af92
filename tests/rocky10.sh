#!/usr/bin/env bash
# Molecule scenario rocky10 (Rocky Linux 10 containers), run only where a
# Rocky Linux 10 systemd image is on this machine: nothing here can build one.
#
#   PGHA_ROCKY10_IMAGE=<image> tests/rocky10.sh     default pgha/rocky10-systemd:latest
#
# Without the image it prints one SKIPPED line and exits 0: the scenario did
# not run, so nothing is claimed to pass.
set -euo pipefail
cd "$(dirname "$0")/.."

image="${PGHA_ROCKY10_IMAGE:-pgha/rocky10-systemd:latest}"

if ! docker info >/dev/null 2>&1; then
  echo "rocky10: cannot reach the docker daemon, so cannot tell whether '$image' exists (lab/lab.sh deps starts it)" >&2
  exit 1
fi

if ! docker image inspect "$image" >/dev/null 2>&1; then
  echo "SKIPPED: molecule rocky10: no Rocky 10 systemd image '$image' on this machine" \
    "(set PGHA_ROCKY10_IMAGE to a local Rocky Linux 10 image that boots systemd; see molecule/rocky10/molecule.yml)"
  exit 0
fi

molecule="$(command -v molecule || echo .venv/bin/molecule)"
export PGHA_ROCKY10_IMAGE="$image"
exec "$molecule" test -s rocky10
