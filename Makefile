# cityops — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export CITYOPS_DATA_DIR ?= data
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install install-test system-deps system-test-deps run init demo test test-fast lint \
	format clean \
	bench bench-quick

install: $(STAMP) system-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install-test: $(TEST_STAMP) system-test-deps

$(TEST_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Debian's Chromium and a CJK font: the reports print with them (never a downloaded
# browser); the tests also need poppler-utils to read the reports back.
system-deps:
	@bash scripts/system-deps.sh runtime

system-test-deps:
	@bash scripts/system-deps.sh test

init: install
	$(BIN)/cityops init

demo: init
	$(BIN)/cityops demo --if-empty

# demo mode: login on, a local admin made on first start (its password is printed)
run: demo
	$(BIN)/cityops serve --demo

test: install-test
	bash scripts/run-tests.sh

test-fast: install-test
	$(BIN)/pytest -m "not browser" -q

# Benchmarks (benchmarks/README.md): stores built once under benchmarks/.stores/ — the city
# store takes ~5 min and ~5 GB RAM the first time; CITYOPS_BENCH_CITY_DIR reuses one.
bench: install-test
	$(BIN)/python -m benchmarks.run

bench-quick: install-test
	$(BIN)/python -m benchmarks.run --quick

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache tests/screenshots
