# The README's commands. `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# `make run` is local development; without SUPERVISION_ENV the app is production (SPEC §12).
FLASK := SUPERVISION_ENV=development $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-stamp
# The suite runs on one worker per core (at most 4); each worker has its own database
# (tests/conftest.py). `make test PYTEST_ARGS=` runs it in one process.
PYTEST_ARGS ?= -n auto --maxprocesses=4
TRANSLATIONS := $(wildcard supervision/i18n/*)

.PHONY: setup system-packages translations run test test-postgres bench bench-quick lint clean lock wheel

setup: system-packages $(STAMP) translations

system-packages:
	@scripts/system-packages.sh

# The versions come from constraints.txt (tested together); `make lock` refreshes it.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $(STAMP)

translations: $(STAMP)
	@for d in $(TRANSLATIONS); do $(BIN)/pybabel compile -f -d $$d >/dev/null; done

run: setup
	$(FLASK) db upgrade
	$(FLASK) calendar sync
	$(FLASK) demo load --if-empty
	$(FLASK) demo accounts
	$(FLASK) reminders sweep
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: setup
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BIN)/pytest $(PYTEST_ARGS)

bench: setup
	$(BIN)/python -m benchmarks

bench-quick: setup
	$(BIN)/python -m benchmarks --quick

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/imports.py

# Pin what .venv holds now (after adding or upgrading a dependency; see docs/install.md).
lock: $(STAMP)
	@{ echo "# Versions tested together; make installs with them. Refresh: make lock."; \
	  $(BIN)/pip freeze --all --exclude-editable --disable-pip-version-check \
	  | grep -viE '^(pip|setuptools|supervision)([=@ ]|$$)'; } > constraints.txt

# A wheel with templates, migrations and compiled catalogs inside (setup.py), in dist/.
wheel: $(STAMP)
	rm -rf build
	$(BIN)/pip wheel -q --disable-pip-version-check --no-deps --no-build-isolation -w dist .

clean:
	rm -rf $(VENV) instance .pytest_cache build dist
