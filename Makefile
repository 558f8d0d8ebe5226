# The two quick-start commands, `make validate` and `make test`, create a local virtual
# environment in .venv on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: validate test lint pytest bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job on the bundled instances.
validate: $(STAMP)
	$(BIN)/reluinv validate --out results.jsonl --workers 2

## The whole test suite: lint, types, then pytest (unit, property, integration, notebooks).
test: lint pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

## Benchmarks against the baselines (tables on stdout, JSON in benchmarks/results/).
bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --quick

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
