# The two commands that matter: `make run` (serve on SQLite) and `make test` (lint, types, tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run test test-dates lint bench-orders bench-import

$(BIN)/khata: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/khata

install: $(BIN)/khata

run: install
	$(BIN)/khata serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest

# The suite again at three other dates under faketime, two runs at a time (scripts/test-dates
# says which dates and why). CI runs this after `make test`.
test-dates: install
	@scripts/test-dates
