# Front Door: the two commands a newcomer needs are `make demo` and `make test`.
# Everything else here is what those two are made of.

VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3
PYTEST_WORKERS ?= 2

.PHONY: setup demo test lint typecheck pytest clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable '.[dev]'
	touch $@

## setup: Python packages in .venv, and Kafka's jars from Maven Central (cached)
setup: $(BIN)/.installed
	$(BIN)/frontdoor broker fetch

## demo: the whole pipeline on a local broker, with simulated partners sending referrals
demo: setup
	$(BIN)/frontdoor up

## test: lint, type-check, and every test against a real Kafka broker
test: setup lint typecheck pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

pytest: $(BIN)/.installed
	$(BIN)/pytest -n $(PYTEST_WORKERS)

clean:
	-$(BIN)/frontdoor broker stop
	rm -rf .frontdoor .pytest_cache .mypy_cache .ruff_cache
