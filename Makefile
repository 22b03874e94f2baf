# Every command of the project has a home here; `make help` lists them.
# The first `make` target you run creates .venv and installs the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.DEFAULT_GOAL := help
.PHONY: help install demo test lint format bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/allpfit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/allpfit ## Create .venv and install the project with its dev tools

demo: install ## Run the demo: embedded database, generated Chatwoot data, sync, dashboard
	$(BIN)/allpfit demo

test: install ## Lint, type-check and run the test suite
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: install ## Lint and type-check only
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

format: install ## Format the code
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: install ## Run the benchmarks (minutes; prints figures against in-run baselines)
	$(BIN)/python bench/sync.py
