# Development entry points. Needs only Python 3.11 (with venv/ensurepip) and pip.
#
#   make run    create .venv, install, migrate, seed, create the demo login, serve on
#               127.0.0.1:8000 (override with ADDRPORT=127.0.0.1:8001; links in invites and
#               calendar feeds follow it, or SITE_URL=https://...) with a Celery worker
#               and beat on the embedded broker under var/; Ctrl-C stops all three
#   make worker a Celery worker alone (the embedded broker, or REDIS_URL if set)
#   make beat   Celery beat alone (schedule file under var/)
#   make test   create .venv, install with test extras, run pytest (PYTEST_ARGS passed through)
#   make lint   ruff check . and the import contracts (lint-imports)
#   make bench  the benchmark (needs wrk: apt-get install wrk); BENCH_ARGS passed through,
#               results in benchmarks/latest.md and .json (see benchmarks/README.md)
#   make clean  remove var/ (the dev database) and staticfiles/; keeps .venv
#
# Installs are skipped while pyproject.toml is older than the stamp file under .venv/.

PYTHON ?= python3
VENV ?= .venv
PYTEST_ARGS ?=
BENCH_ARGS ?=

VENV_PY := $(VENV)/bin/python
PIP := $(VENV_PY) -m pip --disable-pip-version-check
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
ADDRPORT ?= 127.0.0.1:8000
# Links in emails, invites and calendar feeds name the address the app serves on.
SITE_URL ?= http://$(ADDRPORT)
DEV_ENV := DEBUG=1 READINGGROUP_SITE_URL=$(SITE_URL)
CELERY := $(VENV_PY) -m celery -A readinggroup

.DEFAULT_GOAL := help
.PHONY: help run worker beat test lint bench clean venv

help:
	@sed -n 's/^#   /  /p' $(firstword $(MAKEFILE_LIST))

$(VENV_PY):
	$(PYTHON) -m venv $(VENV)

venv: | $(VENV_PY)

$(STAMP_RUN): pyproject.toml | $(VENV_PY)
	$(PIP) install --quiet -e .
	@touch $@

$(STAMP_TEST): pyproject.toml | $(VENV_PY)
	$(PIP) install --quiet -e '.[test]'
	@touch $@

run: $(STAMP_RUN)
	$(DEV_ENV) $(VENV_PY) manage.py migrate --noinput
	$(DEV_ENV) $(VENV_PY) manage.py seed
	$(DEV_ENV) $(VENV_PY) manage.py create_demo_organizer
	@# The worker and beat run in the background and stop when runserver does (Ctrl-C).
	@export $(DEV_ENV); \
	$(CELERY) worker --loglevel=INFO --concurrency=1 & worker=$$!; \
	$(CELERY) beat --loglevel=INFO & beat=$$!; \
	stop() { kill $$worker $$beat 2>/dev/null; wait $$worker $$beat; }; \
	trap stop EXIT; trap 'exit 130' INT TERM; \
	$(VENV_PY) manage.py runserver $(ADDRPORT)

worker: $(STAMP_RUN)
	$(DEV_ENV) $(CELERY) worker --loglevel=INFO

beat: $(STAMP_RUN)
	$(DEV_ENV) $(CELERY) beat --loglevel=INFO

test: $(STAMP_TEST)
	$(VENV_PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-cache

bench: $(STAMP_RUN)
	@command -v wrk >/dev/null || { echo "bench needs wrk: apt-get install wrk" >&2; exit 1; }
	$(DEV_ENV) READINGGROUP_BENCHMARKS=1 $(VENV_PY) manage.py bench $(BENCH_ARGS)

clean:
	rm -rf var/ staticfiles/
