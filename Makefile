# Quarterdeck — the README's commands. `make dev` and `make test` install what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 3000
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup chromium dev test test-fast lint unit integration e2e bench nudge report clean

include mk/iac.mk

## help: list the commands
help:
	@grep -hE '^## ' $(MAKEFILE_LIST) | sed 's/^## /  /'

$(VENV)/.installed: requirements-dev.txt layers/shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## setup: create .venv with the pinned development requirements
setup: $(VENV)/.installed

## chromium: install Debian's chromium for the browser tests (needs root; skipped if present)
chromium:
	@if [ -x "$(CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = "0" ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "chromium is missing and this is not root: run 'sudo apt-get install chromium'"; exit 1; \
	fi

## dev: the whole stack locally on http://127.0.0.1:$(PORT) (moto, no AWS account, no Docker)
dev: setup
	PORT=$(PORT) $(PY) -m local.dev

## lint: ruff, mypy
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy layers/shared/quarterdeck functions local bench

## test: lint, IaC checks, and every test suite (unit, integration, e2e in Chromium, slow ones too)
test: setup chromium lint iac-lint build
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## test-fast: the same without the slow suites
test-fast: setup lint
	$(VENV)/bin/pytest -m "not slow" $(PYTEST_ARGS)

## bench: benchmarks (cold start, round trips, latency, scaling, pacing, size); writes bench/results.json
bench: setup
	$(PY) -m bench

## nudge [AT=2026-06-21T18:00:00-07:00]: run the nudges against the local stack started by `make dev`
nudge: setup
	$(PY) -m local.commands nudge $(if $(AT),--at $(AT),)

## report KIND=cfo [AT=2026-12-07T07:00:00-08:00]: send one report now (or as of AT) through the local stack started by `make dev`
report: setup
	$(PY) -m local.commands report $(if $(KIND),--only $(KIND),) $(if $(AT),--at $(AT),)

## clean: remove build output and caches
clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
