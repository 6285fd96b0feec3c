# Front Door: the two commands a newcomer needs are `make demo` and `make test`.
# Everything else here is what those two are made of.

VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PYTEST_WORKERS ?= 2

.PHONY: setup system-packages demo test lint typecheck pytest mutate screenshots clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $@

## setup: Python packages in .venv, Kafka's jars from Maven Central (cached), Chromium for the
## dashboard's browser tests, PostgreSQL for the records store's tests and Prometheus (promtool
## and a server) for the metrics and alert tests (Debian's packages; installed when running as root)
setup: $(BIN)/.installed system-packages deploy/checks/node_modules/.installed
	$(BIN)/frontdoor broker fetch

## the schemas the deployment files are checked against (Strimzi's CRDs, compose's), from npm
deploy/checks/node_modules/.installed: deploy/checks/package.json deploy/checks/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix deploy/checks --no-audit --no-fund --silent && touch $@; \
	else \
	  echo "Missing: npm (Node.js) to check the deployment files against Strimzi's and compose's schemas"; \
	fi

system-packages:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	{ command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; } || missing="$$missing postgresql"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "Missing:$$missing ('sudo apt-get install$$missing' to run the browser and database tests)"; \
	  fi; \
	fi; \
	if ! command -v promtool >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	  else \
	    echo "Missing: prometheus ('sudo apt-get install prometheus' to run the metrics tests)"; \
	  fi; \
	fi

## demo: the whole pipeline on a local broker, with simulated partners sending referrals
demo: setup
	$(BIN)/frontdoor up

## test: lint, type-check, and every test against a real Kafka broker
test: setup lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed
	$(BIN)/mypy

pytest: $(BIN)/.installed
	$(BIN)/pytest -n $(PYTEST_WORKERS)

## mutate: mutation testing of the modules that hold a promise (minutes; report in docs/mutation.md)
mutate: $(BIN)/.installed
	rm -rf mutants
	$(BIN)/mutmut run || true
	$(BIN)/mutmut results

## screenshots: retake the README's pictures (docs/img) with the browser tests that walk those pages
screenshots: setup
	FRONTDOOR_SCREENSHOTS=docs/img $(BIN)/pytest -p no:cacheprovider -q \
	  tests/e2e/test_dashboard_browser.py tests/e2e/test_referral_forms_browser.py \
	  tests/e2e/test_partner_checks_browser.py tests/e2e/test_encompass_browser.py

clean:
	-$(BIN)/frontdoor broker stop
	rm -rf .frontdoor .pytest_cache .mypy_cache .ruff_cache mutants
