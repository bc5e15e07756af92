# Two commands for a newcomer (README): `make lab` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
COLLECTION_LINK := .collections/ansible_collections/pgha/cluster
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help lab test unit lint sanity molecule molecule-debian13 molecule-rocky10 down status venv drill

help:
	@echo "make lab    build the local lab (5 containers) and deploy the whole stack on it"
	@echo "make test   run every test: unit, lint, sanity, Molecule (deploy, idempotence, failover)"
	@echo "make down   remove the lab"
	@echo "make drill  fault drills under load on the lab (reference + fast profiles, ~25 min) -> results/drills/latest.md"

# --- tool chain ------------------------------------------------------------
$(BIN)/.installed: requirements-dev.txt
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || { \
	  echo "installing python3-venv"; \
	  sudo_() { if [ "$$(id -u)" -eq 0 ]; then "$$@"; else sudo "$$@"; fi; }; \
	  sudo_ apt-get update -qq && sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null; }
	$(PYTHON) -m venv $(VENV)
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

down:
	lab/lab.sh down

# --- tests -----------------------------------------------------------------
test: venv
	lab/lab.sh deps
	$(MAKE) unit lint sanity molecule

unit: venv
	$(BIN)/pytest -q tests/unit tests/roles tests/render tests/pgha_lab

lint: venv
	$(BIN)/ansible-lint --profile production

# ansible-test pins its own linters: they live in a venv of their own.
SANITY_VENV := .venv-sanity
$(SANITY_VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(SANITY_VENV)
	$(SANITY_VENV)/bin/pip install -q --upgrade pip
	$(SANITY_VENV)/bin/pip install -q $$(grep -E '^ansible-core==' requirements-dev.txt)
	touch $@

sanity: venv $(SANITY_VENV)/.installed
	@command -v shellcheck >/dev/null || { \
	  sudo_() { if [ "$$(id -u)" -eq 0 ]; then "$$@"; else sudo "$$@"; fi; }; \
	  sudo_ apt-get update -qq && sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null; }
	ANSIBLE_TEST=$(CURDIR)/$(SANITY_VENV)/bin/ansible-test SANITY_REQUIREMENTS=1 tests/sanity.sh

molecule: molecule-debian13 molecule-rocky10

molecule-debian13: venv
	$(BIN)/molecule test -s debian13

# Runs only where a Rocky 10 systemd image exists; otherwise prints SKIPPED and why.
molecule-rocky10: venv
	tests/rocky10.sh


# --- fault drills ----------------------------------------------------------
# On a running lab (make lab); restores the reference profile at the end.
drill: venv
	$(BIN)/python -m pgha_lab --repeat 3 --profiles reference,fast
