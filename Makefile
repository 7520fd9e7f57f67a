# Pledge: `make run` to use it, `make test` to check it. Python 3.11 or newer is all you need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLEDGE := $(BIN)/pledge
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint unit browser bench drill lock messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Runtime dependencies only; the stamp is rebuilt whenever the lock changes.
$(VENV)/.installed-base: requirements/base.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements/base.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-dev: requirements/dev.txt $(VENV)/.installed-base
	$(BIN)/pip install --quiet -r requirements/dev.txt
	touch $@

# Links in the demo's output and in emails point at where the site runs.
run: export PLEDGE_SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed-base
	$(PLEDGE) migrate --noinput
	$(PLEDGE) demo
	$(PLEDGE) serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/test_all.py

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench

# Two app servers and two workers behind nginx, with PostgreSQL and Redis, faults injected
# (docs/deploy.md). DRILL_SECONDS=150 by default; `make test` runs a 90-second one.
drill: $(VENV)/.installed-dev
	$(BIN)/python -m drill

lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools
	cd requirements && ../$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o base.txt base.in
	cd requirements && ../$(BIN)/pip-compile --quiet --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o dev.txt dev.in

# Refresh the message catalogues after changing user-facing strings, then translate and compile.
messages: $(VENV)/.installed-dev
	$(PLEDGE) makemessages --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PLEDGE) makemessages --domain djangojs --locale zh_Hans --ignore '.venv/*' --ignore 'var/*' --no-obsolete
	$(PLEDGE) compilemessages --ignore '.venv/*'

clean:
	rm -rf $(VENV) var
