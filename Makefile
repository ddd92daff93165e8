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

# The suite again at three other dates (libfaketime moves every process's clock, children too):
# a test that reads the calendar fails here. CI runs this after `make test`. To keep CI near 15
# minutes, the first date runs on both databases (PostgreSQL's own clock is not faked, so SQL that
# reads it shows up there) and the others on SQLite only; tests marked `processes` (real servers
# and workers killed and restarted, minutes each) and `timing` (a worker raced against held
# servers while other tests' messages fall due at the faked date) run once, in `make test`.
TEST_DATES ?= 2026-01-15T00:00:00 2027-12-31T23:30:00 2031-03-01T00:00:00
test-dates: install
	@backends="$${KHATA_TEST_DATABASES:-sqlite,postgresql}"; \
	for when in $(TEST_DATES); do \
	  offset=$$(( $$(date -ud "$$(echo $$when | tr T ' ')" +%s) - $$(date +%s) )); \
	  echo "== pytest at $$when on $$backends (faketime $$offset s)"; \
	  KHATA_TEST_DATABASES=$$backends faketime -f "$$(printf '%+d' $$offset)" \
	    $(BIN)/pytest -m "not processes and not timing" || exit 1; \
	  backends=sqlite; \
	done
