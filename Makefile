# p4p: `make run` serves the demo, `make test` runs the tests; both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app p4p
# The demo's console mail and SMS backends are refused without it (see README, Production).
DEMO_FLASK := P4P_DEMO=1 $(FLASK)

.PHONY: run test test-fast lint wheel-smoke bench install install-test catalogs messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The stamp files re-run the install whenever setup.cfg changes.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed catalogs
install-test: $(VENV)/.installed-test catalogs tests/js/node_modules/.installed

# axe-core for the accessibility tests, from the npm registry (never a CDN, never served).
tests/js/node_modules/.installed: tests/js/package.json tests/js/package-lock.json
	npm ci --prefix tests/js --no-audit --no-fund --silent
	touch $@

# Compiled message catalogs are build output (git-ignored), made from translations/*/LC_MESSAGES/*.po.
catalogs: | $(BIN)/python
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/python -m babel.messages.frontend compile -d translations --statistics; fi

# The demo runs the one scheduler process beside the dev server and stops it on exit.
# Extract every user-facing string and merge it into each catalog; then translate the new entries.
messages: | $(VENV)/.installed-test
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot --sort-output --no-location \
		--project p4p --copyright-holder "p4p" .
	@for lang in es; do \
		if [ -f translations/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i translations/messages.pot -d translations -l $$lang --no-fuzzy-matching; \
		else \
			$(BIN)/pybabel init -i translations/messages.pot -d translations -l $$lang; \
		fi; \
	done

run: install
	$(DEMO_FLASK) db upgrade
	$(DEMO_FLASK) seed-demo --if-empty
	$(DEMO_FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(DEMO_FLASK) run --port $(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Everything but the browser tests (no Chromium, no axe-core from npm): the run to repeat often.
test-fast: $(VENV)/.installed-test catalogs
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check p4p tests migrations bench
	$(BIN)/ruff format --check p4p tests migrations bench
	$(BIN)/mypy

# Builds the wheel, installs it into a fresh venv outside the checkout, migrates, serves it under
# gunicorn with production settings and fetches a few pages (CI runs it after lint).
wheel-smoke: | $(BIN)/python
	PYTHON=$(BIN)/python .ci/wheel-smoke

# Not part of `make test`: seeds a trial-size study into a temporary database (SQLite, or a
# fresh database on the PostgreSQL server named by P4P_DATABASE_URL) and prints JSON lines.
# make bench SIZE=100000 (PostgreSQL when P4P_DATABASE_URL names a server); 10,000 by default.
SIZE ?= 10000
bench: install-test
	$(BIN)/python bench/run.py --size $(SIZE)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
