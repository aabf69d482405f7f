# Two commands do all the set-up on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
export MELTANO_DISABLE_TRACKING := true

.PHONY: venv install test test-fast lint demo bench bench-smoke airflow-test clean

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
	$(BIN)/ruff check tap-myfulfillment target-quickbooks emulators tests orchestrate

test: $(STAMP)
	$(BIN)/meltano install
	$(BIN)/python -m pytest -q tests

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q tests -m "not e2e"

demo: $(STAMP)
	$(BIN)/meltano install
	$(BIN)/python -m tests.demo

clean:
	rm -rf $(VENV) .meltano .secrets .demo
