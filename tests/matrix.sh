#!/usr/bin/env bash
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sanity and unit tests on every supported ansible-core line (tests/matrix/<line>.txt), each in
# a virtualenv of its own (.venv-<line>) on a Python that line supports, reported by line.
#
# Usage: tests/matrix.sh [--only unit|sanity] [line ...]     (default: every line, both suites)
# Sanity runs on the newest line (the unit tests on every line), to keep `make test` within CI's
# time; MATRIX_FULL_SANITY=1, or --only sanity (`make sanity`, before a release), runs it on every line.
#
# Per line: the unit tests (tests/unit: modules, filters, collection and EE metadata against
# that line's ansible-core and bundled collections; tests/roles) and tests/sanity.sh with that
# line's ansible-test, for that line's Python. The render tests (tests/render, ~4 min a line)
# run once, in `make unit`, on the lab's tool chain.
#
# Python per line: the newest this machine has of those the line supports, looked up as
# python3.X on PATH, then under pyenv's versions directory; where none is found and apt offers
# python3.X, it is installed (Debian 13 / Ubuntu). Otherwise the line prints SKIPPED with the
# reason: it is not counted as passed, and the summary says how many lines ran.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

# ansible-core line -> controller Pythons it supports, newest first (ansible-core's support matrix).
declare -A PYTHONS=(
    [2.19]="3.13 3.12 3.11"
    [2.20]="3.14 3.13 3.12"
    [2.21]="3.14 3.13 3.12"
)
# The Python each line prefers here, so that three different interpreters are exercised.
declare -A PREFERRED=([2.19]=3.11 [2.20]=3.12 [2.21]=3.13)

only=""
if [[ "${1:-}" == --only ]]; then
    only=$2
    shift 2
fi
lines=("$@")
if [[ ${#lines[@]} -eq 0 ]]; then
    for file in tests/matrix/*.txt; do
        file=${file##*/}
        if [[ "$file" =~ ^[0-9]+\.[0-9]+\.txt$ ]]; then lines+=("${file%.txt}"); fi
    done
    mapfile -t lines < <(printf '%s\n' "${lines[@]}" | sort -V)
fi

as_root() { if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

find_python() {  # $1 = X.Y; prints an interpreter path or nothing
    local v=$1 candidate
    for candidate in "$(command -v "python$v" 2>/dev/null || true)" \
        "$(printf '%s\n' "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$v".*/bin/"python$v" | sort -V | tail -1)"; do
        if [[ -n "$candidate" && -x "$candidate" ]] && "$candidate" -c 'import ensurepip, venv' 2>/dev/null; then
            echo "$candidate"
            return
        fi
    done
}

python_for() {  # $1 = line; prints an interpreter path or nothing
    local line=$1 v found
    for v in ${PREFERRED[$line]} ${PYTHONS[$line]}; do
        found=$(find_python "$v")
        if [[ -n "$found" ]]; then echo "$found"; return; fi
    done
    # None here: install one Debian/Ubuntu offers (apt python3.X with its venv module).
    if command -v apt-cache >/dev/null; then
        for v in ${PREFERRED[$line]} ${PYTHONS[$line]}; do
            if apt-cache show "python$v-venv" >/dev/null 2>&1 || { as_root apt-get update -qq >/dev/null 2>&1 && apt-cache show "python$v-venv" >/dev/null 2>&1; }; then
                as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python$v" "python$v-venv" >/dev/null
                found=$(find_python "$v")
                if [[ -n "$found" ]]; then echo "$found"; return; fi
            fi
        done
    fi
}

venv_for() {  # $1 = line, $2 = python; builds .venv-<line> when its requirements changed
    local line=$1 python=$2 venv=.venv-$1
    if [[ ! -e "$venv/.installed" || "tests/matrix/$line.txt" -nt "$venv/.installed" ]]; then
        rm -rf "$venv"
        "$python" -m venv "$venv"
        "$venv/bin/pip" install -q --upgrade pip
        "$venv/bin/pip" install -q -r "tests/matrix/$line.txt"
        touch "$venv/.installed"
    fi
}

declare -a report=()
failed=0
ran=0
for line in "${lines[@]}"; do
    if [[ ! -f "tests/matrix/$line.txt" || -z "${PYTHONS[$line]:-}" ]]; then
        echo "matrix: unknown ansible-core line $line (tests/matrix/$line.txt and PYTHONS in $0)" >&2
        exit 2
    fi
    python=$(python_for "$line")
    if [[ -z "$python" ]]; then
        report+=("SKIPPED  ansible-core $line: no Python among ${PYTHONS[$line]} on this machine or in its apt sources (not a pass)")
        continue
    fi
    venv_for "$line" "$python"
    pyver=$(".venv-$line/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    core=$(".venv-$line/bin/python" -c 'from ansible.release import __version__; print(__version__)')
    ran=$((ran + 1))
    results=()
    line_failed=0
    if [[ "$only" != sanity ]]; then
        echo "=== ansible-core $core (Python $pyver): unit tests"
        start=$SECONDS
        log=$(mktemp)
        if ".venv-$line/bin/pytest" -q -p no:cacheprovider tests/unit tests/roles 2>&1 | tee "$log"; then
            results+=("unit: $(grep -E '^[0-9]+ passed' "$log" | tail -1) ($((SECONDS - start)) s)")
        else
            results+=("unit: FAILED: $(grep -E '(passed|failed|error)' "$log" | tail -1)")
            line_failed=1
        fi
        rm -f "$log"
    fi
    if [[ "$only" != unit && ( "$line" == "${lines[-1]}" || "${MATRIX_FULL_SANITY:-0}" == 1 || "$only" == sanity ) ]]; then
        echo "=== ansible-core $core (Python $pyver): sanity"
        start=$SECONDS
        if ANSIBLE_TEST=$repo/.venv-$line/bin/ansible-test SANITY_PYTHON=$pyver SANITY_REQUIREMENTS=1 \
            SANITY_HOME=$repo/tests/output/.sanity-home-$line tests/sanity.sh; then
            results+=("sanity: passed ($((SECONDS - start)) s)")
        else
            results+=("sanity: FAILED")
            line_failed=1
        fi
    elif [[ "$only" != unit ]]; then
        results+=("sanity: not run on this line (the newest line's only; MATRIX_FULL_SANITY=1 or make sanity for every line)")
    fi
    if ((line_failed)); then failed=1; fi
    report+=("$( ((line_failed)) && echo FAILED || echo ok)       ansible-core $core, Python $pyver: $(IFS=';'; echo "${results[*]}")")
done

echo
echo "=== supported ansible-core lines: ${#lines[@]}, tested: $ran"
printf '%s\n' "${report[@]}"
if ((failed)); then
    echo "matrix: FAILED" >&2
    exit 1
fi
if ((ran < ${#lines[@]})); then
    echo "matrix: $((${#lines[@]} - ran)) line(s) SKIPPED, not tested on this machine"
fi
