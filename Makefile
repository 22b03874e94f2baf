# Every command of the project has a home here; `make help` lists them.
# The first `make` target you run creates .venv and installs the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install chromium demo test lint format bench

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/allpfit: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/allpfit ## Create .venv and install the project with its dev tools

demo: install ## Run the demo (options: make demo ARGS="--no-browser --port 8502")
	$(BIN)/allpfit demo $(ARGS)

chromium: ## Make sure Debian's Chromium is installed (the dashboard browser test drives it)
	@if [ -x "$(CHROMIUM)" ]; then exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the dashboard browser test..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		echo "error: $(CHROMIUM) is missing; the dashboard browser test needs Chromium." >&2; \
		echo "Install it as root: apt-get install -y chromium (Debian/Ubuntu package 'chromium')." >&2; \
		exit 1; \
	fi

test: install chromium ## Lint, type-check and run the test suite (installs chromium if root)
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts
	$(BIN)/mypy
	$(BIN)/pytest

lint: install ## Lint and type-check only
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/mypy

format: install ## Format the code
	$(BIN)/ruff check --fix src tests bench scripts
	$(BIN)/ruff format src tests bench scripts

bench: install ## Run the benchmarks (minutes; prints figures against in-run baselines)
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/analysis.py
	$(BIN)/python bench/crm.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/tenants.py
	$(BIN)/python bench/exports.py
	$(BIN)/python bench/live.py
	$(BIN)/python bench/dashboard_load.py
	$(BIN)/python bench/dashboard_ws.py
