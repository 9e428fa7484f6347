# The README's two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test test-pg lint format migrations-check bench bench-quick system-deps clean

# Installed packages follow the locks exactly; a stamp re-installs when its lock changes. Two locks:
# requirements.lock is what the app runs on (all `make serve` installs), requirements-dev.lock what
# developing, testing and benchmarking add (`make`'s other targets install both).
$(VENV)/.installed-runtime: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

$(VENV)/.installed: $(VENV)/.installed-runtime requirements-dev.lock
	$(BIN)/pip install --quiet -r requirements.lock -r requirements-dev.lock
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
system-deps:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

# The production profile: gunicorn and the job cluster, DEBUG off. Refuses to start, one line for each
# missing variable, before installing anything (the check needs only the standard library).
serve:
	@$(PYTHON) -m config.production
	@$(MAKE) --no-print-directory $(VENV)/.installed-runtime
	@HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) exec ./scripts/serve.sh

# The demo data loads quietly (-v 0): run-dev.sh's banner prints its login, on every start.
run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty -v 0
	@HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) exec ./scripts/run-dev.sh

test: $(VENV)/.installed system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite on a throwaway database of the local PostgreSQL (dropped afterwards, also on Ctrl-C), so
# the PostgreSQL-only paths (raw SQL, prepared statements, full-text search) run before CI runs them.
PG_SERVER ?= postgres://postgres@127.0.0.1:5432
test-pg: $(VENV)/.installed system-deps
	@db="breesy_testpg_$$(date +%s)_$$$$"; \
	psql "$(PG_SERVER)/postgres" -q -c "CREATE DATABASE $$db" || exit 1; \
	trap 'psql "$(PG_SERVER)/postgres" -q -c "DROP DATABASE IF EXISTS test_$$db" -c "DROP DATABASE IF EXISTS $$db"' EXIT; \
	DATABASE_URL="$(PG_SERVER)/$$db" $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.installed
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: $(VENV)/.installed
	$(BIN)/python -m bench.run --full

bench-quick: $(VENV)/.installed
	$(BIN)/python -m bench.run --quick

clean:
	rm -rf $(VENV) var
