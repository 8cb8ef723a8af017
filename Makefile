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

.PHONY: help uv install run test lint fmt migrate bench load clean service faults fleet k8s-check e2e portal-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

uv: ## make sure uv is installed (pip installs it when missing)
	@python3 -m uv --version >/dev/null 2>&1 || uv --version >/dev/null 2>&1 || \
	  { echo "==> installing uv with pip"; python3 -m pip install --quiet uv; }

install: uv ## install the workspace (all services, dev tools) from uv.lock
	@echo "==> uv sync (workspace, locked)"
	@$(UV) sync --locked --all-packages
	@bash portal_frontend/scripts/build.sh

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

e2e: install ## the portal in Chromium against a real `waddlebot run` (own PORT and DATA_DIR, seeded)
	@echo "==> portal e2e (playwright-core + Debian's /usr/bin/chromium; screenshots in portal_frontend/e2e/screenshots)"
	@cd portal_frontend && node e2e/run.mjs

portal-check: install ## the portal's drift gate (OpenAPI -> types, git diff, tsc), feature boundaries and vitest
	@cd portal_frontend && bash scripts/gen-api.sh --check && node scripts/check-feature-imports.mjs && npx --no-install vitest run

faults: install ## fault drills: every command answered once through crashes and outages (private Redis/PostgreSQL)
	@echo "==> fault suite ($${FAULTS_EVENTS:-2000} signed notifications per fault)"
	@$(TEST_ENV); $(UV) run --no-sync pytest faults -p no:cacheprovider -q -s

bench: install ## benchmarks: echo baselines and pipelines, figures printed
	@echo "==> benchmarks (2 cores: medians of 3 runs)"
	@$(UV) run --no-sync python -m bench

load: install ## Locust through signed Twitch webhooks at make run and make fleet: events/s, p99 ack, lost/duplicated replies
	@echo "==> load test (LOAD_ARGS='$(LOAD_ARGS)'; bounded: loopback only, default 16 users x 5/s for 30 s per mode)"
	@$(TEST_ENV); $(UV) run --no-sync python -m bench.load $(LOAD_ARGS)

service: install ## generate a service: make service name=<prefix> kind=<core|interaction|ai>
	@[ -n "$(name)" ] && [ -n "$(kind)" ] || { echo "usage: make service name=<prefix> kind=<core|interaction|ai>"; exit 2; }
	@echo "==> generating $(name) ($(kind)): folder, service table row, workspace member"
	@$(UV) run --no-sync python -m waddlebot_cli.scaffold "$(name)" "$(kind)"
	@echo "==> uv lock + uv sync (installs it)"
	@$(UV) lock && $(UV) sync --locked --all-packages
	@echo "==> waddlebot deploy render (compose, Caddy and Kubernetes from the service table)"
	@$(UV) run --no-sync waddlebot deploy render
	@echo "==> done: its tests pass with  uv run pytest <the folder above>"

fleet: install ## one process per installed service + a proxy on PORT, against DATABASE_URL and REDIS_URL
	@echo "==> waddlebot fleet (migrate, one 'waddlebot serve <prefix>' per service, proxy on $${PORT:-8080})"
	@$(UV) run --no-sync waddlebot fleet

# checkov skips, one reason each (every other failed check fails the target):
CHECKOV_SKIP := CKV_K8S_43,CKV_K8S_15,CKV_K8S_35
#   CKV_K8S_43  image digests: the overlays pin a tag; operators pin the digest they deploy (docs/operations.md)
#   CKV_K8S_15  pull Always: tags are immutable releases; IfNotPresent keeps pods starting when the registry is down
#   CKV_K8S_35  secrets as files: settings are read from the environment (pydantic-settings), so envFrom a Secret
CHECKOV := $(UV) tool run --from 'checkov==3.3.30' checkov
K8S_OUT := var/k8s-check

k8s-check: install ## deploy files: up to date with the table, kustomize (no warnings), kubernetes-validate, checkov, compose + CI schemas
	@echo "==> generated files match the service table (waddlebot deploy render --check)"
	@$(UV) run --no-sync waddlebot deploy render --check
	@mkdir -p $(K8S_OUT)
	@for overlay in dev prod; do \
	  echo "==> kubectl kustomize deploy/k8s/overlays/$$overlay"; \
	  kubectl kustomize deploy/k8s/overlays/$$overlay > $(K8S_OUT)/$$overlay.yaml 2> $(K8S_OUT)/$$overlay.err || { cat $(K8S_OUT)/$$overlay.err; exit 1; }; \
	  if [ -s $(K8S_OUT)/$$overlay.err ]; then echo "kustomize warned:"; cat $(K8S_OUT)/$$overlay.err; exit 1; fi; \
	  for version in 1.29 1.37; do \
	    echo "==> kubernetes-validate --strict $$overlay against $$version"; \
	    $(UV) run --no-sync kubernetes-validate --strict --quiet -k $$version $(K8S_OUT)/$$overlay.yaml || exit 1; \
	  done; \
	done
	@echo "==> checkov --framework kubernetes (skips: $(CHECKOV_SKIP))"
	@$(CHECKOV) --framework kubernetes --skip-download --quiet --compact --skip-check $(CHECKOV_SKIP) \
	  -f $(K8S_OUT)/dev.yaml -f $(K8S_OUT)/prod.yaml
	@echo "==> check-jsonschema: docker-compose.yml (compose spec), .github/workflows/ci.yml (workflow schema)"
	@$(UV) run --no-sync check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml
	@$(UV) run --no-sync check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/ci.yml

clean: ## remove caches and local data (./var)
	@echo "==> removing .venv caches and ./var"
	@rm -rf var .pytest_cache .mypy_cache .ruff_cache
	@find . -name __pycache__ -type d -prune -exec rm -rf {} +
