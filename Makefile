# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean messages

# Translations: the .po catalogues are the source (committed); the .mo files the
# app reads are compiled from them here, whenever a .po is newer, so a fresh clone's
# `make run` and `make test` always serve what the catalogues say.
TRANSLATIONS := platform/translations
CATALOGUES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP) $(COMPILED)

%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

## Extract every translatable string (babel.cfg), update the catalogues, compile them.
## Then translate what is new or fuzzy in each messages.po; the tests refuse gaps.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k lazy_gettext -k _l --no-location --sort-output \
		--project civic-data-platform -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --ignore-obsolete
	$(MAKE) $(COMPILED)

# axe-core, injected by the browser tests into every page (tests/support/accessibility.py).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Prepare the SQLite database, keys and demo city if absent, then serve.
run: $(STAMP) $(COMPILED)
	$(BIN)/civic init
	$(BIN)/civic demo --if-empty --citizens $${CIVIC_DEMO_CITIZENS:-10000}
	$(BIN)/civic serve

## Run the whole suite (PostgreSQL too when CIVIC_TEST_DATABASE_URL is set).
## The browser tests leave their screenshots in test-artifacts/screenshots/.
test: $(STAMP) $(COMPILED) $(AXE)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# mypy reads the packages through links named as they are imported (platform/ is civicdata).
.mypy-src:
	mkdir -p $@
	ln -sfn ../platform $@/civicdata
	for p in consent anonymise policies; do ln -sfn ../$$p $@/$$p; done

lint: $(STAMP) .mypy-src
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP) $(COMPILED)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules test-artifacts
