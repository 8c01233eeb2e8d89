# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs once per database; PostgreSQL gets a fresh database per run.
PYTEST_ARGS ?=

.PHONY: run test lint typecheck test-sqlite test-postgres test-integration clean

# pip's own output is the progress of the install: a first run downloads and builds for
# ~30 s, which --quiet turned into silence.
$(BIN)/python:
	@echo "creating the virtualenv $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	@echo "installing DLV into $(VENV) (the first run takes ~30 s)..."
	$(BIN)/pip install --disable-pip-version-check -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	@echo "installing DLV and its development tools into $(VENV) (the first run takes ~1 min)..."
	$(BIN)/pip install --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/dlv db upgrade
	$(BIN)/dlv init
	$(BIN)/dlv serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench integration
	$(BIN)/ruff format --check src tests bench integration

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

test-sqlite: $(VENV)/.dev-installed
	DLV_TEST_DB=sqlite $(BIN)/pytest -q -m "not integration" $(PYTEST_ARGS)

test-postgres: $(VENV)/.dev-installed
	DLV_TEST_DB=postgresql $(BIN)/pytest -q -m "not integration" $(PYTEST_ARGS)

# Real Airflow and Spark servers, each from its own cached virtualenv
# (integration/realservers.py): the first run on a machine builds them (~3 min).
test-integration: $(VENV)/.dev-installed
	$(BIN)/python integration/realservers.py prepare
	DLV_TEST_DB=postgresql $(BIN)/pytest -q -m integration $(PYTEST_ARGS)

# The SQLite and PostgreSQL suites share nothing (temporary directories, databases of their
# own, free ports) and mostly wait on their databases: side by side they took 6.1 minutes on
# the 2-core machine, one after the other 9.8.
test: lint typecheck
	$(MAKE) -j2 --output-sync=target test-sqlite test-postgres
	$(MAKE) test-integration

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
