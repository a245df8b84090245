# The README's two commands: `make run` and `make test`. Both do all set-up on a fresh clone.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8765
WORKER_CONCURRENCY ?= 8

.PHONY: run test lint format bench install browser-deps report-fonts pdf-tools i18n-tools messages clean
# Debian's packages with the report's and the portal's fonts (static/fonts/fonts.css names them).
FONT_PACKAGES := fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji

install: $(VENV)/.installed var/local.env messages

# The subject's languages: the catalogues (locale/*/LC_MESSAGES/django.po) compiled to .mo files,
# which are build products (never committed). Again whenever a .po file is newer.
MO_FILES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
messages: $(MO_FILES)

locale/%/LC_MESSAGES/django.mo: locale/%/LC_MESSAGES/django.po | i18n-tools $(VENV)/.installed var/local.env
	$(PY) manage.py compilemessages --locale $* --ignore $(VENV)

# compilemessages needs GNU gettext's msgfmt; install it when missing and we are allowed to.
i18n-tools:
	@command -v msgfmt >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq gettext; \
	  else echo "msgfmt is missing: run 'sudo apt-get install gettext'" >&2; exit 1; fi; }

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

# Plain log lines on a terminal (production logs JSON lines); the "Sandbox" account calls the
# local sandbox, which only a development setup may do. The worker consumes the work's queue and
# the watchdog's (dsar_portal/celery.py) and runs beat too.
run: export DJANGO_LOG_FORMAT ?= plain
run: export NETCORE_ALLOW_CUSTOM_BASE_URL ?= true
# The address and the first accounts' passwords come last, once the portal answers and the
# worker is ready (bootstrap --announce), set apart from the start-up log.
run: install report-fonts
	$(PY) manage.py migrate --noinput
	@mkdir -p var/run && rm -f var/run/worker.ready
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py netcore_sandbox --port $(SANDBOX_PORT) & \
	CELERY_READY_FILE=var/run/worker.ready $(VENV)/bin/celery -A dsar_portal worker --beat --pool threads --concurrency $(WORKER_CONCURRENCY) --loglevel INFO & \
	$(VENV)/bin/gunicorn dsar_portal.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 & \
	$(PY) manage.py bootstrap --sandbox-url http://127.0.0.1:$(SANDBOX_PORT) --announce http://$(HOST):$(PORT)/ --worker-ready-file var/run/worker.ready & \
	wait

# Browser tests drive Debian's Chromium; install it when missing and we are allowed to.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install chromium'" >&2; exit 1; fi; }

# The report's fonts; install them when missing and we are allowed to.
report-fonts:
	@test -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	  -a -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf \
	  -a -f /usr/share/fonts/truetype/noto/NotoSansSinhala-Regular.ttf || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq $(FONT_PACKAGES); \
	  else echo "The report's fonts are missing: run 'sudo apt-get install $(FONT_PACKAGES)'" >&2; exit 1; fi; }

# Tests read the reports back as a subject's tools would: poppler's pdftotext.
pdf-tools:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq poppler-utils; \
	  else echo "pdftotext is missing: run 'sudo apt-get install poppler-utils'" >&2; exit 1; fi; }

test: install browser-deps report-fonts pdf-tools
	$(VENV)/bin/pytest -n 2 --dist loadgroup

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install report-fonts
	$(PY) -m tests.bench

clean:
	rm -rf $(VENV) var
