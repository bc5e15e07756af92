# Two commands for a newcomer (README): `make lab` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
# The lab, Molecule and lint run on the newest ansible-core line (2.21), which needs Python >= 3.12
# on the controller: the newest of 3.13 and 3.12 found (PATH, pyenv) or installed from apt.
DEV_PYTHON = $(shell tests/find-python.sh 3.13 3.12)
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .collections/ansible_collections/pgha/cluster
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help lab bench test checks unit alerts lint sanity matrix ee-context docs docs-lint changelog molecule molecule-debian13 molecule-rocky10 down status venv tools-venv drill

help:
	@echo "make lab    build the local lab (7 containers) and deploy the whole stack on it"
	@echo "make test   run every test: unit, lint, sanity + unit per ansible-core line, EE context, docs, Molecule"
	@echo "make docs   build the collection's docs site (docs/build/html)"
	@echo "make down   remove the lab"
	@echo "make bench  pgbench on the lab: VIP vs direct, synchronous vs local commit, -C (~7 min) -> results/bench/latest.md"
	@echo "make drill  fault drills under load on the lab (reference + fast profiles, ~25 min) -> results/drills/latest.md,"
	@echo "           then the synchronous posture drills (reference, strict, quorum, async) -> results/drills/posture.md"

# --- tool chain ------------------------------------------------------------
$(BIN)/.installed: requirements-dev.txt
	@python=$(DEV_PYTHON); [ -n "$$python" ] || { echo "make venv: needs Python 3.13 or 3.12 (ansible-core 2.21)" >&2; exit 1; }; \
	  "$$python" -c 'import ensurepip, venv' || exit 1; \
	  rm -rf $(VENV) && echo "$$python -m venv $(VENV)" && "$$python" -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

$(COLLECTION_LINK):
	mkdir -p $(dir $@)
	ln -sfn ../../.. $@

# The venv's python imports this checkout's pgha_lab and ansible_collections.pgha.cluster
# (the lab tests, Molecule's verifier, `python -m pgha_lab`) through a .pth naming the
# checkout: rewritten on every `make venv`, so a moved checkout or a fresh clone never
# imports another one's code.
venv: $(BIN)/.installed $(COLLECTION_LINK)
	@printf '%s\n' "$(CURDIR)" "$(CURDIR)/.collections" \
	  > "$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/pgha-checkout.pth"

# --- the lab ---------------------------------------------------------------
lab: venv
	lab/lab.sh up
	$(BIN)/ansible-playbook -i inventory/lab site.yml
	@lab/show.sh

status:
	@lab/show.sh

# What the cluster costs (a tool, not a test): pgbench on the lab, VIP against direct, synchronous
# commit against local, a connection per transaction; results/bench/latest.md and .json.
bench: venv
	lab/lab.sh pgbench
	$(BIN)/python -m pgha_lab.bench $(BENCH_ARGS)

down:
	lab/lab.sh down

# --- tests -----------------------------------------------------------------
# The checks that need no lab (unit, lint, sanity and unit per ansible-core line, EE context,
# docs) run beside Molecule, whose lab tests mostly wait on the cluster's own timers; their
# lines are prefixed [checks]. Both must pass. Molecule is the longer of the two (its converge and
# lab tests take most of `make test`): the checks run at the lowest CPU priority (nice 19; at 10 the
# render tests' ~60 processes still took about half the CPU from the converge), so on a machine with
# few cores they take the time Molecule's lab leaves idle instead of slowing it.
# Both logs are kept in tests/output/; the run ends with what failed and where the time went
# (a CI log is often read from its tail alone).
TEST_LOGS := tests/output/make-test
test: venv
	lab/lab.sh deps
	lab/secrets.sh
	@mkdir -p $(TEST_LOGS); set -o pipefail; start=$$(date +%s); \
	  { nice -n 19 $(MAKE) --no-print-directory checks 2>&1 | tee $(TEST_LOGS)/checks.log | sed -u 's/^/[checks] /'; } & checks_pid=$$!; \
	  $(MAKE) --no-print-directory molecule 2>&1 | tee $(TEST_LOGS)/molecule.log; molecule_rc=$$?; \
	  wait $$checks_pid; checks_rc=$$?; \
	  echo "=== make test summary ($$(( ($$(date +%s) - start) / 60 )) min) ==="; \
	  for log in checks molecule; do \
	    echo "--- $$log: failures and errors"; \
	    sed 's/\x1b\[[0-9;]*m//g' $(TEST_LOGS)/$$log.log | grep -E '^(FAILED|ERROR)[ :]|^=+ .*(passed|failed|error).* =+$$|fatal: \[' | tail -n 40; \
	  done; \
	  echo "--- molecule: the slowest lab tests"; \
	  sed 's/\x1b\[[0-9;]*m//g' $(TEST_LOGS)/molecule.log | grep -E '^ *[0-9.]+s (call|setup|teardown) ' | sort -rn | head -n 15; \
	  echo "make test: checks (unit lint matrix ee-context docs-lint alerts) rc=$$checks_rc, molecule rc=$$molecule_rc"; \
	  [ $$checks_rc -eq 0 ] && [ $$molecule_rc -eq 0 ]

