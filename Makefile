# tradingsite: `make run` (embedded default) and `make test` are the two set-up commands.
# Each bootstraps the virtualenv it needs.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The real services for `make test-services` (CI runs them on this machine).
SERVICES_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tradingsite
SERVICES_BROKER_URL ?= redis://127.0.0.1:6379/14
SERVICES_RESULT_BACKEND ?= redis://127.0.0.1:6379/15

.PHONY: run test test-services bench lint format migrate demo venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

migrate: venv
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo

run: demo
	@echo ""
	@echo "  tradingsite is starting on http://$(HOST):$(PORT)/"
	@echo "  Sign in as: $${DEMO_USERNAME:-demo} / $${DEMO_PASSWORD:-demo-pass-2024}"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest -m "not services" -q -n auto

test-services: venv
	DATABASE_URL=$(SERVICES_DATABASE_URL) CELERY_BROKER_URL=$(SERVICES_BROKER_URL) \
	CELERY_RESULT_BACKEND=$(SERVICES_RESULT_BACKEND) CACHE_URL=redis://127.0.0.1:6379/13 \
	$(PY) -m pytest apps tests -q

bench: venv $(VENV)/.peers-installed
	$(PY) -m bench

# The benchmark's peers (vectorbt, backtesting.py), into the same venv, once per change.
$(VENV)/.peers-installed: bench/requirements-peers.txt
	$(PY) -m pip install --quiet -r bench/requirements-peers.txt
	touch $@

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) storage staticfiles .pytest_cache .ruff_cache
