# The two commands a newcomer needs: `make demo` and `make test`. Everything else is detail.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# This machine's pip configuration names local mirrors that may be absent; its warnings
# about them are noise, every other line of pip's output is kept.
QUIET_PIP := 2>&1 | { grep -v "^WARNING: Location 'file:" || true; }
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PGDIR ?= /tmp/corridor-pg-$(shell id -u)
PGPORT ?= 55432
# Two workers, one test file each at a time: module fixtures (a live corridor) stay whole.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: demo test check lint types imports pytest postgres postgres-stop browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip $(QUIET_PIP)
	$(BIN)/pip install --quiet -e '.[dev]' $(QUIET_PIP)
	touch $(STAMP)

## Set up and run the demo corridor on embedded SQLite.
demo: $(STAMP)
	$(BIN)/corridor demo $(DEMO_ARGS)

## Set up, start a throwaway PostgreSQL, and run lint, types, import contracts and all tests.
test: $(STAMP) postgres browser
	$(MAKE) --no-print-directory check CORRIDOR_TEST_POSTGRES_URL=postgresql+psycopg://corridor@127.0.0.1:$(PGPORT)/corridor

check: lint types imports pytest

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

types:
	$(BIN)/mypy

imports:
	$(BIN)/lint-imports

pytest:
	CORRIDOR_TEST_POSTGRES_URL=$(CORRIDOR_TEST_POSTGRES_URL) scripts/run-pytest $(PYTEST_ARGS)

## Debian's Chromium, a CJK font and axe-core for the browser tests (docs/web.md).
browser:
	scripts/browser-setup

postgres:
	scripts/throwaway-postgres start $(PGDIR) $(PGPORT)

postgres-stop:
	scripts/throwaway-postgres stop $(PGDIR) $(PGPORT)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
