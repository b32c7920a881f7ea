# District Ops Portal: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
SUITE ?= all

.PHONY: run test lint check migrate seed worker beat bench messages security clean a11y screenshots

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

## make run: create the venv, migrate, load the demo district and serve on http://127.0.0.1:8000
run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --if-empty
	@echo "Serving on http://$(HOST):$(PORT)/ (sign in with a demo login above)"
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: the whole suite (SQLite by default; DATABASE_URL/REDIS_URL switch to real services)
test: $(STAMP)
	$(PY) -m pytest $(ARGS)

## make security: the security sweeps in full (every persona, more fuzzing examples); the suite runs a sample
FUZZ_EXAMPLES ?= 10
security: $(STAMP)
	OPS_SWEEP_FULL=1 OPS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) OPS_BAD_INPUT_EXAMPLES=$(FUZZ_EXAMPLES) \
		$(PY) -m pytest -p no:randomly core/tests/test_sweep_matrix.py core/tests/test_sweep_canary.py \
		core/tests/test_sweep_fuzzing.py core/tests/test_bad_input.py $(ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py catalogue --check
	$(PY) manage.py check

migrate: $(STAMP)
	$(PY) manage.py migrate --noinput

seed: $(STAMP)
	$(PY) manage.py seed_demo --if-empty

## make worker / make beat: Celery against REDIS_URL
worker: $(STAMP)
	$(VENV)/bin/celery -A ops_portal worker -l info --concurrency $${CELERY_CONCURRENCY:-2}

beat: $(STAMP)
	$(VENV)/bin/celery -A ops_portal beat -l info

## make bench [SUITE=routing|lottery|all]: benchmarks, ratios against baselines measured in the same run
bench: $(STAMP)
	$(PY) -m bench $(SUITE) $(ARGS)

## make a11y: axe on every page as every demo login, in Chromium (longer than the check in make test)
a11y: $(STAMP)
	$(PY) -m pytest e2e/full_sweep.py $(ARGS)

## make screenshots: PNGs of the main pages for each persona, on a desktop and a phone, into docs/screenshots/
screenshots: $(STAMP)
	$(PY) -m pytest e2e/screenshots.py $(ARGS)

## make messages: extract new strings into locale/es/LC_MESSAGES/django.po, compile it, list what to translate
## (what is extracted and what is left out: core/catalogue.py; `manage.py catalogue --check` only checks)
messages: $(STAMP)
	$(PY) manage.py catalogue

clean:
	rm -rf $(VENV) staticfiles .pytest_cache
