# The README's two commands: `make run` and `make test`. Everything else is a helper of theirs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint format migrations-check bench bench-quick system-deps clean

# Installed packages follow requirements.lock exactly; the stamp re-installs when the lock changes.
$(VENV)/.installed: requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
system-deps:
	@command -v chromium >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else echo "chromium is missing: sudo apt-get install chromium (browser tests will be skipped)"; fi; }

run: $(VENV)/.installed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	@HOST=$(HOST) PORT=$(PORT) BIN=$(BIN) ./scripts/run-dev.sh

test: $(VENV)/.installed system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

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
