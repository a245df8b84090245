# The README's two commands: `make run` and `make test`. Both do all set-up on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8765
WORKER_CONCURRENCY ?= 8

.PHONY: run test lint format bench install browser-deps clean

install: $(VENV)/.installed var/local.env

$(VENV)/.installed: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

# Random keys for the embedded defaults, written once and never committed.
var/local.env: | $(VENV)/.installed
	mkdir -p var
	$(PY) -c "import secrets; from cryptography.fernet import Fernet; \
	print('DJANGO_SECRET_KEY=' + secrets.token_urlsafe(50)); \
	print('FIELD_ENCRYPTION_KEY=' + Fernet.generate_key().decode()); \
	print('NETCORE_SANDBOX_API_KEY=' + secrets.token_hex(16))" > $@
	chmod 600 $@

# Plain log lines on a terminal (production logs JSON lines). The worker consumes the work's
# queue and the watchdog's (dsar_portal/celery.py) and runs beat too.
run: export DJANGO_LOG_FORMAT ?= plain
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py bootstrap --sandbox-url http://127.0.0.1:$(SANDBOX_PORT)
	@echo "Open http://$(HOST):$(PORT)/ (Ctrl-C stops the portal)"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py netcore_sandbox --port $(SANDBOX_PORT) & \
	$(VENV)/bin/celery -A dsar_portal worker --beat --pool threads --concurrency $(WORKER_CONCURRENCY) --loglevel INFO & \
	$(VENV)/bin/gunicorn dsar_portal.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 & \
	wait

# Browser tests drive Debian's Chromium; install it when missing and we are allowed to.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }

test: install browser-deps
	$(VENV)/bin/pytest -n 2 --dist loadgroup

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(PY) -m tests.bench

clean:
	rm -rf $(VENV) var
