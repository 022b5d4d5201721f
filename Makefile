# Newsroom developer commands. `make run` and `make test` work from a clean clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
# Languages we ship a translation catalogue for (locale/<code>/); the templates are in English.
LANGUAGES ?= hi
# Where makemessages and compilemessages do not look: installed packages, tools, our tests.
I18N_IGNORE := --ignore=.venv --ignore=node_modules --ignore=tests --ignore=audit --ignore=bench --ignore=var

.PHONY: run test lint format migrations-check messages compilemessages collectstatic bench bench-faults loadtest audit clean

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "Newsroom needs Python 3.11 or newer (found: $$($(PYTHON) --version))."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: requirements.txt $(VENV)/.created
	$(PY) -m pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.created
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.installed

## run: install, migrate the SQLite database, load demo content and serve on http://127.0.0.1:8000
run: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py migrate --no-input
	DJANGO_DEBUG=1 $(PY) manage.py load_demo
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl+C stops it)"
	DJANGO_DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT)

## test: install the dev requirements and run the whole suite
test: $(VENV)/.installed-dev
	$(PY) -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

## messages: update locale/<lang>/LC_MESSAGES/django.po from the marked strings (GNU gettext)
messages: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py makemessages $(addprefix -l ,$(LANGUAGES)) --add-location=file \
		--no-obsolete $(I18N_IGNORE)

## compilemessages: compile the catalogues to the .mo files Django reads (committed)
compilemessages: $(VENV)/.installed
	DJANGO_DEBUG=1 $(PY) manage.py compilemessages $(addprefix -l ,$(LANGUAGES)) $(I18N_IGNORE)

collectstatic: $(VENV)/.installed
	$(PY) manage.py collectstatic --no-input

## bench: measure the pages under load with gunicorn + wrk on PostgreSQL (see bench/run.py)
bench: $(VENV)/.installed
	$(PY) -m bench.run

## bench-faults: reader p50 with Redis up and down, comment POST cost, outbox messages/s (PostgreSQL)
bench-faults: $(VENV)/.installed-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/newsroom} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} NEWSROOM_REQUIRE_POSTGRES=1 \
	$(PY) -m pytest tests/faults/bench_faults.py -s -q

## audit: axe-core, the W3C Nu checker and Lighthouse over every public page (npm, system Chromium and Java)
audit: $(VENV)/.installed-dev audit/node_modules/.installed
	$(PY) -m audit.run

# Exact versions from audit/package-lock.json; --ignore-scripts: vnu-jar's installer would
# download a Java runtime, and the system's Java 17 runs the jar.
audit/node_modules/.installed: audit/package.json audit/package-lock.json
	cd audit && npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

## loadtest: two app servers + a Celery worker, 50 readers and 5 commenters for 60 s (needs PostgreSQL and Redis)
loadtest: $(VENV)/.installed-dev
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/newsroom} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} \
	NEWSROOM_REQUIRE_POSTGRES=1 NEWSROOM_REQUIRE_REDIS=1 \
	$(PY) -m pytest tests/multiserver/test_load.py -s -q

clean:
	rm -rf $(VENV) var/static .pytest_cache .ruff_cache audit/node_modules
