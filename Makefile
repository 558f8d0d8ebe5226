# The two quick-start commands, `make validate` and `make test`, create a local virtual
# environment in .venv on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: validate test test-fast lint pytest bench bench-quick mutants clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## The main job on the bundled instances.
validate: $(STAMP)
	$(BIN)/reluinv validate --out results.jsonl --workers 2 --overwrite

## The whole test suite: lint, types, then pytest (unit, property, integration, the tests
## marked slow, and the notebooks, executed).
test: lint pytest

## The inner loop: pytest without the slow tests and without executing the notebooks
## (pyproject's addopts): about 40 s instead of about 2 min.
test-fast: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest --nbmake --nbmake-timeout=600 -m ""

## Benchmarks against the baselines (tables on stdout, JSON in benchmarks/results/).
bench: $(STAMP)
	$(BIN)/python -m benchmarks

bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --quick

## Break the code on purpose (named mutants, each in a temporary copy of src/) and check
## that the tests notice; fails if a mutant survives. A few minutes: not part of make test.
mutants: $(STAMP)
	$(BIN)/python -m tests.mutants

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
