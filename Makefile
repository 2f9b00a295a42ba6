# Kawal — the words people use. `make demo` and `make test` start from nothing (a fresh clone).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
UV_VERSION := 0.13.9
MONTH ?= 2026-10
PORT ?= 8080

# Every generated file (Airflow home, SQLite files, landing data, PDFs, mail) lives under var/.
export KAWAL_HOME := $(CURDIR)/var
export KAWAL_RULES_DIR := $(CURDIR)/kpi_rules
export KAWAL_MAPPINGS_DIR := $(CURDIR)/mappings
export GX_ANALYTICS_ENABLED := false

.PHONY: install demo test fuzz lint fmt lock clean help stack-test up chromium bench bench-backfill

help:
	@echo "make demo   - generate a demo month ($(MONTH)) and run the daily DAG for every day under Airflow"
	@echo "make test   - install if needed, lint, check the import layering, run the whole test suite (2 workers)"
	@echo "make fuzz   - the property tests with fresh random examples and 10x their budget"
	@echo "make up     - Airflow with the KPI board (http://127.0.0.1:$(PORT)/kawal/) on the demo's data (after make demo)"
	@echo "make bench  - 100k and 1M interactions a day against the read floor and DuckDB (BENCHMARKS.md)"
	@echo "make bench-backfill - a year of a 5,000-calls-a-day center through kawal import + kawal backfill"
	@echo "make lint | fmt | lock | clean"

# The venv is rebuilt when the lock or the project metadata change. uv installs exactly the dev lock
# (the runtime lock plus the `dev` and `demo` extras; no Airflow constraint file from the internet:
# those hosts are unreachable here). The image installs the runtime lock only (Dockerfile).
$(VENV)/.installed: requirements-dev.lock requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet "uv==$(UV_VERSION)"
	$(UV) pip sync --quiet --python $(PY) requirements-dev.lock
	$(UV) pip install --quiet --python $(PY) --no-deps -e .
	$(UV) pip check --python $(PY)
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/kawal demo --month $(MONTH)

# Two xdist workers (this machine kind has 2 cores), one test module per worker at a time
# (--dist loadfile): a module's fixtures are built once, and every test of the suite still runs. The
# modules start in tests/conftest.py's order (SLOW_FIRST), not xdist's largest-module-first.
TEST_WORKERS ?= 2
test: install chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The property tests with fresh randomness and ten times their budget (tests/properties.py): bugs are
# still hunted, outside CI's deterministic run. Add what it finds as an @example, then fix it.
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -n $(TEST_WORKERS) -m hypothesis

# The browser tests (tests/web) drive Debian's Chromium through Playwright: never `playwright install`
# (its download hosts are unreachable here). We run as root on these machines.
chromium:
	@command -v chromium >/dev/null || apt-get install -y chromium chromium-driver \
		|| (apt-get update && apt-get install -y chromium chromium-driver)

# Airflow (standalone: api-server, scheduler, dag-processor, triggerer) with the KPI board plugin on
# the demo's data; logins are the people of kpi_rules/people.yaml (docs/kpi-board.md).
up: install
	$(PY) -m kawal.web.up --port $(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Re-resolve the lock after changing pyproject.toml's dependencies.
# Two locks of one resolution: the dev lock first, then the runtime lock constrained by it, so a package
# has the same version in the image as in the tests (tests/stack/test_runtime_lock.py checks both).
lock: install
	$(UV) pip compile pyproject.toml --extra dev --extra demo --python-version 3.11 -o requirements-dev.lock
	$(UV) pip compile pyproject.toml --python-version 3.11 -c requirements-dev.lock -o requirements.lock

# The compose topology as processes on this machine (no Docker engine here): Airflow's api-server,
# scheduler, dag-processor, triggerer and two Celery workers on the local PostgreSQL and Redis,
# driven through the REST API (tests/stack, docs/operations.md). `make test` runs it too.
stack-test: install
	$(PY) -m pytest tests/stack -m stack -q

# Speed goals live in a benchmark, never in a timed test (issue #10): the table goes to BENCHMARKS.md,
# the figures to bench/results/latest.json, working files to var/bench/. BENCH_10M=1 adds the 10M-row
# day (ROWS=10000000 runs that day alone); REPS is the number of repetitions (median; at least 3).
REPS ?= 3
# A year of a 5,000-calls-a-day, interactions-only site through kawal import and kawal backfill
# (bench/backfill.py; issue #16's target: 15 minutes on this machine kind).
DAYS ?= 365
CALLS ?= 5000
bench-backfill: install
	$(PY) -m bench.backfill --days $(DAYS) --calls $(CALLS)

bench: install
	$(PY) -m bench.run --reps $(REPS) $(if $(ROWS),--rows $(ROWS))

clean:
	rm -rf var .pytest_cache .ruff_cache
