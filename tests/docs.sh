#!/usr/bin/env bash
# Copyright: pgha maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The collection's docs with antsibull-docs: lint, then a Sphinx site built from the modules,
# filters and the roles' argument specs (docs/build/build/html/index.html).
#
# Usage: tests/docs.sh [lint|build|all]       (default: all)
# Environment (make docs sets them): PATH with the release tools' venv (.venv-tools) first,
#   ANSIBLE_COLLECTIONS_PATH naming this checkout's .collections and the ansible_collections
#   directory that holds the declared dependencies (ansible-doc must resolve them).
#
# Warnings: the Sphinx build fails on any warning except those caused by having no network:
# the intersphinx inventories (docs.ansible.com, docs.python.org, jinja) cannot be fetched, so
# the labels antsibull-docs' templates take from docs.ansible.com stay undefined. Those two
# kinds are listed (and counted) rather than hidden; any other warning fails the build.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-all}
collection=$repo/.collections/ansible_collections/pgha/cluster
out=$repo/docs/build

lint() {
    echo "=== antsibull-docs lint-collection-docs"
    antsibull-docs lint-collection-docs --plugin-docs "$collection"
    echo "lint-collection-docs: clean"
}

build() {
    echo "=== antsibull-docs sphinx site"
    rm -rf "$out"
    mkdir -p "$out"
    antsibull-docs sphinx-init --use-current --fail-on-error --dest-dir "$out" \
        --title "pgha.cluster" --project "pgha.cluster" pgha.cluster >/dev/null
    mkdir -p "$out/rst"
    chmod og-w "$out/rst"  # antsibull-docs wants that directory only writable by itself
    antsibull-docs --config-file "$out/antsibull-docs.cfg" collection --cleanup everything --fail-on-error \
        --use-current --dest-dir "$out/rst" pgha.cluster
    local warnings=$out/sphinx-warnings.log status=0
    sphinx-build -M html "$out/rst" "$out/build" -q -c "$out" --keep-going -w "$warnings" 2>"$out/sphinx-stderr.log" || status=$?
    if [[ $status -ne 0 ]]; then
        echo "docs: sphinx-build failed (exit $status)" >&2
        cat "$warnings" >&2
        return 1
    fi
    # A warning starts a line with "<file>:<line>: WARNING:" or "WARNING:"; continuation lines follow.
    local offline=0 other
    offline=$(grep -cE "WARNING: failed to reach any of the inventories|WARNING: undefined label: '(common_return_values|ansible_configuration_settings|action_plugins)'" "$warnings" || true)
    other=$(grep -E 'WARNING|ERROR' "$warnings" |
        grep -vE "WARNING: failed to reach any of the inventories|WARNING: undefined label: '(common_return_values|ansible_configuration_settings|action_plugins)'" || true)
    if [[ -n "$other" ]]; then
        echo "docs: FAILED, Sphinx warnings:" >&2
        echo "$other" >&2
        return 1
    fi
    echo "docs: built $out/build/html/index.html (no warnings besides $offline from unreachable intersphinx inventories)"
    for page in index etcd_role patroni_role patroni_config_module unpublished_filter; do
        [[ -s "$out/build/html/collections/pgha/cluster/$page.html" ]] || { echo "docs: $page.html missing" >&2; return 1; }
    done
}

case $mode in
    lint) lint ;;
    build) build ;;
    all) lint && build ;;
    *) echo "usage: $0 [lint|build|all]" >&2; exit 2 ;;
esac
