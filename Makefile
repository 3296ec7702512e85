# htic-eval — few verbs. CI runs `make test`, exactly what the README tells a person to run.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: demo test ui bench venv debian-packages clean

## venv: the virtual environment, from the lock file (re-done only when the lock changes)
venv: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.9 \
	  && $(BIN)/uv pip sync -q --python $(BIN)/python --compile-bytecode requirements.lock \
	  || $(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	@$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e . 2>/dev/null \
	  || $(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	@touch $(STAMP)

## demo: synthetic world -> ingest -> validate -> model -> metrics -> funder snapshot
demo: $(STAMP)
	$(BIN)/htic demo

## test: the whole suite (small worlds). Installs Debian's chromium/poppler-utils when root.
test: $(STAMP) debian-packages
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

debian-packages:
	@bash .ci/debian-packages.sh

## ui: the Dagster UI on http://127.0.0.1:3000
ui: $(STAMP)
	$(BIN)/htic ui

## bench: the cost curve — every stage's wall time and peak memory at each scale, the DuckDB floor,
## dbt's overhead and a monthly run (prints; writes warehouse/bench/curve.csv and README's cost table)
SCALES ?= 1 3 10 30
bench: $(STAMP)
	$(BIN)/python bench/run.py $(SCALES)

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs
