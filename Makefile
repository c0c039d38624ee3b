# Two commands on a fresh machine: `make serve` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test validate lint check bench browser virtuoso clean

install: $(STAMP)

$(STAMP): pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: install
	$(BIN)/coopkg validate
	$(BIN)/coopkg serve --host $(HOST) --port $(PORT)

validate: install
	$(BIN)/coopkg validate

# Static checks: lint, formatting, types, and the layering contract (pyproject.toml).
lint: install
	$(BIN)/ruff check endpoint tests bench
	$(BIN)/ruff format --check endpoint tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: install lint
	$(BIN)/coopkg validate
	$(BIN)/pytest

# Debian's Chromium for the query-UI test (the test skips, saying why, when it is absent).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# Debian's Virtuoso for the external-engine tests (they skip, saying why, when it is absent; under
# CI or COOPKG_REQUIRE_VIRTUOSO=1 its absence fails). Its packaged service is never started.
virtuoso:
	@command -v virtuoso-t >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null)

bench: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/http_bench.py

clean:
	rm -rf $(VENV) build *.egg-info endpoint/*.egg-info
