# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
export MELTANO_DISABLE_TRACKING := true
export MELTANO_CLI_DISABLE_VERSION_CHECK := true

.PHONY: venv install test test-fast lint demo bench bench-large bench-smoke airflow-test conformance constraints clean

$(STAMP): requirements-dev.txt tap-myfulfillment/pyproject.toml target-quickbooks/pyproject.toml emulators/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## `meltano install` of every plugin, offline from Meltano Hub (all plugins are custom).
install: $(STAMP)
	$(BIN)/meltano install

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy tap-myfulfillment/tap_myfulfillment target-quickbooks/target_quickbooks emulators

test: lint
	$(BIN)/meltano install
	$(BIN)/python -m pytest -q tests
	$(MAKE) conformance

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests -m "not e2e"

demo: $(STAMP)
	$(BIN)/meltano install
	$(BIN)/python orchestrate/demo.py

AIRFLOW_VENV := .airflow-venv

## Load the Airflow DAGs (orchestrate/) with real Airflow, in its own venv (.airflow-venv),
## and run the hourly DAGs (`airflow dags test`) against the emulators (a few minutes).
airflow-test: install
	test -x $(AIRFLOW_VENV)/bin/python || $(BIN)/uv venv -q --python $(BIN)/python $(AIRFLOW_VENV)
	$(BIN)/uv pip install -q --python $(AIRFLOW_VENV)/bin/python -r orchestrate/requirements-airflow.txt
	export AIRFLOW_HOME="$$(mktemp -d)" && trap 'rm -rf "$$AIRFLOW_HOME"' EXIT && \
	  REQUIRE_AIRFLOW=1 MELTANO_BIN="$(CURDIR)/$(BIN)/meltano" \
	  $(AIRFLOW_VENV)/bin/python -m pytest -q -p no:cacheprovider --durations=3 tests/orchestrate

CONFORMANCE_VENV := .conformance-venv

## The QuickBooks emulator judged by python-quickbooks and intuit-oauth, in their own venv
## (.conformance-venv; tests/conformance). python-quickbooks 0.9.12 pins intuit-oauth 1.2.6,
## so it is installed with --no-deps next to intuit-oauth 1.2.7.
conformance: $(STAMP)
	test -x $(CONFORMANCE_VENV)/bin/python || $(BIN)/uv venv -q --python $(BIN)/python $(CONFORMANCE_VENV)
	$(BIN)/uv pip install -q --python $(CONFORMANCE_VENV)/bin/python -r tests/conformance/requirements.txt
	$(BIN)/uv pip install -q --python $(CONFORMANCE_VENV)/bin/python --no-deps -r tests/conformance/requirements-no-deps.txt
	$(CONFORMANCE_VENV)/bin/python -m pytest -q -c tests/conformance/pytest.ini tests/conformance

## Throughput and memory benchmark against the emulators (several minutes; see bench/RESULTS.md).
bench: $(STAMP)
	$(BIN)/python -m bench.run --json bench-results.json

## A merchant-sized first sync (24,000 products at QuickBooks' limits; about 4 minutes).
bench-large: $(STAMP)
	$(BIN)/python -m bench.run --profile large --only bulk_write --json bench-large-results.json

## The benchmark's fast smoke run (also part of `make test`).
bench-smoke: $(STAMP)
	$(BIN)/python -m pytest -q tests/bench

clean:
	rm -rf $(VENV) $(AIRFLOW_VENV) $(CONFORMANCE_VENV) .meltano .secrets .demo

## Re-pin the plugins' third-party dependencies (plugins/constraints.txt).
constraints: $(STAMP)
	rm -rf .constraints-venv && $(BIN)/uv venv -q .constraints-venv
	$(BIN)/uv pip install -q --python .constraints-venv/bin/python -e ./tap-myfulfillment -e ./target-quickbooks
	{ echo "# Pinned versions of everything the plugins install (meltano install reads this"; \
	  echo "# through each plugin's pip_url). Regenerate with: make constraints"; \
	  $(BIN)/uv pip freeze --python .constraints-venv/bin/python | grep -v '^-e\|file://'; } > plugins/constraints.txt
	rm -rf .constraints-venv
