# Two commands on a fresh machine: `make serve` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test validate lint check bench bench-suite bench-soak browser apache virtuoso notebooks clean

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
	$(BIN)/ruff check endpoint tests bench notebooks
	$(BIN)/ruff format --check endpoint tests bench notebooks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: install lint
	$(BIN)/coopkg validate
	$(BIN)/pytest

# Debian's Chromium for the query-UI test (the test skips, saying why, when it is absent).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# The research notebooks in JupyterLab. Each starts its own local endpoint, or uses
# COOPKG_ENDPOINT where it is set (`COOPKG_ENDPOINT=https://…/sparql make notebooks`).
notebooks: install
	$(BIN)/pip install --quiet -e '.[test,notebooks]'
	$(BIN)/jupyter lab notebooks/

# Debian's Apache with mod_rewrite, to run deploy/w3id/.htaccess in tests/test_w3id.py (it skips,
# saying why, when apache2 is absent, unless COOPKG_REQUIRE_APACHE=1).
apache:
	@command -v apache2 >/dev/null || [ -x /usr/sbin/apache2 ] || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq apache2 >/dev/null)

# Debian's Virtuoso for the external-engine tests (they skip, saying why, when it is absent; under
# CI or COOPKG_REQUIRE_VIRTUOSO=1 its absence fails). Its packaged service is never started.
virtuoso:
	@command -v virtuoso-t >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq virtuoso-opensource >/dev/null)

bench: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/http_bench.py

# Big-graph suite (load, competency queries, validation, external engine, memory; about 20-30
# minutes) and the 10-minute soak run; results in bench/results/ (bench/README.md).
bench-suite: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/suite.py

bench-soak: install
	$(BIN)/pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/soak.py

clean:
	rm -rf $(VENV) build *.egg-info endpoint/*.egg-info
