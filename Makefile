# conflict-sim: `make run` runs the January 2020 ceasefire scenario, `make test` runs the suite.
# Both create .venv with Python >= 3.12, found by .ci/find-python (PYTHON=... overrides it).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SCENARIO ?= scenarios/ceasefire_jan12.yaml
REPLICATES ?= 20

.PHONY: run test lint format bench readme clean

$(PY):
	@interp="$${PYTHON:-$$(bash .ci/find-python)}" || exit 1; \
	echo "creating $(VENV) with $$interp"; \
	"$$interp" -m venv $(VENV)

$(STAMP): $(PY) pyproject.toml
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,export]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/conflict-sim run $(SCENARIO) --replicates $(REPLICATES)

test: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check sim tests benchmarks
	$(VENV)/bin/ruff format --check sim tests benchmarks

format: $(STAMP)
	$(VENV)/bin/ruff format sim tests benchmarks
	$(VENV)/bin/ruff check --fix sim tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/run.py

readme: $(STAMP)
	$(PY) -m tests.readme_examples

clean:
	rm -rf $(VENV) results .pytest_cache .ruff_cache
