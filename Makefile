# cpanet: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CPANET_DATABASE_URL ?= sqlite:///var/cpanet.sqlite3
PYTEST_ARGS ?= --durations=25

.DEFAULT_GOAL := help
.PHONY: help install build run serve migrate seed test lint typecheck dbcheck chromium screenshots test-py test-fastpath-twin bench clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-20s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install cpanet with its dev tools

build: $(STAMP) ## Compile the Cython extensions in place
	$(BIN)/python setup.py -q build_ext --inplace

migrate: build ## Apply database migrations (CPANET_DATABASE_URL; SQLite by default)
	$(BIN)/cpanet db migrate

seed: migrate ## Create the demo network once
	$(BIN)/cpanet demo seed

# The demo also serves the operators' table browser (/admin/db/; docs/settings.md): CPANET_DB_ADMIN=0 make run
# turns it off. Everywhere else it is off unless CPANET_DB_ADMIN=1.
run: export CPANET_DB_ADMIN ?= 1
run: seed ## Install, build, migrate, seed the demo network, print URLs and logins, and serve
	$(BIN)/cpanet demo credentials
	$(BIN)/cpanet serve

serve: ## Serve without re-seeding
	$(BIN)/cpanet serve

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) ## mypy --strict
	$(BIN)/mypy network rules fastpath admin_ui tests benchmarks

dbcheck: build ## Fail if tables and migrations disagree
	rm -f var/dbcheck.sqlite3*
	CPANET_DATABASE_URL=sqlite:///var/dbcheck.sqlite3 $(BIN)/cpanet db migrate >/dev/null
	CPANET_DATABASE_URL=sqlite:///var/dbcheck.sqlite3 $(BIN)/cpanet db check

chromium: ## Install Debian's Chromium for the browser tests (as root; without it they skip)
	@command -v chromium >/dev/null || { echo "chromium is missing; installing it with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q chromium || { apt-get update -q && apt-get install -y -q chromium; } || \
	  echo "could not install chromium (as root: apt-get install -y chromium); the browser tests will skip"; }

test-py: build chromium
	$(BIN)/pytest $(PYTEST_ARGS)

screenshots: build chromium ## Refresh docs/screenshots/*.png from the browser tests
	CPANET_SCREENSHOTS=1 $(BIN)/pytest tests/browser -q

test-fastpath-twin: build ## The fastpath suite again on the pure-Python twin
	FASTPATH_NO_EXTENSIONS=1 $(BIN)/pytest tests/unit/fastpath -q

test: lint typecheck dbcheck test-py test-fastpath-twin ## Everything CI runs: lint, types, schema check, tests (SQLite and PostgreSQL), twin

bench: build ## Benchmarks (long; writes docs/benchmarks/*.md)
	$(BIN)/python benchmarks/rules_bench.py
	$(BIN)/python benchmarks/fastpath_bench.py
	$(BIN)/python benchmarks/click_storage_bench.py
	$(BIN)/python benchmarks/stats_bench.py
	@command -v wrk >/dev/null || { echo "bench: wrk is missing; installing it with apt-get"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -q wrk || { apt-get update -q && apt-get install -y -q wrk; } || \
	  echo "bench: could not install wrk (apt-get's error is above; as root: apt-get install -y wrk)"; }
	@if command -v wrk >/dev/null; then $(BIN)/python benchmarks/click_bench.py; \
	else echo "bench: SKIPPED the click benchmark (benchmarks/click_bench.py): wrk is not installed"; fi
	@if command -v wrk >/dev/null; then $(BIN)/python benchmarks/postback_bench.py; else echo "bench: SKIPPED the postback benchmark (benchmarks/postback_bench.py): wrk is not installed"; fi

clean: ## Remove build products and the local database
	rm -rf build var fastpath/*.c fastpath/*.so fastpath/*.html .pytest_cache .mypy_cache .ruff_cache
