# Đến Trường — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip -q --disable-pip-version-check
HOST ?= 127.0.0.1
PORT ?= 8000
SEED ?= 1
CHROMIUM := /usr/bin/chromium

.PHONY: demo test install install-test chromium lint typecheck check-migrations pytest serve messages clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -c constraints.txt -e .
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed
	$(PIP) install -c constraints.txt -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.test-installed

# Debian's chromium for the browser tests (Playwright drives it; no browser download).
chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

demo: install
	mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py load_units
	$(PY) manage.py load_demo --seed $(SEED)
	$(MAKE) serve

# One gunicorn process (SQLite wants a single writer), threads for concurrency, and beside
# it the notice worker (docs/decisions/0007), stopped (SIGTERM) when gunicorn stops. No
# gateway is configured by default: notices show "not sent: channel not configured".
serve:
	$(PY) manage.py run_notices & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(VENV)/bin/gunicorn dentruong.wsgi --bind $(HOST):$(PORT) --workers 1 --threads 8 --access-logfile -

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-test
	$(VENV)/bin/mypy dentruong

check-migrations: install-test
	mkdir -p var
	$(PY) manage.py makemigrations --check --dry-run

pytest: install-test chromium
	$(PY) manage.py collectstatic --noinput -v 0
	$(VENV)/bin/pytest -q $(PYTEST_ARGS)

test: lint typecheck check-migrations pytest

# Refresh the translation catalogues (needs gettext). The compiled .mo is committed.
messages: install
	cd dentruong && ../$(PY) ../manage.py makemessages -l vi -l en --no-obsolete --ignore 'demo/*'
	cd dentruong && ../$(PY) ../manage.py compilemessages

clean:
	rm -rf $(VENV) var staticfiles