checks: unit lint matrix ee-context docs-lint alerts

unit: venv
	lab/secrets.sh
	$(BIN)/pytest -q tests/unit tests/roles tests/render tests/pgha_lab

# The alert rules shipped for Prometheus (roles/monitoring/files/rules): `promtool check rules`
# and their unit tests (tests/alerts/*.test.yml, `promtool test rules`), with Debian 13's
# promtool unpacked by lab/lab.sh (the version the distribution's Prometheus ships with).
alerts:
	promtool="$$(lab/lab.sh promtool)" && "$$promtool" check rules roles/monitoring/files/rules/*.yml \
	  && "$$promtool" test rules tests/alerts/*.test.yml

lint: venv
	$(BIN)/ansible-lint --profile production

# Sanity and unit tests on every supported ansible-core line (tests/matrix/<line>.txt), each
# in .venv-<line> on its own Python; ansible-test pins its own linters there. Reported by line.
matrix: $(COLLECTION_LINK)
	@command -v shellcheck >/dev/null || { \
	  sudo_() { if [ "$$(id -u)" -eq 0 ]; then "$$@"; else sudo "$$@"; fi; }; \
	  sudo_ apt-get update -qq && sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
	tests/matrix.sh

# Sanity alone, every line (make sanity LINES=2.21 for one).
sanity: $(COLLECTION_LINK)
	tests/matrix.sh --only sanity $(LINES)

# Release and packaging tools (ansible-builder, antsibull-docs, antsibull-changelog).
TOOLS := .venv-tools
$(TOOLS)/.installed: requirements-tools.txt
	rm -rf $(TOOLS)
	$(DEV_PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q --upgrade pip
	$(TOOLS)/bin/pip install -q -r requirements-tools.txt
	touch $@

tools-venv: $(TOOLS)/.installed

# `ansible-builder create` on tests/ee/execution-environment.yml with the built tarball and its
# dependencies (packed from the dev venv's `ansible` package), the context checked by
# tests/ee. Building the image needs its base image from a registry (README).
EE_WORK := tests/output/ee
ee-context: venv tools-venv
	PGHA_EE_WORK=$(CURDIR)/$(EE_WORK) \
	PGHA_BUNDLED_COLLECTIONS=$$($(BIN)/python -c 'import importlib.util, os; \
	  print(os.path.dirname(os.path.dirname(importlib.util.find_spec("ansible_collections.ansible.posix").submodule_search_locations[0])))') \
	  $(TOOLS)/bin/pytest -q -p no:cacheprovider tests/ee

molecule: molecule-debian13 molecule-rocky10

molecule-debian13: venv
	$(BIN)/molecule test -s debian13

# Runs only where a Rocky 10 systemd image exists; otherwise prints SKIPPED and why.
molecule-rocky10: venv
	tests/rocky10.sh


# The docs site (antsibull-docs + Sphinx) from the modules, filters and roles' argument specs;
# ansible-doc resolves the declared dependencies from the dev venv's `ansible` package.
BUNDLED = $$($(BIN)/python -c 'import importlib.util, os; \
  print(os.path.dirname(os.path.dirname(os.path.dirname(importlib.util.find_spec("ansible_collections.ansible.posix").submodule_search_locations[0]))))')
DOCS_ENV = PATH=$(CURDIR)/$(TOOLS)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$(CURDIR)/.collections:$(BUNDLED)

docs: venv tools-venv
	$(DOCS_ENV) tests/docs.sh build

# Lint clean and the site built without warnings (make test).
docs-lint: venv tools-venv
	$(DOCS_ENV) tests/docs.sh all

# A release: the fragments in changelogs/fragments become CHANGELOG.md/.rst for galaxy.yml's
# version (antsibull-changelog; the fragments are removed, changelogs/changelog.yaml keeps them).
changelog: tools-venv
	$(TOOLS)/bin/antsibull-changelog lint
	$(TOOLS)/bin/antsibull-changelog release

# --- fault drills ----------------------------------------------------------
# On a running lab (make lab); restores the reference profile at the end.
drill: venv
	$(BIN)/python -m pgha_lab --repeat 3 --profiles reference,fast
	$(BIN)/python -m pgha_lab --repeat 3 --drills sync_standby_stop,standbys_stop --profiles reference,strict,quorum,async --name posture
