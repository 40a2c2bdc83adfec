# The commands people type. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEV_ENV := DEBUG=true
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ipcop
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-fast lint format migrate demo worker clean install install-test chromium redis-server smoke-pgbouncer bench profile screenshots load

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt | $(PY)
	$(PIP) install --quiet -r requirements-test.txt
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

var:
	mkdir -p var/broker/out var/broker/processed var/broker/control var/mail

## run: install, migrate, load the demo, start the web app and a Celery worker with beat
## (bin/run-dev). DATABASE_URL unset: the embedded PostgreSQL in var/postgres, started and
## stopped with the app (bin/with_services.py); set: that server.
run: install var
	$(DEV_ENV) $(PY) bin/with_services.py -- bash bin/run-dev

migrate: install var
	$(DEV_ENV) $(PY) bin/with_services.py -- $(PY) manage.py migrate --no-input

demo: install var
	$(DEV_ENV) $(PY) bin/with_services.py -- \
	  sh -c '$(PY) manage.py migrate --no-input && $(PY) manage.py load_demo'

## test: install test needs and run the whole suite on PostgreSQL and Redis: the servers of
## DATABASE_URL and CELERY_BROKER_URL; unset, those at the default addresses if they
## answer, else the embedded PostgreSQL and a redis-server of our own (bin/with_services.py).
WITH_TEST_SERVICES := TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_BROKER_URL=$(TEST_BROKER_URL) \
  $(PY) bin/with_services.py --test --
test: install-test chromium redis-server
	$(WITH_TEST_SERVICES) $(VENV)/bin/pytest $(PYTEST_ARGS)

# Browser tests drive Debian's chromium (never Playwright's own browser download).
chromium:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium >/dev/null; }

# The worker tests start and stop a redis-server of their own; so does `make test` when no
# Redis answers.
redis-server:
	@command -v redis-server >/dev/null || { \
	  echo "Installing Debian's redis-server for the worker tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq redis-server >/dev/null; }

## test-fast: the inner loop: no browser, worker or fresh-checkout tests, two processes,
## the test databases kept between runs (add --create-db to PYTEST_ARGS after a migration).
test-fast: install-test redis-server
	$(WITH_TEST_SERVICES) $(VENV)/bin/pytest -n 2 --reuse-db \
	  -m "not browser and not worker and not embedded" $(PYTEST_ARGS)

## smoke-pgbouncer: a smoke subset of the suite through PgBouncer in transaction mode with
## DB_POOLER=pgbouncer (bin/smoke_pgbouncer.py): Debian's pgbouncer, installed with apt
## when missing, on port 6432 in front of the PostgreSQL server of `make test`.
## docs/deployment.md has the last result.
smoke-pgbouncer: install-test redis-server
	@command -v pgbouncer >/dev/null || { \
	  echo "Installing Debian's pgbouncer"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq pgbouncer >/dev/null; }
	$(WITH_TEST_SERVICES) $(PY) bin/smoke_pgbouncer.py $(PYTEST_ARGS)

## lint: ruff (lint and format), mypy with django-stubs, and the import-linter contracts
## of .importlinter (the layers).
lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} $(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

format: install-test
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	-[ ! -x $(PY) ] || $(PY) bin/embedded_postgres.py stop
	rm -rf var $(VENV)

## bench: every page each role reaches from its menu, at province scale, in its own
## database (ipcop_bench; SCALE=5 for five times the data in ipcop_bench_x5, compared with
## the last run at 1); writes the section LABEL of docs/benchmarks.md.
SCALE ?= 1
LABEL ?= Latest run
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/$(if $(filter 1,$(SCALE)),ipcop_bench,ipcop_bench_x$(SCALE))
bench: install var
	@command -v wrk >/dev/null || { \
	  echo "Installing Debian's wrk for the benchmark"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq wrk >/dev/null; }
	@psql "$(BENCH_DATABASE_URL)" -c 'SELECT 1' >/dev/null 2>&1 || \
	  psql "$$(echo '$(BENCH_DATABASE_URL)' | sed 's#/[^/]*$$#/postgres#')" \
	    -c "CREATE DATABASE $$(echo '$(BENCH_DATABASE_URL)' | sed 's#.*/##')"
	BENCH_SCALE=$(SCALE) BENCH_LABEL="$(LABEL)" BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) \
	  $(PY) -u bench/run.py

## bench-imports: the import step of `make bench` alone: 5,000-row students and
## placements files previewed and confirmed through the views, against its data set.
.PHONY: bench-imports
bench-imports: install var
	BENCH_SCALE=$(SCALE) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) -u bench/imports.py

## profile: each benchmark page in-process (median, SQL, queries, Python calls) against the
## data set of `make bench`; PAGES="matrix facilitator:" for some pages, ARGS=--cprofile.
profile: install
	BENCH_SCALE=$(SCALE) BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) \
	  $(PY) bench/profile_pages.py $(PAGES) $(ARGS)

## stress: 16 threads for 30 s through the services that change counted rows, in a scratch
## database it drops and creates (ipcop_stress); fails on any error, deadlock or counter
## mismatch. ARGS="--threads 32 --seconds 60" for more.
.PHONY: stress
STRESS_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ipcop_stress
stress: install
	STRESS_DATABASE_URL=$(STRESS_DATABASE_URL) $(PY) -u bench/stress_counters.py $(ARGS)

## load: a mixed load on this machine only: 50 people of each role (facilitator, preceptor,
## student, admin) logging in, reading and writing for 2 minutes against gunicorn (DEBUG
## off), PostgreSQL (its own database, ipcop_load), Redis (db 10) and a Celery worker with
## beat; prints locust's summary, writes the section "Mixed load" of docs/benchmarks.md and
## fails on any failed request or server error. LOAD_DATABASE_URL, LOAD_REDIS_URL and the
## other LOAD_* variables of bench/load_run.py change it.
load: install var
	$(PIP) install --quiet -r bench/requirements.txt
	DATABASE_URL=$${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ipcop_load} bash bin/ensure-postgres
	$(PY) -u bench/load_run.py

## screenshots: PNGs of the main pages at desktop and phone sizes into docs/screenshots/
## (a temporary test database on PostgreSQL, the demo data, Debian's chromium).
screenshots: install-test chromium redis-server
	$(WITH_TEST_SERVICES) $(VENV)/bin/pytest tests/browser/screenshots.py -q -p no:randomly -s
