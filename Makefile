# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The suite runs once per database; PostgreSQL gets a fresh database per run.
PYTEST_ARGS ?=

# The web UI (ui/): node and npm build it; `make run` rebuilds it when its sources changed.
UI := ui
NPM ?= npm
UI_SOURCES := $(shell find $(UI)/src $(UI)/public -type f 2>/dev/null) \
	$(UI)/index.html $(UI)/vite.config.ts $(UI)/tsconfig.json
# Playwright drives Debian's chromium (.ci/run installs it): never its own browser download.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: run test lint typecheck test-sqlite test-postgres integration-prepare test-integration clean
.PHONY: ui ui-client ui-lint ui-unit ui-e2e test-ui

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

# npm ci only when the lockfile changed: the stamp lives in node_modules, which npm ci replaces.
$(UI)/node_modules/.installed: $(UI)/package.json $(UI)/package-lock.json
	@echo "installing the web UI's packages into $(UI)/node_modules (the first run takes ~1 min)..."
	cd $(UI) && $(NPM) ci --no-audit --no-fund
	touch $@

$(UI)/dist/index.html: $(UI)/node_modules/.installed $(UI_SOURCES)
	cd $(UI) && $(NPM) run build
	touch $@

ui: $(UI)/dist/index.html

# After an API change: the OpenAPI document the UI is typed from, and its TypeScript client.
ui-client: $(VENV)/.dev-installed $(UI)/node_modules/.installed
	$(BIN)/python -c 'from dlv.ui import openapi_json; print(openapi_json(), end="")' > $(UI)/openapi.json
	cd $(UI) && $(NPM) run gen:api

# Without node the API still runs; / then says how to build the UI.
run: $(VENV)/.installed
	@if command -v $(NPM) >/dev/null 2>&1; then $(MAKE) --no-print-directory ui; \
	else echo "npm not found: serving the API only (install Node.js 20.19+ and run make ui)"; fi
	$(BIN)/dlv db upgrade
	$(BIN)/dlv init
	$(BIN)/dlv serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check src tests bench integration
	$(BIN)/ruff format --check src tests bench integration

typecheck: $(VENV)/.dev-installed
	$(BIN)/mypy

# Two workers per suite (pytest-xdist), a module's tests on one worker (its module fixtures,
# such as a real server, start once): a suite waits on its database and its servers more than
# it computes. PostgreSQL's suite alone took 424 s so, against 968 s in one process.
XDIST = -n 2 --dist loadscope

test-sqlite: $(VENV)/.dev-installed
	DLV_TEST_DB=sqlite $(BIN)/pytest -q -m "not integration" $(XDIST) $(PYTEST_ARGS)

test-postgres: $(VENV)/.dev-installed
	DLV_TEST_DB=postgresql $(BIN)/pytest -q -m "not integration" $(XDIST) $(PYTEST_ARGS)

# Real Airflow and Spark servers and dbt, each from its own cached virtualenv
# (integration/realservers.py): the first run on a machine builds them (~3 min).
integration-prepare: $(VENV)/.dev-installed
	$(BIN)/python integration/realservers.py prepare

# Alone at the end of `make test`: two workers, a file each (133 s against 164 s in one).
test-integration: integration-prepare
	DLV_TEST_DB=postgresql $(BIN)/pytest -q -m integration -n 2 --dist loadfile $(PYTEST_ARGS)

ui-lint: $(UI)/node_modules/.installed
	cd $(UI) && $(NPM) run --silent typecheck && $(NPM) run --silent lint

ui-unit: $(UI)/node_modules/.installed
	cd $(UI) && $(NPM) run --silent test

# A real `dlv serve` per database (SQLite, then a fresh PostgreSQL database) with the demo data.
ui-e2e: $(UI)/dist/index.html $(VENV)/.dev-installed
	cd $(UI) && $(NPM) run --silent e2e

test-ui: ui-unit ui-e2e

# The SQLite and PostgreSQL suites share nothing (temporary directories, databases of their
# own, free ports) and mostly wait on their databases and servers, so they run side by side,
# two workers each (12 minutes for both on the 2-core machine, CI of 0ac9e70). The checks, the UI's tests (unit, then
# end-to-end in Chromium against servers of their own) and the build of the integration
# servers' virtualenvs (downloads, on a new machine) run beside them; the integration tests,
# which start real Airflow and Spark servers and run dbt, after.
test:
	$(MAKE) -j4 --output-sync=target lint typecheck ui-lint test-sqlite test-postgres test-ui integration-prepare
	$(MAKE) test-integration

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
	rm -rf $(UI)/node_modules $(UI)/dist $(UI)/e2e/out
