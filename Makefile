# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# axe-core, injected by the browser tests into every page (tests/support/accessibility.py).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Prepare the SQLite database, keys and demo city if absent, then serve.
run: $(STAMP)
	$(BIN)/civic init
	$(BIN)/civic demo --if-empty --citizens $${CIVIC_DEMO_CITIZENS:-10000}
	$(BIN)/civic serve

## Run the whole suite (PostgreSQL too when CIVIC_TEST_DATABASE_URL is set).
## The browser tests leave their screenshots in test-artifacts/screenshots/.
test: $(STAMP) $(AXE)
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

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules test-artifacts
