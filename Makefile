# EdCoop: `make demo` runs the product with demo data; `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test lint check e2e crawl screenshots schemathesis clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/edcoop migrate --no-input -v 0
	$(BIN)/edcoop demo --if-empty
	@echo "EdCoop is at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@# The background-job worker runs beside the web server and stops with it.
	$(BIN)/edcoop db_worker --no-reload --no-startup-delay --interval 0.5 -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(BIN)/edcoop runserver $(HOST):$(PORT) --noreload

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/edcoop makemigrations --check --dry-run -v 1

# pytest's exit code 5 (no tests collected) fails the target like any other failure.
test: lint
	$(BIN)/python -m pytest

e2e: $(VENV)/.installed-dev
	$(BIN)/python -m pytest tests/e2e

# The browser crawl at full depth: every page of every demo login at 320, 375 and 1280 px
# (make test runs a fixed sample of it; docs/performance.md has both durations).
crawl: $(VENV)/.installed-dev
	EDCOOP_CRAWL=full $(BIN)/python -m pytest tests/e2e/test_crawl.py -p no:cacheprovider -q -s

# The generated API run at full depth (make test runs it with 4 examples per operation).
schemathesis: $(VENV)/.installed-dev
	EDCOOP_SCHEMATHESIS_FULL=1 EDCOOP_SCHEMATHESIS_EXAMPLES=100 $(BIN)/python -m pytest tests/api/test_schemathesis.py -p no:cacheprovider -q

screenshots: $(VENV)/.installed-dev
	EDCOOP_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/e2e -p no:cacheprovider -q

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
