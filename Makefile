# Two entry points for a newcomer: `make demo` and `make test`. Set-up is shared and idempotent.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup graphviz lint format clean

demo: setup
	$(BIN)/backprop demo

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

setup: $(STAMP) graphviz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plot]'
	touch $(STAMP)

# Debian's graphviz provides the `dot` program that renders the pictures.
graphviz:
	@if ! command -v dot >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; else SUDO=none; fi; \
		if command -v apt-get >/dev/null 2>&1 && [ "$$SUDO" != none ]; then \
			echo "installing Debian's graphviz for the dot program"; \
			$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq graphviz >/dev/null; \
		else \
			echo "warning: graphviz's dot program is missing and cannot be installed here;"; \
			echo "         install it (sudo apt-get install graphviz) to render pictures"; \
		fi; \
	fi

lint: setup
	$(BIN)/ruff check .

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
