# WaddleBot's front door. Every target says what it does and fails loudly.
SHELL := /bin/bash
.DEFAULT_GOAL := help
# uv: prefer the module next to python3 (pyenv shims can hide a `uv` of another Python).
UV := $(shell if python3 -m uv --version >/dev/null 2>&1; then echo "python3 -m uv"; \
        elif uv --version >/dev/null 2>&1; then echo uv; else echo "python3 -m uv"; fi)
PYTEST_ARGS ?=
TEST_ENV := if [ -z "$${TEST_DATABASE_URL:-}" ]; then \
	  bash scripts/ensure-services.sh >/dev/null 2>&1 || echo "note: could not prepare PostgreSQL/Redis; storage tests will skip"; \
	  [ -f var/ci/test-env.sh ] && source var/ci/test-env.sh; fi

.PHONY: help uv install run test lint fmt migrate bench clean service fleet k8s-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

uv: ## make sure uv is installed (pip installs it when missing)
	@python3 -m uv --version >/dev/null 2>&1 || uv --version >/dev/null 2>&1 || \
	  { echo "==> installing uv with pip"; python3 -m pip install --quiet uv; }

install: uv ## install the workspace (all services, dev tools) from uv.lock
	@echo "==> uv sync (workspace, locked)"
	@$(UV) sync --locked --all-packages

run: install ## run the whole fleet in one process on http://127.0.0.1:8080 (SQLite, in-process cache)
	@echo "==> waddlebot run (ENV=$${ENV:-dev}, PORT=$${PORT:-8080}, DATA_DIR=$${DATA_DIR:-./var})"
	@$(UV) run --no-sync waddlebot run

test: install ## run the test suite (real PostgreSQL and Redis where storage is involved), with coverage
	@echo "==> pytest (line coverage per package after the run)"
	@$(UV) run --no-sync coverage erase
	@$(TEST_ENV); $(UV) run --no-sync coverage run -m pytest $(PYTEST_ARGS)
	@echo "==> coverage"
	@$(UV) run --no-sync bash scripts/coverage-report.sh

lint: install ## ruff (lint + format check) and mypy (strict on libs/ and every */src)
	@echo "==> ruff check"
	@$(UV) run --no-sync ruff check .
	@echo "==> ruff format --check"
	@$(UV) run --no-sync ruff format --check .
	@echo "==> mypy"
	@$(UV) run --no-sync bash scripts/typecheck.sh

fmt: install ## format and autofix with ruff
	@echo "==> ruff format + fix"
	@$(UV) run --no-sync ruff format .
	@$(UV) run --no-sync ruff check --fix .

migrate: install ## create or update the tables in DATABASE_URL (default: SQLite under ./var)
	@echo "==> waddlebot migrate"
	@$(UV) run --no-sync waddlebot migrate

bench: install ## benchmarks: echo baselines and pipelines, figures printed
	@echo "==> benchmarks (2 cores: medians of 3 runs)"
	@$(UV) run --no-sync python -m bench

service: install ## generate a service: make service name=<prefix> kind=<core|interaction|ai>
	@[ -n "$(name)" ] && [ -n "$(kind)" ] || { echo "usage: make service name=<prefix> kind=<core|interaction|ai>"; exit 2; }
	@echo "==> generating $(name) ($(kind)): folder, service table row, workspace member"
	@$(UV) run --no-sync python -m waddlebot_cli.scaffold "$(name)" "$(kind)"
	@echo "==> uv lock + uv sync (installs it)"
	@$(UV) lock && $(UV) sync --locked --all-packages
	@echo "==> done: its tests pass with  uv run pytest <the folder above>"

fleet: install ## one process per installed service + a proxy on PORT, against DATABASE_URL and REDIS_URL
	@echo "==> waddlebot fleet (migrate, one 'waddlebot serve <prefix>' per service, proxy on $${PORT:-8080})"
	@$(UV) run --no-sync waddlebot fleet

clean: ## remove caches and local data (./var)
	@echo "==> removing .venv caches and ./var"
	@rm -rf var .pytest_cache .mypy_cache .ruff_cache
	@find . -name __pycache__ -type d -prune -exec rm -rf {} +
