# workweave: two commands do all set-up on a fresh machine.
#   make demo   builds the environment, creates the demo study and shows it
#   make test   builds the environment and runs the test suite
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
WW := $(VENV)/bin/workweave

.PHONY: env demo test lint format bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

env: $(VENV)/.synced

demo: env
	$(WW) demo --dir demo --serve

test: env
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

lint: env
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: env
	$(VENV)/bin/ruff format src tests bench
	$(VENV)/bin/ruff check --fix src tests bench

bench: env
	$(VENV)/bin/python bench/simulate.py

clean:
	rm -rf $(VENV) $(TOOLS) demo .pytest_cache .ruff_cache .hypothesis .mypy_cache .import_linter_cache
