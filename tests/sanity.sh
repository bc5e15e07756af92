#!/usr/bin/env bash
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# ansible-test sanity for pgha.cluster, without docker, plus an ansible-doc render of every module and filter.
#
# ansible-test wants the collection at .../ansible_collections/<namespace>/<name>; the checkout
# is not, so the files git knows about (tracked, and untracked but not ignored) are copied into a
# temporary tree of that shape, which gets its own `git init` so ansible-test lists exactly them.
#
# Usage: tests/sanity.sh [extra ansible-test sanity arguments, e.g. --test pep8]
# Environment:
#   ANSIBLE_TEST        ansible-test to run (default: the one on PATH)
#   SANITY_PYTHON       Python version to test (default: 3.11, must be the one ansible-test runs on)
#   SANITY_REQUIREMENTS 1: let ansible-test pip-install its pinned tools first (needs PyPI)
#   KEEP_SANITY_TREE    1: keep the temporary tree (its path is printed)
#   SANITY_HOME         HOME for ansible-test: its per-test virtualenvs and caches live there
#                       (default: tests/output/.sanity-home, git-ignored)
#
# ansible-test runs most sanity tests in virtualenvs of its own, created without pip, and
# bootstraps pip with get-pip.py downloaded from ci-files.testing.ansible.com. Where only PyPI
# is reachable that download fails, so when the cached script is missing this script writes a
# stand-in that bootstraps pip with the interpreter's own ensurepip and then lets pip install
# the pinned packages from PyPI (ansible-test documents the cache path as the manual fallback).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ansible_test=${ANSIBLE_TEST:-$(command -v ansible-test || true)}
if [[ -z "$ansible_test" || ! -x "$ansible_test" ]]; then
    echo "sanity.sh: ansible-test not found; set ANSIBLE_TEST=/path/to/ansible-test" >&2
    exit 2
fi
bindir=$(dirname "$ansible_test")
ansible_doc=${ANSIBLE_DOC:-$bindir/ansible-doc}
python_version=${SANITY_PYTHON:-3.11}

work=$(mktemp -d "${TMPDIR:-/tmp}/pgha-sanity.XXXXXX")
if [[ "${KEEP_SANITY_TREE:-0}" == 1 ]]; then
    echo "sanity.sh: tree kept in $work"
else
    trap 'rm -rf "$work"' EXIT
fi
dest=$work/ansible_collections/pgha/cluster
mkdir -p "$dest"

# Tracked and untracked-but-not-ignored files that exist (a deleted tracked file is skipped).
(
    cd "$repo"
    git ls-files -z --cached --others --exclude-standard |
        while IFS= read -r -d '' file; do
            if [[ -e "$file" || -L "$file" ]]; then printf '%s\0' "$file"; fi
        done |
        tar --null --no-recursion -T - -cf -
) | tar -C "$dest" -xf -

(
    cd "$dest"
    git init -q
    git add -A
)

sanity_home=${SANITY_HOME:-$repo/tests/output/.sanity-home}
mkdir -p "$sanity_home/.ansible/test/cache"
pip_version=$(SANITY_PY=$python_version "${ansible_test%/*}/python" - <<'PY' 2>/dev/null || true
import os
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version=os.environ['SANITY_PY']))['pip'])
PY
)
if [[ -n "$pip_version" ]]; then
    get_pip=$sanity_home/.ansible/test/cache/get_pip_${pip_version//./_}.py
    if [[ ! -e "$get_pip" ]]; then
        cat >"$get_pip" <<'PY'
# Stand-in for get-pip.py (written by pgha tests/sanity.sh): ensurepip, then pip install "$@".
import ensurepip
import os
import runpy
import sys

environ = dict(os.environ)
ensurepip.bootstrap()  # it sets PIP_CONFIG_FILE=/dev/null in this process: undo that
os.environ.clear()
os.environ.update(environ)
args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
sys.argv = ['pip', 'install'] + args
runpy.run_module('pip', run_name='__main__', alter_sys=True)
PY
    fi
fi

status=0

# Skipped tests, each with its reason:
#   none. With --python the version-specific tests (compile, import) run for that version only,
#   which is how the other interpreters are left out; every remaining test runs offline once
#   ansible-test's own requirements are installed (SANITY_REQUIREMENTS=1 does that once).
requirements=()
if [[ "${SANITY_REQUIREMENTS:-0}" == 1 ]]; then
    requirements=(--requirements)
fi
(
    cd "$dest"
    HOME=$sanity_home "$ansible_test" sanity --local --python "$python_version" --color no "${requirements[@]}" "$@"
) || status=$?

# ansible-doc must render every module and every filter plugin (doc fragments resolved, YAML valid).
render_doc() {
    local type=$1 name=$2 out="$work/doc-$1-$2.txt"
    if ANSIBLE_COLLECTIONS_PATH=$work ANSIBLE_NOCOLOR=1 "$ansible_doc" -t "$type" "pgha.cluster.$name" >"$out" 2>&1 \
        && ! grep -q '^\[ERROR\]\|^\[WARNING\]' "$out"; then
        echo "ansible-doc -t $type pgha.cluster.$name: ok"
    else
        echo "ansible-doc -t $type pgha.cluster.$name: FAILED" >&2
        cat "$out" >&2
        status=1
    fi
}
for path in "$dest"/plugins/modules/*.py; do
    [[ -e "$path" ]] || continue
    render_doc module "$(basename "$path" .py)"
done
for path in "$dest"/plugins/filter/*.py; do
    [[ -e "$path" ]] || continue
    render_doc filter "$(basename "$path" .py)"
done

if [[ $status -ne 0 ]]; then
    echo "sanity.sh: FAILED (exit $status)" >&2
else
    echo "sanity.sh: all passed"
fi
exit "$status"
