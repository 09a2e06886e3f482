# The two commands of the README: `make run` and `make test`. `make help` lists the rest.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
export WEB_PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help run test lint format bench demo migrate check-python

help: ## Show the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python 3.10 or newer is needed (found %s)." % sys.version.split()[0])'

$(VENV)/.installed: requirements.txt | check-python
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -r requirements.txt
	@touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install -q -r requirements-dev.txt
	@touch $@

migrate: $(VENV)/.installed
	$(PY) manage.py migrate --noinput

run: migrate ## Set everything up and start the web server, a worker and the scheduler (Ctrl-C stops all)
	$(PY) manage.py demo_setup
	$(VENV)/bin/honcho --procfile Procfile.dev start

test: $(VENV)/.installed-dev ## Install what the tests need and run them
	@$(PY) scripts/check_browser.py
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev ## ruff, mypy (the paths in mypy.ini), and that every model change has its migration
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev ## Format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

demo: migrate ## Add demo customers and orders: make demo CUSTOMERS=100000
	$(PY) manage.py demo_data --customers $(or $(CUSTOMERS),1000)

# Benchmarks run on this machine's PostgreSQL and Redis unless told otherwise.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/loyalty_bench
BENCH_BROKER_URL ?= redis://127.0.0.1:6379/14

bench: $(VENV)/.installed-dev ## Run the benchmarks in bench/ (on PostgreSQL and Redis) and print their figures
	DATABASE_URL=$(BENCH_DATABASE_URL) CELERY_BROKER_URL=$(BENCH_BROKER_URL) $(PY) bench/run.py $(BENCH)
