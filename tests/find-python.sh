#!/usr/bin/env bash
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Print the first usable interpreter among the Python versions given (newest first), e.g.
#   tests/find-python.sh 3.13 3.12
# Looked up as pythonX.Y on PATH (outside this checkout's virtualenvs), then under pyenv's
# versions directory; where none is found and apt offers pythonX.Y-venv (Debian 13, Ubuntu
# 24.04 and newer), it is installed. Exits 1, saying why on stderr, when none can be had.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
as_root() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

usable() { [[ -n "$1" && -x "$1" ]] && "$1" -c 'import ensurepip, venv' 2>/dev/null; }

find_one() {
    local v=$1 candidate
    candidate=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v "^$repo/" | paste -sd: -) command -v "python$v" 2>/dev/null || true)
    if usable "$candidate"; then echo "$candidate"; return; fi
    candidate=$(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v" | sort -V | tail -1)
    if usable "$candidate"; then echo "$candidate"; return; fi
}

for v in "$@"; do
    found=$(find_one "$v")
    if [[ -n "$found" ]]; then echo "$found"; exit 0; fi
done
if command -v apt-get >/dev/null; then
    as_root apt-get update -qq >/dev/null 2>&1 || true
    for v in "$@"; do
        if apt-cache show "python$v-venv" >/dev/null 2>&1; then
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$v" "python$v-venv" >/dev/null
            found=$(find_one "$v")
            if [[ -n "$found" ]]; then echo "$found"; exit 0; fi
        fi
    done
fi
echo "find-python.sh: none of Python $* here, under pyenv or in the apt sources" >&2
exit 1
